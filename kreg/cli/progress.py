"""A progress bar over trials and folds, with the best score so far."""

import sys
import time


class Progress:
    """Prints where the search is: trial, fold, and the best CV score so far.

    On a terminal the line is redrawn in place after every fold; elsewhere
    (a log file, CI) one line is printed per finished trial.
    """

    def __init__(self, total: int | None, folds: int, label: str, stream=None):
        self.total = total
        self.folds = folds
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.trials_done = 0
        self.best = None
        self.started = time.monotonic()
        self.current = None
        self.fold = 0

    def resume(self, done: int, best: dict | None) -> None:
        self.trials_done = done
        self.best = best

    def _bar(self, width: int = 20) -> str:
        if not self.total:
            return ""
        steps = self.trials_done * self.folds + self.fold
        filled = int(width * min(steps / (self.total * self.folds), 1.0))
        return "[" + "#" * filled + "-" * (width - filled) + "] "

    def _line(self) -> str:
        total = f"/{self.total}" if self.total else ""
        trial = min(self.trials_done + 1, self.total or 10**9)
        parts = [f"{self._bar()}trial {trial}{total}"]
        if self.current is not None:
            parts.append(f"fold {self.fold}/{self.folds}")
        if self.best is not None:
            parts.append(
                f"best {self.label} {self.best['score']:.4f} "
                f"± {self.best['score_se']:.4f} (trial {self.best['trial_id']})"
            )
        elapsed = time.monotonic() - self.started
        parts.append(f"{elapsed:.0f}s")
        return " | ".join(parts)

    def trial_begin(self, trial_id: str) -> None:
        self.current = trial_id
        self.fold = 0

    def fold_done(self) -> None:
        self.fold = min(self.fold + 1, self.folds)
        if self.tty:
            self.stream.write("\r" + self._line() + "\033[K")
            self.stream.flush()

    def trial_done(self, record: dict) -> None:
        self.trials_done += 1
        self.current = None
        self.fold = 0
        if self.best is None or record["score"] < self.best["score"]:
            self.best = record
        total = f"/{self.total}" if self.total else ""
        line = (
            f"trial {record['trial_id']} ({self.trials_done}{total}) "
            f"{record['settings']}: {self.label} {record['score']:.4f} "
            f"± {record['score_se']:.4f} | best {self.best['score']:.4f} "
            f"(trial {self.best['trial_id']}) | "
            f"{time.monotonic() - self.started:.0f}s"
        )
        prefix = "\r" if self.tty else ""
        suffix = "\033[K" if self.tty else ""
        self.stream.write(prefix + line + suffix + "\n")
        self.stream.flush()

    def note(self, text: str) -> None:
        prefix = "\r\033[K" if self.tty else ""
        self.stream.write(prefix + text + "\n")
        self.stream.flush()


class PathProgress:
    """Where the λ paths are: fits done, and each family's best when done.

    On a terminal a bar is redrawn after every fitted strength; one line is
    printed per finished path, naming the family with the lowest CV score so
    far, and one at the end naming the family the 1se rule chose.
    """

    def __init__(self, families, strengths, folds, label, stream=None):
        self.families = list(families)
        self.strengths = strengths
        self.folds = folds
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.total = len(self.families) * strengths * (folds + 1)
        self.done = 0
        self.lowest = None
        self.started = time.monotonic()

    def _elapsed(self) -> str:
        return f"{time.monotonic() - self.started:.0f}s"

    def strength_done(self, candidate: int, fit: str, index: int) -> None:
        self.done += 1
        if self.tty:
            width = 20
            filled = int(width * min(self.done / self.total, 1.0))
            where = "all rows" if fit == "final" else fit.replace("_", " ")
            self.stream.write(
                "\r[" + "#" * filled + "-" * (width - filled) + "] "
                f"{self.families[candidate]}: {where}, strength {index + 1}/"
                f"{self.strengths} | {self._elapsed()}\033[K"
            )
            self.stream.flush()

    def path_done(self, candidate: int, path) -> None:
        index = path.best("min")
        score, se = (
            float(path.val_data_loss[index]),
            float(path.val_standard_error[index]),
        )
        name = self.families[candidate]
        if self.lowest is None or score < self.lowest[1]:
            self.lowest = (name, score)
        how = (
            "each strength to convergence"
            if path.stopping == "convergence"
            else "early stopping on each fold's held-out rows"
        )
        self.note(
            f"path {candidate + 1}/{len(self.families)} {name}: lowest {self.label} "
            f"{score:.4f} ± {se:.4f} at λ={path.strengths[index]:.2e}, "
            f"{path.active_inputs[index]}/{path.n_inputs} inputs ({how}) | "
            f"lowest so far: {self.lowest[0]} | {self._elapsed()}"
        )

    def chosen(self, found) -> None:
        if found.combine == "blend":
            self.note(
                "blended by greedy ensemble selection on the out-of-fold "
                f"predictions: {found.description()}"
            )
            return
        paths = found.paths
        lowest = min(
            range(len(paths)), key=lambda i: paths[i].val_data_loss[paths[i].best()]
        )
        if lowest == found.chosen:
            why = "it has the lowest CV score"
        else:
            why = (
                f"the narrowest family within one standard error of the lowest "
                f"({self.families[lowest]})"
            )
        self.note(f"chosen by the 1se rule across families: {found.label} ({why})")

    def note(self, text: str) -> None:
        prefix = "\r\033[K" if self.tty else ""
        self.stream.write(prefix + text + "\n")
        self.stream.flush()

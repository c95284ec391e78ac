"""``kreg tune --search``: ``kreg.tuning.Tuner`` (k-fold CV per trial) with a
live record, then the refits of its choices and the unregularized baseline.

After every trial ``trials.csv`` is rewritten from the tuner's own results,
so the file always matches what a resumed search knows.
"""

import json
import math
import os

import keras
import numpy as np

from kreg import tuning
from kreg.cli import store, trials
from kreg.cli.evaluation import refit
from kreg.cli.hypermodel import row_column
from kreg.cli.run import Run, result_entry

#: What the search minimizes: the validation data loss, never the penalized
#: ``val_loss`` (which grows with the strength).
OBJECTIVE = "val_data_loss"

#: Early-stopping patience of every fit, in epochs.
PATIENCE = 6

#: Failed trials in a row the search tolerates. The CLI's own search space
#: has corners that diverge (the largest learning rate with the weakest
#: penalty): such a trial fails with a note and the search goes on, however
#: many come in a row; a run where every trial fails ends with one error.
TOLERATED_FAILURES = 1_000_000

BATCH_SIZE = 32
#: The KerasTuner project of the unregularized baseline's cross-validation.
BASELINE_DIR = "baseline"


class FoldProgress(keras.callbacks.Callback):
    """Tells the progress bar when a fold's fit ends (all k at once when the
    folds train as the members of one fit).

    The tuner deep-copies callbacks for every fit; each copy shares the one
    progress bar.
    """

    def __init__(self, progress):
        super().__init__()
        self.progress = progress

    def __deepcopy__(self, memo):
        return FoldProgress(self.progress)

    def on_train_end(self, logs=None):
        for _ in range(getattr(self.model, "members", 1)):
            self.progress.fold_done()


class RunTuner(tuning.Tuner):
    """``kreg.tuning.Tuner`` that keeps ``trials.csv`` and the progress bar."""

    def __init__(self, *args, out: str | None, progress, **kwargs):
        kwargs.setdefault("max_consecutive_failed_trials", TOLERATED_FAILURES)
        super().__init__(*args, **kwargs)
        self.out = out  # None: keep no trials.csv (the baseline's search)
        self.progress = progress

    def on_trial_begin(self, trial):
        super().on_trial_begin(trial)
        self.progress.trial_begin(trial.trial_id)

    def on_trial_end(self, trial):
        super().on_trial_end(trial)
        if trial.status in ("FAILED", "INVALID"):
            self.progress.note(f"trial {trial.trial_id} failed: {failure(trial)}")
        records = collect(self)
        if self.out is not None:
            write_trials(self.out, records)
        record = next((r for r in records if r["trial_id"] == trial.trial_id), None)
        if record is not None:
            self.progress.trial_done(record)


def failure(trial) -> str:
    """The last line of a failed trial's message (KerasTuner keeps a traceback)."""
    lines = [line for line in str(trial.message or "").splitlines() if line.strip()]
    if not lines:
        return "no message"
    last = lines[-1]
    # "keras_tuner.src.errors.FailedTrialError: Trial 3: ..." -> "Trial 3: ..."
    head, _, rest = last.partition(": ")
    return rest if rest and "Error" in head.split(".")[-1] else last


def collect(tuner: tuning.Tuner) -> list[dict]:
    """One record per finished trial, from the tuner's cross-validation results."""
    records = []
    for row in tuner.cv_results():
        if not math.isfinite(row["mean"]):
            continue
        trial_dir = tuner.get_trial_dir(row["trial_id"])
        result = {
            "score": row["mean"],
            "score_se": row["standard_error"],
            "fold_scores": row["fold_scores"],
            "epochs": tuner.refit_epochs(row["trial_id"]),
            "level": row["level"],
        }
        result.update(_fold_accuracy(trial_dir, len(row["fold_scores"])))
        record = trials.make_record(row["trial_id"], row["hyperparameters"], result)
        records.append(record)
    return records


def write_trials(out: str, records: list[dict]) -> None:
    store.write_csv(os.path.join(out, store.TRIALS_FILE), trials.to_frame(records))


def _fold_accuracy(trial_dir: str, folds: int) -> dict:
    """Mean and standard error of the validation accuracy at each fold's best epoch."""
    values = []
    for fold in range(folds):
        done = _read(os.path.join(trial_dir, f"fold_{fold}.json"))
        if not done or "history" not in done:
            return {}
        log = done["history"][done["best_epoch"]]
        if "val_accuracy" not in log:
            return {}
        values.append(log["val_accuracy"])
    if not values:
        return {}
    return {
        "accuracy": float(np.mean(values)),
        "accuracy_se": tuning.standard_error(values),
    }


def _read(path: str):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


# -- the stages of a search run ------------------------------------------------
def _tuner(run: Run, build, project, oracle, max_trials, progress, *, record=True):
    return RunTuner(
        build,
        oracle=oracle,
        cv=run.settings.cv,
        max_trials=max_trials,
        max_epochs=run.settings.epochs,
        seed=run.settings.seed,
        patience=PATIENCE,
        directory=run.out,
        project_name=project,
        overwrite=False,
        out=run.out if record else None,
        progress=progress,
        # Each trial's k folds as the k members of one stacked fit, each
        # member with its own fold's preprocessing (--no-members: one fit
        # per fold).
        folds_as_members=run.settings.members,
    )


def _search_tuner(run: Run, progress, *, record=True) -> RunTuner:
    settings = run.settings
    return _tuner(
        run,
        run.hypermodel,
        store.SEARCH_DIR,
        settings.tuner,
        settings.trials,
        progress,
        record=record,
    )


def _target(run: Run):
    # Class indices as integers make the tuner's folds stratified.
    y = run.table.y[run.train]
    return y.astype("int64") if run.table.task == "classification" else y


def run_search(run: Run):
    """Runs (or resumes) the search; returns the tuner and its records."""
    settings, progress = run.settings, run.progress
    tuner = _search_tuner(run, progress)
    if settings.tuner != "hyperband":
        tuner.oracle.max_trials = settings.trials  # a resumed run may grow
    records = collect(tuner)
    # From the tuner's own trials: a run killed between a trial's end and
    # the write of trials.csv left it one trial short.
    write_trials(run.out, records)
    progress.resume(len(records), trials.choose(records).get("min"))
    tuner.search(
        row_column(len(run.train)),
        _target(run),
        epochs=settings.epochs,
        batch_size=BATCH_SIZE,
        callbacks=[FoldProgress(progress)],
        verbose=0,
    )
    return tuner, collect(tuner)


def refresh_trials(run: Run) -> None:
    """Rewrites trials.csv from the search's own trials (``run`` holds the
    table and the hypermodel), for the report."""
    write_trials(run.out, collect(_search_tuner(run, _Silent(), record=False)))


def finish(run: Run, tuner, records) -> None:
    """Refits the ``min`` and ``1se`` choices on every training row, then the
    unregularized baseline; writes ``final.json``."""
    chosen = trials.choose(records)
    if not chosen:
        raise RuntimeError(
            "no trial finished: every trial failed (see the messages above)"
        )
    done: dict[str, dict] = {}
    for rule in ("min", "1se"):
        record = chosen[rule]
        if record["trial_id"] in done:
            run.models[rule] = {**done[record["trial_id"]], "rule": rule}
            continue
        run.progress.note(
            f"refitting the {rule} choice (trial {record['trial_id']}: "
            f"{record['settings']}) on {len(run.train)} rows for "
            f"{record['epochs']} epochs"
        )
        hp = tuner.oracle.get_trial(record["trial_id"]).hyperparameters
        keras.utils.set_random_seed(run.settings.seed)
        scores, sparsity = refit(
            run, rule, run.hypermodel.build_plain(hp), record["epochs"]
        )
        run.models[rule] = done[record["trial_id"]] = result_entry(
            rule, record, test=scores, sparsity=sparsity
        )
    run.models["unregularized"] = _baseline(run)


def _baseline(run: Run) -> dict:
    """Cross-validates the unregularized network on the same folds, then refits."""
    run.progress.note("cross-validating the unregularized network of the same shape")
    baseline = _tuner(
        run,
        run.hypermodel.unregularized(),
        BASELINE_DIR,
        "random",
        1,
        _Silent(),
        record=False,
    )
    baseline.search(
        row_column(len(run.train)),
        _target(run),
        epochs=run.settings.epochs,
        batch_size=BATCH_SIZE,
        verbose=0,
    )
    [record] = collect(baseline)
    keras.utils.set_random_seed(run.settings.seed)
    scores, sparsity = refit(
        run, "unregularized", run.hypermodel.network(), record["epochs"]
    )
    return result_entry(
        "unregularized",
        {**record, "trial_id": None},
        test=scores,
        sparsity=sparsity,
    )


class _Silent:
    def trial_begin(self, trial_id):
        pass

    def trial_done(self, record):
        pass

    def fold_done(self):
        pass

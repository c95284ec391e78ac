"""``kreg tune``: search, refit the winners, compare with no regularization."""

import hashlib
import math
import os
import tempfile
import time

import keras
import numpy as np
from sklearn.model_selection import train_test_split

import kreg
from kreg._validation import InvalidArgumentError, invalid_argument
from kreg.cli import store, trials
from kreg.cli.evaluation import refit
from kreg.cli.hypermodel import TabularHyperModel, row_column
from kreg.cli.lock import LOCK_FILE, RunLock
from kreg.cli.path import run_path
from kreg.cli.progress import Progress
from kreg.cli.report import build_report, score_label
from kreg.cli.search import PATIENCE, FoldProgress, RunTuner, collect, write_trials
from kreg.cli.settings import Settings
from kreg.data import EXAMPLE_TARGET, load_example, load_table

_OWNER = "kreg tune"

BATCH_SIZE = 32
BASELINE_DIR = "baseline"


class UsageError(ValueError):
    """Bad input: a command line, data or folder that cannot run (exit code 2)."""


# -- data --------------------------------------------------------------------
def load_data(settings: Settings):
    """Reads and checks the table, then splits off the held-out test rows
    (none unless ``--test-size`` asks: then every row is fitted on)."""
    if settings.data is None:
        target = settings.target or EXAMPLE_TARGET
        table = load_table(
            load_example(),
            target,
            task=settings.task,
            drop=settings.drop,
            name="breast_cancer (scikit-learn)",
        )
    else:
        table = load_table(
            settings.data,
            settings.target,
            task=settings.task,
            drop=settings.drop,
            non_numeric="missing" if settings.non_numeric_as_missing else "error",
        )
    rows = np.arange(len(table))
    stratify = None
    held_out = settings.test_size is not None
    split = " and a test split" if held_out else ""
    if table.task == "classification":
        counts = np.bincount(table.y, minlength=len(table.classes))
        smallest = int(counts.argmin())
        needed = (
            math.ceil(settings.cv / (1 - settings.test_size)) + 1
            if held_out
            else settings.cv
        )
        if counts[smallest] < needed:
            raise invalid_argument(
                _OWNER,
                "data",
                f"at least {needed} rows of each class for {settings.cv}-fold "
                f"cross-validation{split} (class "
                f"{table.classes[smallest]!r} of {table.target_name!r} has "
                f"{counts[smallest]})",
                table.name,
            )
        stratify = table.y
    elif len(table) < 2 * settings.cv + 2 * held_out:
        raise invalid_argument(
            _OWNER,
            "data",
            f"at least {2 * settings.cv + 2 * held_out} rows for {settings.cv}-fold "
            f"cross-validation{split} (it has {len(table)})",
            table.name,
        )
    if not held_out:
        return table, rows, rows[:0]
    train, test = train_test_split(
        rows,
        test_size=settings.test_size,
        random_state=settings.seed,
        stratify=stratify,
    )
    return table, np.sort(train), np.sort(test)


def _hypermodel(table, train) -> TabularHyperModel:
    """The search's hypermodel over the training rows of the table."""
    return TabularHyperModel(
        table.features.iloc[train].reset_index(drop=True),
        table.y[train],
        table.task,
        len(table.classes) if table.classes else None,
        numeric=table.numeric_columns,
        categorical=table.categorical_columns,
    )


def fingerprint(path: str | None) -> str | None:
    """SHA-256 of the data file (None if it is gone: loading then says so)."""
    if path is None:
        return "embedded"
    if not os.path.isfile(path):
        return None
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# -- the run folder ----------------------------------------------------------
def open_run(out: str, settings: Settings, given: set[str]):
    """Returns the settings to run with, whether the run resumes, and whether
    it is already finished with these very settings."""
    if store.is_run(out):
        try:
            stored_run = store.read_json(os.path.join(out, store.RUN_FILE))
            stored = Settings.from_dict(stored_run["settings"])
        except (ValueError, KeyError, TypeError):
            raise UsageError(
                str(
                    invalid_argument(
                        _OWNER, "out", "a run folder with a readable run.json", out
                    )
                )
            ) from None
        conflicts = settings.conflicts(stored, given)
        if conflicts:
            raise UsageError(
                str(
                    invalid_argument(
                        _OWNER,
                        "out",
                        "a new folder, or the same settings to resume this run "
                        f"(differs: {'; '.join(conflicts)})",
                        out,
                    )
                )
            )
        before = stored.to_dict()
        for name in given:
            setattr(stored, name, getattr(settings, name))
        finished = stored_run.get("status") == "finished" and before == stored.to_dict()
        digest = fingerprint(stored.data)
        if digest is not None and digest != stored_run.get("data_sha256"):
            raise invalid_argument(
                _OWNER,
                "data",
                f"the data the run in {out} started with (the file changed since)",
                stored.data,
            )
        return stored, True, finished
    if os.path.exists(out) and (
        not os.path.isdir(out) or set(os.listdir(out)) - {LOCK_FILE}
    ):
        raise UsageError(
            str(
                invalid_argument(
                    _OWNER,
                    "out",
                    "a new or empty folder, or a kreg run folder to resume",
                    out,
                )
            )
        )
    _check_new_folder(out)
    return settings, False, False


def _check_new_folder(out: str) -> None:
    """Raises unless ``out`` can be made: its nearest existing parent is a
    folder we can write in. Probed with a temporary folder, removed at once."""
    parent = os.path.dirname(os.path.abspath(out))
    while not os.path.exists(parent):
        parent = os.path.dirname(parent)
    if not os.path.isdir(parent):
        raise invalid_argument(
            _OWNER, "out", f"a folder path ({parent} is a file)", out
        )
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".kreg-probe-", dir=parent))
    except OSError as error:
        raise invalid_argument(
            _OWNER,
            "out",
            f"a folder that can be created ({parent}: {error.strerror})",
            out,
        ) from None


def _write_run(out: str, settings: Settings, status: str, **extra) -> None:
    path = os.path.join(out, store.RUN_FILE)
    run = store.read_json(path) if os.path.exists(path) else {}
    run.update(
        {
            "kreg_version": kreg.__version__,
            "settings": settings.to_dict(),
            "data_sha256": fingerprint(settings.data),
            "status": status,
            **extra,
        }
    )
    store.write_json(path, run)


# -- the search --------------------------------------------------------------
def _tuner(out, settings, build, project, oracle, trials_, progress, *, record=True):
    return RunTuner(
        build,
        oracle=oracle,
        cv=settings.cv,
        max_trials=trials_,
        max_epochs=settings.epochs,
        seed=settings.seed,
        patience=PATIENCE,
        directory=out,
        project_name=project,
        overwrite=False,
        out=out if record else None,
        progress=progress,
    )


def run_search(out, settings, hypermodel, table, train, progress):
    """Runs (or resumes) the search; returns the tuner and its records."""
    tuner = _tuner(
        out,
        settings,
        hypermodel,
        store.SEARCH_DIR,
        settings.tuner,
        settings.trials,
        progress,
    )
    if settings.tuner != "hyperband":
        tuner.oracle.max_trials = settings.trials  # a resumed run may grow
    records = collect(tuner)
    # From the tuner's own trials: a run killed between a trial's end and
    # the write of trials.csv left it one trial short.
    write_trials(out, records)
    progress.resume(len(records), trials.choose(records).get("min"))
    tuner.search(
        row_column(len(train)),
        _tuner_target(table, train),
        epochs=settings.epochs,
        batch_size=BATCH_SIZE,
        callbacks=[FoldProgress(progress)],
        verbose=0,
    )
    return tuner, collect(tuner)


def _refresh_trials(out, settings):
    """Rewrites trials.csv from the search's own trials, for the report.

    Without the data (moved since the run finished) trials.csv is kept.
    """
    try:
        table, train, _ = load_data(settings)
    except ValueError:
        return
    hypermodel = _hypermodel(table, train)
    tuner = _tuner(
        out,
        settings,
        hypermodel,
        store.SEARCH_DIR,
        settings.tuner,
        settings.trials,
        _Silent(),
        record=False,
    )
    write_trials(out, collect(tuner))


def _tuner_target(table, train):
    # Class indices as integers make the tuner's folds stratified.
    y = table.y[train]
    return y.astype("int64") if table.task == "classification" else y


# -- after the search ---------------------------------------------------------
def finish(out, settings, tuner, records, hypermodel, table, train, test, progress):
    chosen = trials.choose(records)
    if not chosen:
        raise RuntimeError(
            "no trial finished: every trial failed (see the messages above)"
        )
    final = {"metric": score_label(table.task), "models": {}}
    done: dict[str, dict] = {}
    for rule in ("min", "1se"):
        record = chosen[rule]
        if record["trial_id"] in done:
            final["models"][rule] = {**done[record["trial_id"]], "rule": rule}
            continue
        progress.note(
            f"refitting the {rule} choice (trial {record['trial_id']}: "
            f"{record['settings']}) on {len(train)} rows for {record['epochs']} epochs"
        )
        hp = tuner.oracle.get_trial(record["trial_id"]).hyperparameters
        keras.utils.set_random_seed(settings.seed)
        model = hypermodel.build_plain(hp)
        _, scores, sparsity = refit(
            rule, hypermodel, model, table, train, test, record["epochs"], out
        )
        entry = {
            "rule": rule,
            "trial_id": record["trial_id"],
            "settings": record["settings"],
            "regularizer": record["regularizer"],
            "strength": _finite(record["strength"]),
            "dropout": record["dropout"],
            "cv_score": record["score"],
            "cv_se": record["score_se"],
            "cv_accuracy": _finite(record.get("accuracy")),
            "cv_accuracy_se": _finite(record.get("accuracy_se")),
            "epochs": int(record["epochs"]),
            "test": scores,
            "sparsity": sparsity,
            "model": f"model_{rule}.keras",
            "history": f"history_{rule}.csv",
        }
        final["models"][rule] = entry
        done[record["trial_id"]] = entry
    return complete(out, settings, final, hypermodel, table, train, test, progress)


def complete(out, settings, final, hypermodel, table, train, test, progress):
    """Adds the unregularized baseline (after a search: the λ paths hold
    their own, the weak end of each net's path), copies the best model,
    writes final.json."""
    if progress is not None:
        final["models"]["unregularized"] = _baseline(
            hypermodel, table, train, test, out, settings, progress
        )
    best = final["models"][settings.rule]
    source = os.path.join(out, best["model"])
    with store.atomic_path(os.path.join(out, "best_model.keras")) as temporary:
        with open(source, "rb") as f_in, open(temporary, "wb") as f_out:
            f_out.write(f_in.read())
    final["best_model"] = {"file": "best_model.keras", "rule": settings.rule}
    store.write_json(os.path.join(out, store.FINAL_FILE), final)
    return final


def _baseline(hypermodel, table, train, test, out, settings, progress):
    """Cross-validates the unregularized network on the same folds, then refits."""
    progress.note("cross-validating the unregularized network of the same shape")
    baseline = _tuner(
        out,
        settings,
        hypermodel.build_unregularized,
        BASELINE_DIR,
        "random",
        1,
        _Silent(),
        record=False,
    )
    baseline.search(
        row_column(len(train)),
        _tuner_target(table, train),
        epochs=settings.epochs,
        batch_size=BATCH_SIZE,
        verbose=0,
    )
    [record] = collect(baseline)
    keras.utils.set_random_seed(settings.seed)
    model = hypermodel.network()
    _, scores, sparsity = refit(
        "unregularized",
        hypermodel,
        model,
        table,
        train,
        test,
        record["epochs"],
        out,
    )
    return {
        "rule": "unregularized",
        "trial_id": None,
        "settings": "no penalty, dropout 0.0",
        "regularizer": "none",
        "strength": None,
        "dropout": 0.0,
        "cv_score": record["score"],
        "cv_se": record["score_se"],
        "cv_accuracy": _finite(record.get("accuracy")),
        "cv_accuracy_se": _finite(record.get("accuracy_se")),
        "epochs": int(record["epochs"]),
        "test": scores,
        "sparsity": sparsity,
        "model": "model_unregularized.keras",
        "history": "history_unregularized.csv",
    }


class _Silent:
    def trial_begin(self, trial_id):
        pass

    def trial_done(self, record):
        pass

    def fold_done(self):
        pass


def _finite(value):
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


# -- the command ---------------------------------------------------------------
def tune(settings: Settings, out: str | None, given: set[str], stream) -> str:
    """Runs (or resumes) ``kreg tune``; returns the output folder."""
    out = out or os.path.join("kreg_runs", settings.data_name)
    if settings.data is not None:
        settings.data = os.path.abspath(settings.data)
    # Every check of the folder and the data runs before anything is
    # written; what fails here is bad input (exit code 2).
    checked, resumed, finished, data = _checked(out, settings, given)
    os.makedirs(out, exist_ok=True)
    with RunLock(out, _OWNER):
        # Checked again under the lock: another run may have started or
        # finished in this folder in between.
        again, resumed, finished, data = _checked(
            out, settings, given, data if not finished else None, checked
        )
        store.remove_temporaries(out)
        return _run(out, again, resumed, finished, data, stream)


def _checked(out, settings, given, data=None, before=None):
    """open_run and load_data, their errors as bad input (exit code 2).

    ``data`` is reused if the settings are ``before``'s."""
    try:
        checked, resumed, finished = open_run(out, settings, given)
        if finished:
            data = None
        elif data is None or before is None or checked != before:
            data = load_data(checked)
    except InvalidArgumentError as error:
        raise UsageError(str(error)) from None
    return checked, resumed, finished, data


def _run(out, settings, resumed, finished, data, stream) -> str:
    if finished:
        stream.write(
            f"the run in {out} is finished; its report is rebuilt (give a larger "
            "--trials to extend it)\n"
        )
        if not settings.path:
            _refresh_trials(out, settings)
        build_report(out)
        return out
    table, train, test = data
    started = time.time()
    _write_run(
        out,
        settings,
        "running",
        data={
            "name": table.name,
            "rows": len(table),
            "train_rows": len(train),
            "test_rows": len(test),
            "target": table.target_name,
            "task": table.task,
            "task_detected": table.task_detected,
            "classes": table.classes,
            "numeric_columns": table.numeric_columns,
            "categorical_columns": table.categorical_columns,
            "dropped_rows": table.dropped_rows,
            "constant_columns": table.constant_columns,
        },
    )
    _say(stream, table, settings, train, test, out, resumed)
    hypermodel = _hypermodel(table, train)
    if settings.path:
        os.makedirs(os.path.join(out, store.PLOTS_DIR), exist_ok=True)
        models, summary = run_path(
            out, settings, hypermodel, table, train, test, stream
        )
        final = {"metric": score_label(table.task), "models": models, **summary}
        complete(out, settings, final, hypermodel, table, train, test, None)
    else:
        total = None if settings.tuner == "hyperband" else settings.trials
        progress = Progress(total, settings.cv, score_label(table.task), stream)
        tuner, records = run_search(out, settings, hypermodel, table, train, progress)
        finish(out, settings, tuner, records, hypermodel, table, train, test, progress)
    _write_run(out, settings, "finished", seconds=round(time.time() - started, 1))
    build_report(out)
    return out


def _say(stream, table, settings, train, test, out, resumed):
    task = table.task + (
        " (detected; set --task to change)" if table.task_detected else ""
    )
    split = (
        f"rows: {len(train)} for {settings.cv}-fold cross-validation and the final "
        f"fit, {len(test)} held out for the test score"
        if len(test)
        else f"rows: all {len(train)} for {settings.cv}-fold cross-validation and "
        "the final fit (none held out; --test-size holds some out)"
    )
    lines = [
        ("resuming" if resumed else "tuning") + f" into {out}",
        f"data: {table.name}: {len(table)} rows, {table.features.shape[1]} features "
        f"({len(table.numeric_columns)} numeric, {len(table.categorical_columns)} "
        f"categorical), target {table.target_name!r}, task {task}",
        split,
        (
            "search: kreg.tuning.tabular_path, cross-validated λ paths of "
            f"{settings.trials} strengths for each of "
            f"{len(kreg.tuning.default_candidates())} model families, "
            if settings.path
            else f"search: KerasTuner {settings.tuner}, "
            + (f"{settings.trials} trials, " if settings.tuner != "hyperband" else "")
        )
        + f"up to {settings.epochs} epochs per strength or fit, seed {settings.seed}",
    ]
    if table.dropped_rows:
        lines.append(f"left out {table.dropped_rows} rows with no target value")
    if table.constant_columns:
        lines.append(
            f"left out {len(table.constant_columns)} constant column(s) (a single "
            f"value in every row): {', '.join(map(str, table.constant_columns))}"
        )
    stream.write("\n".join(lines) + "\n")
    stream.flush()

"""``kreg tune``: check, then search or fit the λ paths, refit, report.

The stages live beside this one: :mod:`kreg.cli.folder` (the run folder),
:mod:`kreg.cli.table` (the data), :mod:`kreg.cli.path` (the λ paths, the
default) or :mod:`kreg.cli.search` (a KerasTuner search, its refits and the
unregularized baseline); each reads and writes one :class:`kreg.cli.run.Run`.
"""

import os
import time

import kreg
from kreg._validation import InvalidArgumentError
from kreg.cli import store
from kreg.cli.folder import UsageError, fingerprint, open_run
from kreg.cli.lock import RunLock
from kreg.cli.path import run_path
from kreg.cli.progress import Progress
from kreg.cli.report import build_report
from kreg.cli.run import Run, complete
from kreg.cli.search import finish, refresh_trials, run_search
from kreg.cli.settings import Settings
from kreg.cli.table import hypermodel, load_data

__all__ = ["UsageError", "tune"]

_OWNER = "kreg tune"


def _write_run(run: Run, status: str, **extra) -> None:
    path = run.file(store.RUN_FILE)
    stored = store.read_json(path) if os.path.exists(path) else {}
    stored.update(
        {
            "kreg_version": kreg.__version__,
            "settings": run.settings.to_dict(),
            "data_sha256": fingerprint(run.settings.data),
            "status": status,
            **extra,
        }
    )
    store.write_json(path, stored)
    run.status = status


# -- the command ---------------------------------------------------------------
def tune(settings: Settings, out: str | None, given: set[str], stream) -> str:
    """Runs (or resumes) ``kreg tune``; returns the output folder."""
    out = out or os.path.join("kreg_runs", settings.data_name)
    if settings.data is not None:
        settings.data = os.path.abspath(settings.data)
    # Every check of the folder and the data runs before anything is
    # written; what fails here is bad input (exit code 2).
    checked = _checked(Run(out, settings, stream), given)
    os.makedirs(out, exist_ok=True)
    with RunLock(out, _OWNER):
        # Checked again under the lock: another run may have started or
        # finished in this folder in between.
        run = _checked(Run(out, settings, stream), given, checked)
        store.remove_temporaries(out)
        return _run(run)


def _checked(run: Run, given: set[str], before: Run | None = None) -> Run:
    """open_run and load_data, their errors as bad input (exit code 2).

    The data of ``before`` is reused if its settings are the same."""
    try:
        run.settings, run.resumed, run.finished = open_run(run.out, run.settings, given)
        if run.finished:
            return run  # its report is only rebuilt: no data needed
        same = before is not None and before.settings == run.settings
        if same and not before.finished:
            run.table, run.train, run.test = before.table, before.train, before.test
        else:
            run.table, run.train, run.test = load_data(run.settings)
    except InvalidArgumentError as error:
        raise UsageError(str(error)) from None
    return run


def _run(run: Run) -> str:
    out, settings = run.out, run.settings
    if run.finished:
        run.stream.write(
            f"the run in {out} is finished; its report is rebuilt (give a larger "
            "--trials to extend it)\n"
        )
        if not settings.path:
            _refresh_trials(run)
        build_report(out)
        return out
    table = run.table
    started = time.time()
    _write_run(
        run,
        "running",
        data={
            "name": table.name,
            "rows": len(table),
            "train_rows": len(run.train),
            "test_rows": len(run.test),
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
    _say(run)
    run.hypermodel = hypermodel(table, run.train)
    if settings.path:
        os.makedirs(run.file(store.PLOTS_DIR), exist_ok=True)
        run_path(run)
    else:
        total = None if settings.tuner == "hyperband" else settings.trials
        run.progress = Progress(total, settings.cv, run.metric, run.stream)
        tuner, records = run_search(run)
        finish(run, tuner, records)
    complete(run)
    _write_run(run, "finished", seconds=round(time.time() - started, 1))
    build_report(out)
    return out


def _refresh_trials(run: Run) -> None:
    """Rewrites trials.csv from the search's own trials, for the report.

    Without the data (moved or changed since the run finished: bad input)
    trials.csv is kept.
    """
    try:
        run.table, run.train, _ = load_data(run.settings)
    except InvalidArgumentError:
        return
    run.hypermodel = hypermodel(run.table, run.train)
    refresh_trials(run)


def _say(run: Run) -> None:
    stream, table, settings = run.stream, run.table, run.settings
    train, test, out, resumed = run.train, run.test, run.out, run.resumed
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
            + (
                f"each trial's {settings.cv} folds as the members of one fit, "
                if settings.members
                else "one fit per fold, "
            )
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

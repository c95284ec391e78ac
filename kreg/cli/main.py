"""The ``kreg`` command line: ``kreg tune`` and ``kreg report``.

Exit codes:

- 0: success.
- 2: bad input, found before anything is written: an unknown flag or a bad
  flag value, data that cannot be tuned (no such file, an empty or binary
  file, a missing target, one class, too few rows for ``--cv``, infinite
  numbers, stray text in a numeric column, repeated column names, ...), an
  output folder that cannot be made or holds something else, a run folder
  another ``kreg tune`` is using. One line on stderr names the problem.
- 1: a failure of the run itself (every trial failed, a full disk, a bug):
  the traceback, then one line.
- 130: interrupted (Ctrl-C); the same command resumes.
"""

import argparse
import os
import sys
import traceback

from kreg.cli.settings import COMBINES, RULES, SEARCHES, TUNERS, Settings

# kreg and each command's modules are imported inside the commands' functions,
# so that `kreg --help` and bad flags answer before TensorFlow loads (seconds).

_DESCRIPTION = """\
Tune the regularization of a Keras network on a CSV table, with k-fold
cross-validation, and write a report that shows why the winner was chosen.
"""

_TUNE_EPILOG = """\
what it does by default:
  Cross-validated λ paths (as glmnet's cv.glmnet) of several model families:
  lasso and elastic-net GLMs fitted to convergence, and nets whose inputs
  switch off (a group lasso on one input kernel shared by the linear skip and
  the hidden units; 32 units, and 2 x 128 with dropout), early-stopped. The
  family is chosen by the one-standard-error rule across families (a net must
  beat the GLMs by more than the noise of cross-validation), its strength by
  --rule. The chosen model is then fitted on every row; CV scores are the
  mean ± standard error over the folds. No row is held out unless --test-size
  asks for it.

examples:
  kreg tune                                 # the embedded breast cancer data
  kreg tune sales.csv --target churned      # your CSV, task detected
  kreg tune sales.csv --target churned --test-size 0.2  # a held-out score too
  kreg tune houses.csv --target price --search bayesian --trials 30
  kreg tune sales.csv --target churned --out runs/a   # again: resumes runs/a

The output folder holds best_model.keras (its preprocessing inside: it takes
the CSV's columns, and loads with plain Keras), trials.csv, report.json,
report.md and plots/*.png. Run the same command on an existing folder to
resume an interrupted run (even after kill -9: at most one strength of one
path is fitted again); a second run on a folder in use stops (exit 2).
"""


def _int_at_least(low: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected an integer >= {low}, got {text!r}"
            ) from None
        if value < low:
            raise argparse.ArgumentTypeError(
                f"expected an integer >= {low}, got {value}"
            )
        return value

    return parse


def _seed(text: str) -> int:
    # scikit-learn's splits and numpy's legacy generators take 32-bit seeds.
    value = _int_at_least(0)(text)
    if value > _MAX_SEED:
        raise argparse.ArgumentTypeError(
            f"expected an integer in [0, {_MAX_SEED}], got {value}"
        )
    return value


_MAX_SEED = 2**32 - 1


def _test_size(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0.05 <= value <= 0.5:
        raise argparse.ArgumentTypeError(
            f"expected a fraction in [0.05, 0.5], got {text!r}"
        )
    return value


class _Parser(argparse.ArgumentParser):
    """Bad usage is one line on stderr, as every other bad input."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="kreg",
        description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    from kreg import __version__

    parser.add_argument("--version", action="version", version=f"kreg {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True
    defaults = Settings()

    tune = commands.add_parser(
        "tune",
        help="tune a regularized network on a CSV file (or the embedded data)",
        description="Fit cross-validated λ paths of GLMs and nets (or, with "
        "--search, a KerasTuner search over penalty kind, strength and "
        "dropout), blend the families by their out-of-fold predictions (or "
        "choose one by the one-standard-error rule), fit on every row, and "
        "write a report.",
        epilog=_TUNE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    tune.add_argument(
        "data",
        nargs="?",
        metavar="DATA.csv",
        help="a CSV file with a header row; leave out for the embedded breast "
        "cancer data from scikit-learn (569 rows, 30 features)",
    )
    tune.add_argument(
        "--target",
        metavar="COLUMN",
        help="the column to predict (default: the last column; 'diagnosis' for "
        "the embedded data)",
    )
    tune.add_argument(
        "--task",
        choices=("classification", "regression"),
        help="default: detected from the target (text or few integer values: "
        "classification)",
    )
    tune.add_argument(
        "--drop",
        metavar="COLUMN",
        action="append",
        help="a column to leave out (an identifier, say); repeat for several",
    )
    tune.add_argument(
        "--cv",
        type=_int_at_least(2),
        metavar="K",
        help=f"folds of cross-validation (default: {defaults.cv})",
    )
    tune.add_argument(
        "--trials",
        type=_int_at_least(1),
        metavar="N",
        help=f"strengths per λ path, or trials of a --search (default: "
        f"{defaults.trials}; ignored by hyperband)",
    )
    tune.add_argument(
        "--epochs",
        type=_int_at_least(1),
        metavar="N",
        help="most epochs per strength of a path (a net's are early-stopped, a "
        "GLM's stop at convergence) or per fit of a --search (default: "
        f"{defaults.epochs})",
    )
    tune.add_argument(
        "--search",
        choices=SEARCHES,
        help="path: kreg.tuning.tabular_path, cross-validated λ paths of GLMs "
        "and nets, the family by the 1se rule (default); random, bayesian, "
        "hyperband: a KerasTuner search over penalty kind, strength and "
        "dropout of one net, each trial cross-validated",
    )
    tune.add_argument(
        "--tuner",
        choices=TUNERS,
        dest="search_tuner",
        help="the same as --search with a KerasTuner oracle",
    )
    tune.add_argument(
        "--path",
        action="store_const",
        const="path",
        dest="search_path",
        help="the same as --search path (the default)",
    )
    tune.add_argument(
        "--rule",
        choices=RULES,
        help=f"which choice best_model.keras is (default: {defaults.rule})",
    )
    tune.add_argument(
        "--combine",
        choices=COMBINES,
        help="how the families' paths become the saved model: 'blend' averages "
        "them with weights from their out-of-fold predictions, 'select' keeps "
        f"the one the 1se rule across families picks (default: {defaults.combine})",
    )
    tune.add_argument(
        "--no-ensemble",
        action="store_const",
        const=False,
        dest="ensemble",
        help="save a net family's fit on all rows alone (default: for a net, "
        "the average of its fold models and that fit; a GLM is saved alone)",
    )
    tune.add_argument(
        "--no-members",
        action="store_const",
        const=False,
        dest="members",
        help="with --search: fit each fold of a trial on its own, one after "
        "another (default: a trial's k folds train together as the k members "
        "of one stacked model, each with its own fold's preprocessing)",
    )
    tune.add_argument(
        "--test-size",
        type=_test_size,
        metavar="FRACTION",
        help="share of rows held out for a test score, fitted on by nothing "
        "(default: none; cross-validation estimates the score and the final "
        "model is fitted on every row)",
    )
    tune.add_argument(
        "--seed",
        type=_seed,
        help=f"seed of the split, the folds and the search, below 2**32 (default: "
        f"{defaults.seed})",
    )
    tune.add_argument(
        "--non-numeric-as-missing",
        action="store_true",
        default=None,
        help="read the few non-numeric cells of a mostly numeric column as "
        "missing values (default: such a column is an error naming the cells)",
    )
    tune.add_argument(
        "--out",
        metavar="DIR",
        help="output folder (default: kreg_runs/<data name>); an existing run "
        "folder is resumed",
    )

    report = commands.add_parser(
        "report",
        help="rebuild the report of a finished or interrupted run",
        description="Rebuild report.json, report.md and the plots of a run "
        "folder, finished or interrupted, and print the result table.",
    )
    report.add_argument("folder", metavar="FOLDER", help="the run's output folder")
    for command in (tune, report):
        command.add_argument(
            "--verbose",
            action="store_true",
            help="show TensorFlow's start-up log lines (hidden by default)",
        )
    return parser


def _start_tensorflow(verbose: bool) -> None:
    """Loads kreg (and TensorFlow) without TensorFlow's C++ log lines.

    Without this a CPU machine prints start-up lines and a CUDA probe error
    (``failed call to cuInit``) that looks like a failure. The log level is
    read when TensorFlow loads, so it is set first; a few lines are written
    while its libraries load, before the level is read, so stderr is muted
    for the import itself (an import error is raised after it is restored).
    A ``TF_CPP_MIN_LOG_LEVEL`` the user set is left alone.
    """
    quiet = not verbose and "TF_CPP_MIN_LOG_LEVEL" not in os.environ
    if quiet and "tensorflow" not in sys.modules:
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
        sys.stderr.flush()
        saved = os.dup(2)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        try:
            import tensorflow  # noqa: F401
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            os.close(devnull)
    import kreg

    kreg._load_api()  # registers kreg's classes: saved models load


def _settings(args) -> tuple[Settings, set[str]]:
    settings = Settings()
    given = set()
    args.search = args.search or args.search_tuner or args.search_path
    for name in (
        "data",
        "target",
        "task",
        "drop",
        "cv",
        "trials",
        "epochs",
        "search",
        "rule",
        "test_size",
        "seed",
        "non_numeric_as_missing",
        "ensemble",
        "members",
        "combine",
    ):
        value = getattr(args, name)
        if value is not None:
            setattr(settings, name, value)
            given.add(name)
    return settings, given


def _error(command: str, message: str) -> None:
    message = " ".join(str(message).split())
    sys.stderr.write(f"kreg {command}: error: {message}\n")


def _print_result(folder: str, report: dict) -> None:
    from kreg.cli.report import final_table, text_table

    out = sys.stdout
    final = report["final"]
    if final is not None:
        path = Settings.from_dict(report["settings"]).path
        table = final_table(final, report["data"]["task"], path)
        out.write("\n" + text_table(table) + "\n")
    else:
        planned = report["trials_planned"]
        done = (
            f"{report.get('strengths_saved', 0)} fitted strengths saved"
            if Settings.from_dict(report["settings"]).path
            else f"{report['trials_done']}"
            + (f" of {planned}" if planned else "")
            + " trials done"
        )
        out.write(
            f"interrupted run: {done}; run kreg tune with --out {folder} to resume\n"
        )
    out.write(f"\nreport: {os.path.join(folder, 'report.md')}\n")
    if final is not None:
        out.write(f"model:  {os.path.join(folder, 'best_model.keras')}\n")
    out.flush()


def _missing_extras(command: str) -> bool:
    """True (after one error line) if pandas or matplotlib is not installed."""
    missing = []
    for module in ("pandas", "matplotlib"):
        try:
            __import__(module)
        except ImportError:
            missing.append(module)
    if missing:
        _error(
            command,
            f'needs {" and ".join(missing)}: pip install "kreg[all]" (or '
            f"pip install {' '.join(missing)})",
        )
    return bool(missing)


def _tune(args) -> int:
    from kreg.cli import store
    from kreg.cli.lock import FolderInUse
    from kreg.cli.tune import UsageError, tune

    settings, given = _settings(args)
    try:
        folder = tune(settings, args.out, given, sys.stderr)
    except (UsageError, FolderInUse) as error:
        _error("tune", str(error))
        return 2
    # The report the run wrote under its lock, not a rebuild outside it.
    _print_result(folder, store.read_json(os.path.join(folder, "report.json")))
    return 0


def _report(args) -> int:
    if _missing_extras("report"):
        return 1
    from kreg._validation import InvalidArgumentError
    from kreg.cli.lock import FolderInUse, RunLock
    from kreg.cli.report import build_report, check_run

    try:
        check_run(args.folder)
        with RunLock(args.folder, "kreg report"):
            report = build_report(args.folder)
    except (InvalidArgumentError, FolderInUse) as error:
        _error("report", str(error))
        return 2
    _print_result(args.folder, report)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Runs the ``kreg`` command line; returns the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # --help (0) or bad usage (2)
        return int(exit_.code or 0)
    command = {"tune": _tune, "report": _report}[args.command]
    if args.command == "tune":
        if _missing_extras("tune"):
            return 1
        # A mistyped path is told at once, not after TensorFlow has loaded.
        from kreg._validation import InvalidArgumentError
        from kreg.data.table import check_csv_path

        try:
            if args.data is not None:
                check_csv_path(args.data)
        except InvalidArgumentError as error:
            _error("tune", str(error))
            return 2
    try:
        _start_tensorflow(args.verbose)
        return command(args)
    except KeyboardInterrupt:
        _error(args.command, "interrupted; run the same command again to resume")
        return 130
    except Exception as error:  # a failure, not bad input: show where
        traceback.print_exc()
        first = (str(error).strip().splitlines() or [""])[0]
        _error(args.command, f"{type(error).__name__}: {first}")
        return 1


if __name__ == "__main__":
    sys.exit(main())

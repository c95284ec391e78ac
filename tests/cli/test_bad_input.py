"""``kreg`` on bad input: exit code 2, one line on stderr, nothing written.

Every case runs ``main()`` in this process and must fail in the checks that
run before the run folder is made: training or writing is patched to raise,
so a case that got that far fails here instead of running.
"""

import hashlib
import json
import os

import numpy as np
import pandas as pd
import pytest

import kreg.cli.tune
from kreg.cli.main import main


def _csv(tmp, text, name="d.csv"):
    path = tmp / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return str(path)


def _frame(n=30, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "x": rng.normal(size=n).round(3),
            "z": rng.normal(size=n).round(3),
            "c": rng.choice(["p", "q"], n),
            "y": np.tile([0, 1], n // 2),
        }
    )


def _good(tmp, name="d.csv", **changes):
    """A valid 30-row table with ``changes`` made to some cells (col: {row: v})."""
    frame = _frame().astype(object)
    for column, cells in changes.items():
        for row, value in cells.items():
            frame.loc[row, column] = value
    path = tmp / name
    frame.to_csv(path, index=False)
    return str(path)


def _run_folder(tmp, data, run=None, name="run"):
    folder = tmp / name
    folder.mkdir()
    settings = {"data": os.path.abspath(data), "cv": 3, "trials": 8, "seed": 0}
    body = (
        run
        if run is not None
        else {"settings": settings, "status": "running", "data_sha256": "0" * 64}
    )
    text = body if isinstance(body, str) else json.dumps(body)
    (folder / "run.json").write_text(text)
    return str(folder)


def _rows_text(header, rows):
    return header + "\n" + "".join(r + "\n" for r in rows)


def _wide(tmp):
    rng = np.random.default_rng(0)
    values = rng.integers(0, 100, size=(20, 5000))
    header = ",".join(f"f{i}" for i in range(5000)) + ",y"
    rows = [",".join(map(str, row)) + f",{i % 2}" for i, row in enumerate(values)]
    return _csv(tmp, _rows_text(header, rows), "wide.csv")


# name: (argv builder (tmp_path -> argv after "kreg"), fragment of the message)
CASES = {
    # -- files ---------------------------------------------------------------
    "no such file": (
        lambda t: ["tune", str(t / "missing.csv")],
        "expected an existing CSV file",
    ),
    "empty file": (
        lambda t: ["tune", _csv(t, "")],
        "(the file is empty)",
    ),
    "header only": (
        lambda t: ["tune", _csv(t, "x,y\n")],
        "it has a header and no rows",
    ),
    "blank lines only": (
        lambda t: ["tune", _csv(t, "\n\n\n")],
        "(the file is empty)",
    ),
    "non-UTF-8 bytes": (
        lambda t: [
            "tune",
            _csv(t, _rows_text("x,y", ["1,caf\xe9"] * 8).encode("latin-1")),
        ],
        "expected a readable CSV file",
    ),
    "binary file": (
        lambda t: ["tune", _csv(t, bytes(range(256)) * 40)],
        "it holds binary data",
    ),
    "a directory as the file": (
        lambda t: ["tune", str(t)],
        "expected an existing CSV file",
    ),
    "ragged rows": (
        lambda t: ["tune", _csv(t, "x,y\n1,2\n3,4,5,6\n5,6\n")],
        "expected a readable CSV file",
    ),
    "unclosed quote": (
        lambda t: ["tune", _csv(t, 'x,y\n"1,2\n3,4\n')],
        "expected a",
    ),
    "5,000 columns on 20 rows, --cv above the rows": (
        lambda t: ["tune", _wide(t), "--cv", "25"],
        "rows of each class for 25-fold cross-validation",
    ),
    # -- columns -------------------------------------------------------------
    "missing target column": (
        lambda t: ["tune", _good(t), "--target", "price"],
        "argument `target` of kreg tune: expected a column of",
    ),
    "unknown --drop column": (
        lambda t: ["tune", _good(t), "--drop", "nope"],
        "argument `drop` of kreg tune: expected columns of",
    ),
    "--drop the target": (
        lambda t: ["tune", _good(t), "--drop", "y"],
        "expected columns other than the target",
    ),
    "only the target column": (
        lambda t: ["tune", _csv(t, _rows_text("y", ["0", "1"] * 10))],
        "at least one feature column besides the target",
    ),
    "target of one class": (
        lambda t: ["tune", _good(t, y={i: 0 for i in range(30)})],
        "no constant column (target 'y'",
    ),
    "target only NaN": (
        lambda t: ["tune", _good(t, y={i: np.nan for i in range(30)})],
        "no empty column (target 'y' holds only missing values)",
    ),
    "NaN in the target leaves too few rows": (
        lambda t: ["tune", _good(t, y={i: np.nan for i in range(26)})],
        "rows of each class for 3-fold cross-validation",
    ),
    "feature only NaN": (
        lambda t: ["tune", _good(t, x={i: np.nan for i in range(30)})],
        "no empty column (column 'x' holds only missing values",
    ),
    "inf in a feature": (
        lambda t: ["tune", _good(t, x={4: np.inf})],
        "finite numbers within float32's range (column 'x': row 5 (inf)",
    ),
    "-inf in a feature": (
        lambda t: ["tune", _good(t, z={0: -np.inf, 9: -np.inf})],
        "(column 'z': row 1 (-inf), row 10 (-inf)",
    ),
    "a number beyond float32": (
        lambda t: ["tune", _good(t, x={2: 1e39})],
        "(column 'x': row 3 (1e+39)",
    ),
    "inf in a regression target": (
        lambda t: [
            "tune",
            _good(t, y={i: float(i) + 0.5 for i in range(30)} | {7: np.inf}),
        ],
        "(target 'y': row 8 (inf)",
    ),
    "text in a numeric column": (
        lambda t: ["tune", _good(t, x={2: "abc", 11: "n/a?"})],
        "numbers in column 'x', as in most of its rows (not a number: row 3 "
        "('abc'), row 12 ('n/a?')",
    ),
    "text in a numeric target": (
        lambda t: [
            "tune",
            _good(t, y={i: float(i) + 0.5 for i in range(30)} | {3: "oops"}),
        ],
        "numbers in column 'y'",
    ),
    "one row": (
        lambda t: ["tune", _csv(t, "x,y\n1,0\n")],
        "no constant column (target 'y'",
    ),
    "two rows": (
        lambda t: ["tune", _csv(t, "x,y\n1,0\n2,1\n")],
        "rows of each class for 3-fold cross-validation",
    ),
    "duplicate column names": (
        lambda t: ["tune", _csv(t, _rows_text("a,a,y", ["1,2,0", "3,4,1"] * 10))],
        "a header with distinct column names ('a' appear more than once)",
    ),
    "a name three times": (
        lambda t: [
            "tune",
            _csv(t, _rows_text("a,b,a,a,y", ["1,2,3,4,0", "5,6,7,8,1"] * 10)),
        ],
        "('a' appear more than once)",
    ),
    "an identifier column": (
        lambda t: ["tune", _good(t, c={i: f"id{i}" for i in range(30)})],
        "no identifier column (text column 'c'",
    ),
    "only constant features": (
        lambda t: [
            "tune",
            _good(
                t,
                x={i: 1.0 for i in range(30)},
                z={i: 2.0 for i in range(30)},
                c={i: "p" for i in range(30)},
            ),
        ],
        "at least one feature column that is not constant (constant: 'x', 'z', 'c')",
    ),
    "text target with --task regression": (
        lambda t: [
            "tune",
            _good(t, y={i: "ab"[i % 2] for i in range(30)}),
            "--task",
            "regression",
        ],
        "a numeric column for regression",
    ),
    "boolean target with --task regression": (
        lambda t: [
            "tune",
            _good(t, y={i: bool(i % 2) for i in range(30)}),
            "--task",
            "regression",
        ],
        "a numeric column for regression",
    ),
    "too few rows for regression": (
        lambda t: [
            "tune",
            _csv(t, "x,y\n1,0.5\n2,1.5\n3,2.5\n4,3.5\n5,4.1\n"),
            "--task",
            "regression",
        ],
        "at least 6 rows for 3-fold cross-validation (it has 5)",
    ),
    "a class with too few rows": (
        lambda t: ["tune", _good(t, y={i: 0 for i in range(27)})],
        "(class 1 of 'y' has 2)",
    ),
    "a different class in every row": (
        lambda t: ["tune", _good(t, y={i: f"k{i}" for i in range(30)})],
        "has 1)",
    ),
    "--cv above the rows": (
        lambda t: ["tune", _good(t), "--cv", "40"],
        "rows of each class for 40-fold cross-validation",
    ),
    # -- flags ---------------------------------------------------------------
    "--cv 1": (
        lambda t: ["tune", _good(t), "--cv", "1"],
        "argument --cv: expected an integer >= 2, got 1",
    ),
    "--cv 0": (
        lambda t: ["tune", _good(t), "--cv", "0"],
        "argument --cv: expected an integer >= 2, got 0",
    ),
    "--cv not a number": (
        lambda t: ["tune", _good(t), "--cv", "two"],
        "argument --cv: expected an integer >= 2, got 'two'",
    ),
    "--trials 0": (
        lambda t: ["tune", _good(t), "--trials", "0"],
        "argument --trials: expected an integer >= 1, got 0",
    ),
    "--trials negative": (
        lambda t: ["tune", _good(t), "--trials", "-3"],
        "argument --trials: expected an integer >= 1, got -3",
    ),
    "--epochs negative": (
        lambda t: ["tune", _good(t), "--epochs", "-1"],
        "argument --epochs: expected an integer >= 1, got -1",
    ),
    "--epochs 0": (
        lambda t: ["tune", _good(t), "--epochs", "0"],
        "argument --epochs: expected an integer >= 1, got 0",
    ),
    "--seed negative": (
        lambda t: ["tune", _good(t), "--seed", "-1"],
        "argument --seed: expected an integer >= 0, got -1",
    ),
    "--seed huge": (
        lambda t: ["tune", _good(t), "--seed", "1099511627776"],
        "argument --seed: expected an integer in [0, 4294967295]",
    ),
    "--seed 2**32": (
        lambda t: ["tune", _good(t), "--seed", "4294967296"],
        "argument --seed: expected an integer in [0, 4294967295]",
    ),
    "--test-size too large": (
        lambda t: ["tune", _good(t), "--test-size", "0.9"],
        "argument --test-size: expected a fraction in [0.05, 0.5]",
    ),
    "--test-size nan": (
        lambda t: ["tune", _good(t), "--test-size", "nan"],
        "argument --test-size: expected a fraction in [0.05, 0.5]",
    ),
    "--tuner unknown": (
        lambda t: ["tune", _good(t), "--tuner", "grid"],
        "argument --tuner: invalid choice: 'grid'",
    ),
    "--task unknown": (
        lambda t: ["tune", _good(t), "--task", "ranking"],
        "argument --task: invalid choice: 'ranking'",
    ),
    "--rule unknown": (
        lambda t: ["tune", _good(t), "--rule", "max"],
        "argument --rule: invalid choice: 'max'",
    ),
    "unknown flag": (
        lambda t: ["tune", _good(t), "--bogus"],
        "unrecognized arguments: --bogus",
    ),
    "flag without its value": (
        lambda t: ["tune", _good(t), "--target"],
        "argument --target: expected one argument",
    ),
    "no command": (lambda t: [], "the following arguments are required: COMMAND"),
    "unknown command": (lambda t: ["train"], "invalid choice: 'train'"),
    # -- folders -------------------------------------------------------------
    "--out unwritable (/proc)": (
        lambda t: ["tune", _good(t), "--out", "/proc/kreg-x"],
        "expected a folder that can be created (/proc:",
    ),
    "--out under a file": (
        lambda t: ["tune", _good(t), "--out", str(t / "d.csv" / "sub")],
        "d.csv is a file)",
    ),
    "--out deep under a file": (
        lambda t: ["tune", _good(t), "--out", str(t / "d.csv" / "a" / "b")],
        "d.csv is a file)",
    ),
    "--out an existing file": (
        lambda t: ["tune", _good(t), "--out", _good(t, "other.csv")],
        "expected a new or empty folder, or a kreg run folder to resume",
    ),
    "--out an unrelated non-empty folder": (
        lambda t: [
            "tune",
            _good(t),
            "--out",
            os.path.dirname(_csv(t, "mine", os.path.join("busy", "notes.txt"))),
        ],
        "expected a new or empty folder, or a kreg run folder to resume",
    ),
    "--out a run folder with an unreadable run.json": (
        lambda t: ["tune", _good(t), "--out", _run_folder(t, "d.csv", run="{oops")],
        "expected a run folder with a readable run.json",
    ),
    "--out a run folder with other settings": (
        lambda t: [
            "tune",
            _good(t),
            "--cv",
            "4",
            "--out",
            _run_folder(t, t / "d.csv"),
        ],
        "differs: --cv 4 (the run has 3)",
    ),
    "--out a run folder whose data changed": (
        lambda t: ["tune", _good(t), "--out", _run_folder(t, t / "d.csv")],
        "expected the data the run in",
    ),
    "report on a folder that is no run": (
        lambda t: ["report", str(t)],
        "expected a kreg run folder (with run.json)",
    ),
    "report on a missing folder": (
        lambda t: ["report", str(t / "nowhere")],
        "expected a kreg run folder (with run.json)",
    ),
    "report on an unreadable run.json": (
        lambda t: ["report", _run_folder(t, "d.csv", run="[1, 2")],
        "expected a run folder with a readable run.json",
    ),
    "report on a run.json without settings": (
        lambda t: ["report", _run_folder(t, "d.csv", run={"status": "running"})],
        "expected a run folder with a readable run.json",
    ),
}


def _snapshot(root) -> dict:
    """Every path under ``root`` with its content hash (or "dir")."""
    tree = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs:
            tree[os.path.join(folder, name)] = "dir"
        for name in files:
            path = os.path.join(folder, name)
            with open(path, "rb") as f:
                tree[path] = hashlib.sha256(f.read()).hexdigest()
    return tree


@pytest.fixture
def no_run(monkeypatch):
    """Makes any case that gets past the checks fail loudly, not train."""

    def started(*args, **kwargs):
        raise AssertionError("the checks let it through: the run started")

    for name in ("_write_run", "run_search", "run_path", "build_report"):
        monkeypatch.setattr(kreg.cli.tune, name, started)


def test_the_matrix_is_large_enough():
    assert len(CASES) >= 48


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_exits_2_with_one_line(case, tmp_path, capsys, no_run):
    make_argv, fragment = CASES[case]
    argv = make_argv(tmp_path)
    before = _snapshot(tmp_path)
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2, (code, err)
    assert err.count("\n") == 1 and err.endswith("\n"), err
    assert err.startswith("kreg"), err
    assert "Traceback" not in err
    assert fragment in err, err
    assert _snapshot(tmp_path) == before

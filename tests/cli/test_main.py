"""The ``kreg`` command line: usage, bad input, a run, its report, resuming."""

import json
import os
import subprocess
import sys

import keras
import numpy as np
import pandas as pd
import pytest

import kreg.cli.tune
from kreg.cli.main import main

TINY = ["--trials", "1", "--epochs", "2", "--cv", "2", "--seed", "3"]


def _columns(model, rows):
    return {
        n: rows[n].to_numpy(str if x.dtype == "string" else "float32")
        for n, x in model.input.items()
    }


def _error_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.strip()]


def test_help_everywhere(capsys):
    for argv, usage in (
        (["--help"], "usage: kreg [-h]"),
        (["tune", "--help"], "usage: kreg tune [-h]"),
        (["report", "--help"], "usage: kreg report [-h]"),
    ):
        assert main(argv) == 0
        assert capsys.readouterr().out.startswith(usage), argv
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("kreg ")


BAD_USAGE = [
    ([], "the following arguments are required: COMMAND"),
    (["train"], "invalid choice: 'train'"),
    (["tune", "--cv", "1"], "argument --cv: expected an integer >= 2, got 1"),
    (["tune", "--trials", "many"], "argument --trials: expected an integer"),
    (["tune", "--tuner", "grid"], "argument --tuner: invalid choice: 'grid'"),
    (["tune", "--test-size", "0.9"], "argument --test-size: expected a fraction"),
    (["tune", "--bogus"], "unrecognized arguments: --bogus"),
]


def test_bad_usage_exits_2(capsys):
    for argv, fragment in BAD_USAGE:
        assert main(argv) == 2, argv
        assert fragment in capsys.readouterr().err, argv


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


BAD_INPUTS = {
    "no such file": (
        lambda tmp: [str(tmp / "missing.csv")],
        "argument `data` of kreg tune: expected an existing CSV file",
    ),
    "no such target": (
        lambda tmp: [_write(tmp, "a.csv", "x,y\n1,2\n3,4\n"), "--target", "price"],
        "argument `target` of kreg tune: expected a column of",
    ),
    "empty file": (
        lambda tmp: [_write(tmp, "a.csv", "")],
        "a CSV file with a header and rows (the file is empty)",
    ),
    "header only": (
        lambda tmp: [_write(tmp, "a.csv", "x,y\n")],
        "a CSV file with rows (it has a header and no rows)",
    ),
    "text target for regression": (
        lambda tmp: [
            _write(tmp, "a.csv", "x,y\n1,a\n2,b\n3,a\n"),
            "--target",
            "y",
            "--task",
            "regression",
        ],
        "a numeric column for regression (column 'y' holds text such as 'a'",
    ),
    "only constant columns": (
        lambda tmp: [_write(tmp, "a.csv", "x,k,y\n1,5,0\n1,5,1\n1,5,0\n")],
        "at least one feature column that is not constant (constant: 'x', 'k')",
    ),
    "constant target": (
        lambda tmp: [_write(tmp, "a.csv", "x,y\n1,0\n2,0\n3,0\n")],
        "no constant column (target 'y' holds the single value 0)",
    ),
    "NaN-only column": (
        lambda tmp: [_write(tmp, "a.csv", "x,e,y\n1,,0\n2,,1\n3,,0\n")],
        "no empty column (column 'e' holds only missing values; leave it out "
        "with --drop e)",
    ),
    "too few rows per class": (
        lambda tmp: [_write(tmp, "a.csv", "x,y\n1,0\n2,1\n3,0\n4,1\n5,0\n")],
        "at least 3 rows of each class for 3-fold cross-validation (class 1",
    ),
    "too few rows per class for a test split": (
        lambda tmp: [
            _write(tmp, "a.csv", "x,y\n1,0\n2,1\n3,0\n4,1\n5,0\n6,1\n7,0\n"),
            "--test-size",
            "0.2",
        ],
        "at least 5 rows of each class for 3-fold cross-validation and a test split",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_is_one_line_and_writes_nothing(case, tmp_path, capsys):
    make_args, message = BAD_INPUTS[case]
    out = tmp_path / "run"
    assert main(["tune", *make_args(tmp_path), "--out", str(out)]) == 2
    lines = _error_lines(capsys.readouterr().err)
    assert len(lines) == 1, lines
    assert lines[0].startswith("kreg tune: error: Invalid value for argument")
    assert message in lines[0]
    assert not out.exists()


def test_out_folder_with_other_files_is_refused(tmp_path, sales_csv, capsys):
    out = tmp_path / "busy"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    assert main(["tune", str(sales_csv), "--out", str(out)]) == 2
    assert "a new or empty folder, or a kreg run folder" in capsys.readouterr().err
    assert os.listdir(out) == ["notes.txt"]


def test_report_on_a_folder_that_is_no_run(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == 2
    assert "expected a kreg run folder" in capsys.readouterr().err


def test_bad_input_in_a_subprocess(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "kreg", "tune", str(tmp_path / "nope.csv")],
        capture_output=True,
        text=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
        timeout=120,
    )
    assert result.returncode == 2
    errors = [e for e in result.stderr.splitlines() if e.startswith("kreg tune:")]
    assert errors == [
        "kreg tune: error: Invalid value for argument `data` of kreg tune: expected "
        f"an existing CSV file. Received: data={str(tmp_path / 'nope.csv')!r}"
    ]
    assert result.stdout == ""


def test_a_missing_csv_is_told_before_tensorflow_loads(tmp_path, monkeypatch, capsys):
    def load(verbose):
        raise AssertionError("TensorFlow was loaded first")

    # kreg.cli.main is also the function's name: the module from sys.modules.
    monkeypatch.setattr(sys.modules["kreg.cli.main"], "_start_tensorflow", load)
    assert main(["tune", str(tmp_path / "nope.csv")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("kreg tune: error: Invalid value for argument `data`")


@pytest.mark.slow
def test_interrupt_report_resume_finish(tmp_path, churn_csv, capsys, monkeypatch):
    out = tmp_path / "run"
    search = ["--search", "random", "--test-size", "0.2"]
    argv = ["tune", str(churn_csv), *TINY, *search, "--out", str(out)]

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt  # as Ctrl-C after the search

    monkeypatch.setattr(kreg.cli.tune, "finish", interrupt)
    assert main(argv) == 130
    monkeypatch.undo()
    err = capsys.readouterr().err
    assert "task classification (detected" in err
    assert "each trial's 2 folds as the members of one fit" in err
    assert "interrupted; run the same command again to resume" in err

    # An interrupted run has a report of the trials done so far.
    assert main(["report", str(out)]) == 0
    assert "interrupted run: 1 of 1 trials done" in capsys.readouterr().out
    report = json.loads((out / "report.json").read_text())
    assert report["status"] == "interrupted" and report["final"] is None
    assert (out / "plots" / "score_vs_dropout.png").is_file()
    assert "**Interrupted**" in (out / "report.md").read_text()
    first = (out / "search" / "trial_0" / "cv.json").stat().st_mtime_ns

    # The same command resumes: no trial runs again, the run finishes.
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert "resuming into" in captured.err
    assert "best (min)" in captured.out and "unregularized" in captured.out
    assert (out / "search" / "trial_0" / "cv.json").stat().st_mtime_ns == first
    for name in (
        "best_model.keras",
        "trials.csv",
        "report.json",
        "report.md",
        "plots/score_vs_strength.png",
        "plots/score_vs_dropout.png",
        "plots/learning_curves.png",
        "plots/sparsity.png",
    ):
        assert (out / name).is_file(), name
    assert not [n for n in os.listdir(out) if n.startswith(".tmp-")]
    every = [os.path.join(r, n) for r, _, names in os.walk(out) for n in names]
    assert not [p for p in every if p.endswith((".joblib", ".pkl", ".pickle"))]
    report = json.loads((out / "report.json").read_text())
    assert report["status"] == "finished" and report["trials_done"] == 1
    assert report["data"]["classes"] == ["leave", "pause", "stay"]
    final = report["final"]["models"]
    assert set(final) == {"min", "1se", "unregularized"}
    assert 0 <= final["min"]["test"]["accuracy"] <= 1
    # The folds trained as the members of one stacked fit: their logs have
    # the members' scores (accuracy too), not a sequential fit's val_loss.
    assert report["settings"]["members"] is True
    fold = json.loads((out / "search" / "trial_0" / "fold_0.json").read_text())
    assert "val_loss" not in fold["history"][0]
    assert 0 <= final["min"]["cv_accuracy"] <= 1
    assert final["min"]["test"]["log_loss"] > 0 and final["min"]["cv_se"] >= 0
    trials = pd.read_csv(out / "trials.csv")
    assert len(trials) == 1 and {"fold_1", "fold_2"} <= set(trials.columns)
    markdown = (out / "report.md").read_text()
    assert "![CV score against penalty strength](plots/score_vs_strength.png)" in (
        markdown
    )
    assert "| best (1se) |" in markdown

    # The saved model loads with no custom objects and takes the CSV's columns;
    # it outputs class probabilities.
    model = keras.models.load_model(out / "best_model.keras")
    probabilities = np.asarray(model(_columns(model, pd.read_csv(churn_csv))))
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)

    # `kreg report` rebuilds every file from the folder.
    (out / "report.md").unlink()
    (out / "plots" / "sparsity.png").unlink()
    assert main(["report", str(out)]) == 0
    assert (out / "report.md").read_text() == markdown
    assert (out / "plots" / "sparsity.png").is_file()

    # The same command on a finished run only rebuilds the report, from the
    # search's own trials (here trials.csv lost its row, and a temporary file
    # of a killed report is lying around).
    model_time = (out / "best_model.keras").stat().st_mtime_ns
    (out / "trials.csv").write_text((out / "trials.csv").read_text().splitlines()[0])
    (out / "plots" / ".tmp-killed.png").write_bytes(b"half")
    assert main(argv) == 0
    assert "is finished; its report is rebuilt" in capsys.readouterr().err
    assert (out / "best_model.keras").stat().st_mtime_ns == model_time
    assert len(pd.read_csv(out / "trials.csv")) == 1
    assert json.loads((out / "report.json").read_text())["trials_done"] == 1
    assert not (out / "plots" / ".tmp-killed.png").exists()

    # A conflicting setting is bad usage, and changes nothing.
    assert main(["tune", str(churn_csv), "--target", "plan", "--out", str(out)]) == 2
    assert "differs: --target 'plan' (the run has None)" in capsys.readouterr().err
    assert len(pd.read_csv(out / "trials.csv")) == 1


@pytest.mark.slow
def test_regression_path_predicts_in_target_units(
    tmp_path, sales_csv, capsys, monkeypatch
):
    # Two of the default families keep the run short.
    families = kreg.tuning.default_candidates()[:2]
    monkeypatch.setattr(kreg.tuning, "default_candidates", lambda: families)
    out = tmp_path / "run"
    argv = ["tune", str(sales_csv), "--target", "revenue", "--path", "--trials", "3"]
    argv += ["--test-size", "0.2"]
    assert main([*argv, "--cv", "2", "--epochs", "3", "--out", str(out)]) == 0
    assert "task regression (detected" in capsys.readouterr().err
    report = json.loads((out / "report.json").read_text())
    # 3 strengths for each of the default families, cross-validated.
    families = len(kreg.tuning.default_candidates())
    assert report["settings"]["search"] == "path"
    assert report["trials_done"] == 3 * families
    assert "plots/path.png" in report["plots"]
    assert "mean over 2 folds" in report["objective"]
    min_model = report["final"]["models"]["min"]
    assert set(min_model["test"]) == {"rmse", "r2"}
    assert min_model["regularizer"] in {"l1", "elastic_net"}
    frame = pd.read_csv(out / "trials.csv")
    assert {"fold_1", "fold_2"} <= set(frame.columns)
    np.testing.assert_allclose(
        frame["score"], frame[["fold_1", "fold_2"]].mean(axis=1), rtol=1e-6
    )
    # Each candidate's path, strongest first.
    for _, group in frame.groupby(frame["trial_id"].str.rsplit("-", n=1).str[0]):
        assert np.all(np.diff(group["strength"].to_numpy()) < 0)
    frame = pd.read_csv(sales_csv)
    model = keras.models.load_model(out / "best_model.keras")
    assert model.layers[-1].name == "target_units"
    prediction = np.asarray(model(_columns(model, frame))).reshape(-1)
    # In revenue units, not z-scores: near the data's scale.
    assert abs(prediction.mean() - frame["revenue"].mean()) < frame["revenue"].std()


def test_missing_extras_are_one_line(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if not installed
    assert main(["tune"]) == 1
    assert capsys.readouterr().err == (
        'kreg tune: error: needs matplotlib: pip install "kreg[all]" '
        "(or pip install matplotlib)\n"
    )

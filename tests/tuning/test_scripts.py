"""The ready tuning scripts in ``tuning/`` run end to end on a tiny budget."""

import importlib
import os
import runpy
import sys

import pytest

import kreg

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _run(script, argv, monkeypatch):
    monkeypatch.setattr(sys, "argv", [script, *argv])
    # As ``python tuning/x.py`` does: the script's folder comes first on the
    # path, for the datasets module the scripts share.
    monkeypatch.syspath_prepend(os.path.join(ROOT, "tuning"))
    runpy.run_path(os.path.join(ROOT, "tuning", script), run_name="__main__")


def test_lambda_path_script(tmp_path, monkeypatch, capsys):
    plot = str(tmp_path / "path.png")
    _run(
        "lambda_path.py",
        ["--points", "3", "--epochs", "2", "--output", plot],
        monkeypatch,
    )
    out = capsys.readouterr().out
    assert "warm path (increasing)" in out and "1se: λ=" in out
    assert os.path.getsize(plot) > 0


def test_lambda_path_script_cross_validated_glm(tmp_path, monkeypatch, capsys):
    plot = str(tmp_path / "path.png")
    argv = ["--points", "2", "--epochs", "2", "--cv", "2", "--units", "0"]
    _run("lambda_path.py", [*argv, "--output", plot], monkeypatch)
    assert "warm 2-fold path (decreasing)" in capsys.readouterr().out


def test_tabular_path_script(monkeypatch, capsys):
    # A GLM and a net of the default families keep the run short; the choice
    # between them still runs.
    glm, net = (kreg.tuning.default_candidates()[i] for i in (0, 3))
    assert glm[0] == 0 and net[0] > 0
    module = importlib.import_module("kreg.tuning.tabular_path")
    monkeypatch.setattr(module, "default_candidates", lambda: [glm, net])
    argv = ["--dataset", "breast_cancer", "--points", "2", "--epochs", "2"]
    _run("tabular_path.py", [*argv, "--cv", "2"], monkeypatch)
    out = capsys.readouterr().out
    assert out.count("units=") == 2 and out.count("<- chosen") == 1
    assert "1se: λ=" in out and "log loss" in out


@pytest.mark.parametrize(
    "script, argv",
    [
        ("tabular_mlp.py", ["--trials", "1", "--cv", "2", "--epochs", "2"]),
        (
            "digits_cnn.py",
            ["--trials", "1", "--cv", "2", "--epochs", "1", "--samples", "200"],
        ),
    ],
)
def test_search_scripts(script, argv, tmp_path, monkeypatch, capsys):
    _run(script, [*argv, "--directory", str(tmp_path)], monkeypatch)
    assert capsys.readouterr().out.strip()

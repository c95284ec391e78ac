"""The default ``kreg tune``: λ paths, every row fitted, resumable after a kill."""

import json

import numpy as np
import pandas as pd
import pytest

import kreg
from kreg.cli.main import main
from kreg.tuning import checkpoint

#: Two small families keep the run short: a GLM and a net that selects inputs.
FAMILIES = [(0, "l1"), (4, "group_lasso", {"select_inputs": True})]

TINY = ["--trials", "2", "--epochs", "2", "--cv", "2"]


class Killed(Exception):
    """Stands for kill -9: nothing after it runs."""


def _csv(tmp_path):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(40, 3)), columns=["a", "b", "c"])
    frame["same"] = 7.0  # constant: dropped with a note
    frame["y"] = (frame["a"] - frame["b"] > 0).astype(int)
    path = tmp_path / "t.csv"
    frame.to_csv(path, index=False)
    return str(path)


def test_default_run_resumes_after_a_kill_and_fits_every_row(
    tmp_path, capsys, monkeypatch
):
    data, out = _csv(tmp_path), tmp_path / "run"
    argv = ["tune", data, *TINY, "--out", str(out)]
    saved = []
    original = checkpoint.PathCheckpoint.save

    def save(self, key, index, *rest):
        original(self, key, index, *rest)
        saved.append((self.folder, key, index))
        if len(saved) == 3 and not resumed:
            raise Killed

    resumed = False
    monkeypatch.setattr(checkpoint.PathCheckpoint, "save", save)
    monkeypatch.setattr(kreg.tuning, "default_candidates", lambda: FAMILIES)
    assert main(argv) == 1  # killed in the middle of the second family's path
    err = capsys.readouterr().err
    assert "left out 1 constant column(s) (a single value in every row): same" in err
    assert "rows: all 40 for 2-fold cross-validation and the final fit" in err
    killed = list(saved)
    assert main(["report", str(out)]) == 0
    # One file per strength, every fold and the final fit in it (members).
    assert "interrupted run: 3 fitted strengths saved" in capsys.readouterr().out
    saved.clear()
    resumed = True
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert "resuming into" in captured.err
    # Nothing saved before the kill is fitted again.
    assert not set(killed) & set(saved)
    # The GLM's 2 strengths and the net's first were saved: on from there.
    assert saved[0][0].endswith("candidate_1") and saved[0][2] == 1
    assert "blended by greedy ensemble selection on the out-of-fold" in captured.err
    report = json.loads((out / "report.json").read_text())
    final = report["final"]
    assert report["data"]["constant_columns"] == ["same"]
    assert report["data"]["test_rows"] == 0 and report["data"]["train_rows"] == 40
    chosen = final["models"]["min"]
    assert chosen["test"] is None and chosen["fitted_rows"] == 40
    assert chosen["family"] == final["chosen_family"]
    assert final["combine"] == "blend"
    weights = [f["weight"] for f in final["families"]]
    assert sum(weights) == pytest.approx(1.0) and all(w >= 0 for w in weights)
    # The family flagged is the heaviest; the blend names every one with weight.
    heaviest = max(final["families"], key=lambda f: f["weight"])
    assert heaviest["chosen"] and heaviest["family"] in final["chosen_family"]
    assert all(
        f["family"] in final["chosen_family"] for f in final["families"] if f["weight"]
    )
    assert "unregularized" not in final["models"]
    markdown = (out / "report.md").read_text()
    assert "No row was held out" in markdown and "test accuracy" not in markdown
    assert "## Model families" in markdown
    assert "Inputs the saved model uses" in markdown
    assert "`numeric__same`" not in markdown
    assert [f["family"] for f in final["families"]] == [
        "linear-l1",
        "select4-group_lasso",
    ]
    # --combine select on the same folder: nothing fitted again, one family
    # saved by the 1se rule across families.
    saved.clear()
    assert main([*argv, "--combine", "select"]) == 0
    assert not saved
    assert "chosen by the 1se rule across families:" in capsys.readouterr().err
    final = json.loads((out / "report.json").read_text())["final"]
    assert final["combine"] == "select"
    assert {f["family"] for f in final["families"] if f["chosen"]} == {
        final["chosen_family"]
    }
    assert all(f["weight"] is None for f in final["families"])


def test_a_net_is_saved_as_its_fold_ensemble_unless_asked_not_to(
    tmp_path, capsys, monkeypatch
):
    import zipfile

    monkeypatch.setattr(
        kreg.tuning,
        "default_candidates",
        lambda: [(4, "group_lasso", {"select_inputs": True})],
    )
    data, out = _csv(tmp_path), tmp_path / "run"
    argv = ["tune", data, "--trials", "1", "--epochs", "1", "--cv", "2"]
    argv += ["--out", str(out)]

    def saved():
        with zipfile.ZipFile(out / "best_model.keras") as archive:
            config = archive.read("config.json").decode()
        report = json.loads((out / "report.json").read_text())
        return config, report["final"]["models"]["min"], (out / "report.md").read_text()

    assert main(argv) == 0
    what = "an average of 2 fold models and the all-rows model"
    assert f"saving the min strength of select4-group_lasso: {what}" in (
        capsys.readouterr().err
    )
    config, entry, markdown = saved()
    assert entry["ensemble"] and entry["saved"] == what
    ensembled_inputs = entry["selected_inputs"]
    # The inputs of an ensemble are its members' (nested models).
    assert ensembled_inputs and entry["active_inputs"] == len(ensembled_inputs)
    assert '"member_2"' in config and "kreg" not in config
    assert f"is the *min* choice: {what}." in markdown
    assert "Each net averages its fit on all 40 rows" in markdown
    # Resumed with --no-ensemble: nothing is fitted again, the single fit saved.
    assert main([*argv, "--no-ensemble"]) == 0
    config, entry, markdown = saved()
    assert not entry["ensemble"] and '"member_' not in config
    assert set(entry["selected_inputs"]) <= set(ensembled_inputs)
    assert "is the *min* choice: the model fitted on all 40 rows." in markdown

"""The run record's pieces: final.json's entries and the choice of trials."""

import math

from kreg.cli import trials
from kreg.cli.run import result_entry


def _record(trial_id, score, se, level, **values):
    values = {"regularizer_kind": "l1", "regularizer_strength": 0.01, **values}
    result = {"score": score, "score_se": se, "epochs": 7, "level": level}
    return trials.make_record(trial_id, values, result)


def test_choose_is_kreg_tuning_select_min_and_1se():
    records = [
        _record("00", 1.00, 0.10, -3.0),
        _record("01", 1.05, 0.10, -1.0),  # within one se, more regularized
        _record("02", 1.50, 0.10, 0.0),
        _record("03", math.nan, math.nan, 2.0),  # failed: never chosen
    ]
    chosen = trials.choose(records[::-1])
    assert (chosen["min"]["trial_id"], chosen["1se"]["trial_id"]) == ("00", "01")
    assert trials.choose(records[3:]) == {}


def test_choose_breaks_ties_by_trial_id():
    records = [_record(i, 1.0, 0.0, 0.0) for i in ("02", "01", "03")]
    chosen = trials.choose(records)
    assert chosen["min"]["trial_id"] == chosen["1se"]["trial_id"] == "01"


def test_one_entry_builder_for_searches_baselines_and_paths():
    record = _record("04", 0.3, 0.02, -4.6, dropout_rate=0.2)
    sparsity = [{"layer": "linear"}]
    searched = result_entry("min", record, test=None, sparsity=sparsity)
    assert list(searched) == [
        "rule", "trial_id", "settings", "regularizer", "strength", "dropout",
        "cv_score", "cv_se", "cv_accuracy", "cv_accuracy_se", "epochs", "test",
        "sparsity", "model", "history",
    ]  # fmt: skip
    assert searched["settings"] == "l1 λ=1.00e-02, dropout 0.2"
    assert (searched["strength"], searched["cv_accuracy"]) == (0.01, None)
    assert (searched["model"], searched["history"]) == (
        "model_min.keras",
        "history_min.csv",
    )
    path = result_entry(
        "1se",
        record,
        test={"log_loss": 0.2},
        sparsity=sparsity,
        family="linear-l1",
        units=0,
        fitted_rows=50,
        selected_inputs=["a", "c"],
    )
    assert list(path) == [
        "rule", "trial_id", "family", "settings", "regularizer", "strength",
        "dropout", "units", "cv_score", "cv_se", "cv_accuracy", "cv_accuracy_se",
        "epochs", "fitted_rows", "test", "sparsity", "active_inputs",
        "selected_inputs", "model", "ensemble", "saved",
    ]  # fmt: skip
    assert path["settings"] == "linear-l1, l1 λ=1.00e-02, dropout 0.2"
    assert (path["active_inputs"], path["fitted_rows"]) == (2, 50)

"""Issue 15, defect 9: diverging trials are failed trials, and the limit of
failed trials in a row is the Tuner's argument."""

import io

import keras
import keras_tuner
import numpy as np
import pytest

import kreg
from kreg.cli import search


def diverging(hp):
    """A regression whose learning rate is so large that every fit gives NaN."""
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    rate = hp.Float("learning_rate", 1e29, 1e30, sampling="log")
    model.compile(keras.optimizers.SGD(rate), "mse", metrics=[kreg.metrics.DataLoss()])
    return model


def _data():
    x = np.random.default_rng(0).normal(size=(8, 2)).astype("float32") * 100
    return x, x[:, :1] * 3


def _tuner(tmp_path, **kwargs):
    return kreg.tuning.Tuner(
        diverging,
        cv=2,
        max_trials=4,
        patience=None,
        seed=0,
        directory=tmp_path,
        **kwargs,
    )


@pytest.fixture
def nan_folds(monkeypatch):
    """Every fold scores NaN at once, as a diverged fit does, with no training
    (the real divergence is tested once, below)."""

    def run_fold(self, trial, fold, *args, **kwargs):
        return {"score": float("nan"), "best_epoch": 0, "epochs_run": 1}

    monkeypatch.setattr(kreg.tuning.Tuner, "_run_fold", run_fold)


def test_a_diverging_fit_is_a_failed_trial(tmp_path):
    tuner = _tuner(tmp_path)
    tuner.oracle.max_trials = 1
    tuner.search(*_data(), epochs=1)
    trial = tuner.oracle.trials["0"]
    assert trial.status == "FAILED"
    assert "non-finite val_data_loss (the fit diverged)" in trial.message


def test_three_diverging_trials_stop_the_default_search(tmp_path, nan_folds):
    tuner = _tuner(tmp_path)
    assert tuner.oracle.max_consecutive_failed_trials == 3
    with pytest.raises(RuntimeError, match="consecutive failures"):
        tuner.search(*_data(), epochs=1)


def test_max_consecutive_failed_trials_lets_the_search_go_on(tmp_path, nan_folds):
    tuner = _tuner(tmp_path, max_consecutive_failed_trials=10)
    assert tuner.oracle.max_consecutive_failed_trials == 10
    tuner.search(*_data(), epochs=1)
    statuses = [t.status for t in tuner.oracle.trials.values()]
    assert statuses == ["FAILED"] * 4
    message = tuner.oracle.trials["0"].message
    assert "diverged" in message


@pytest.mark.parametrize("bad", [0, -1, 2.0, "3", True, None])
def test_max_consecutive_failed_trials_is_checked(bad, tmp_path):
    with pytest.raises(ValueError, match="`max_consecutive_failed_trials`"):
        _tuner(tmp_path, max_consecutive_failed_trials=bad)


def test_a_given_oracle_gets_the_limit(tmp_path):
    oracle = keras_tuner.oracles.RandomSearchOracle(max_trials=2)
    tuner = kreg.tuning.Tuner(
        diverging,
        oracle=oracle,
        cv=2,
        directory=tmp_path,
        max_consecutive_failed_trials=7,
    )
    assert tuner.oracle.max_consecutive_failed_trials == 7


class _Progress:
    def __init__(self):
        self.stream = io.StringIO()

    def trial_begin(self, trial_id):
        pass

    def trial_done(self, record):
        raise AssertionError("no trial can finish")

    def note(self, text):
        self.stream.write(text + "\n")

    def fold_done(self):
        pass


def test_the_cli_search_tolerates_its_diverging_corners(tmp_path, nan_folds):
    progress = _Progress()
    tuner = search.RunTuner(
        diverging,
        cv=2,
        max_trials=4,
        patience=None,
        seed=0,
        directory=tmp_path,
        out=None,
        progress=progress,
    )
    tuner.search(*_data(), epochs=1)  # four failures in a row: no RuntimeError
    notes = progress.stream.getvalue().splitlines()
    assert len(notes) == 4
    assert notes[0].startswith("trial 0 failed: Trial 0: a fold gave a non-finite")
    assert all("diverged" in note and "Traceback" not in note for note in notes)

"""The cross-validating tuner: fold scores, rules, refit, seeds, resumption."""

import json
import os
import random
import shutil

import keras
import keras_tuner
import numpy as np
import pytest

import kreg
from kreg.tuning.tuner import sequential_folds as tuner_module

EPOCHS = 2
FOLDS = 2  # of the shared search: two fits fewer per trial than three


def _data(n=24, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3)).astype("float32")
    y = (x @ np.array([1.0, 0.0, -1.0]) + 0.1 * rng.normal(size=n)).astype("float32")
    return x, y


def build(regularizer, dropout_rate):
    model = keras.Sequential(
        [
            keras.Input((3,)),
            keras.layers.Dense(4, "relu", kernel_regularizer=regularizer),
            keras.layers.Dropout(dropout_rate),
            keras.layers.Dense(1),
        ]
    )
    # Eager: tiny data, so tracing would cost more than it saves.
    model.compile(keras.optimizers.Adam(0.05), "mse", run_eagerly=True)
    return model


def _tuner(path, name="p", **kwargs):
    options = dict(cv=3, max_trials=3, seed=4, directory=path, project_name=name)
    options.update(kwargs)
    return kreg.tuning.Tuner(build, **options)


@pytest.fixture(scope="module")
def searched(tmp_path_factory):
    x, y = _data()
    tuner = _tuner(tmp_path_factory.mktemp("search"), cv=FOLDS)
    tuner.search(x, y, epochs=EPOCHS, batch_size=8)
    return tuner, x, y


def test_fold_scores_mean_and_standard_error_are_stored_with_each_trial(searched):
    tuner, _, _ = searched
    assert tuner.objective.name == "val_data_loss"
    rows = tuner.cv_results()
    assert len(rows) == 3
    for row in rows:
        trial_dir = os.path.join(tuner.project_dir, f"trial_{row['trial_id']}")
        with open(os.path.join(trial_dir, "trial.json")) as f:
            stored = json.load(f)["metrics"]["metrics"]
        folds = [
            stored[f"val_data_loss_fold_{k}"]["observations"][0]["value"][0]
            for k in range(FOLDS)
        ]
        np.testing.assert_allclose(row["fold_scores"], folds)
        assert row["mean"] == pytest.approx(np.mean(folds))
        assert row["standard_error"] == pytest.approx(
            np.std(folds, ddof=1) / np.sqrt(FOLDS)
        )
        for k in range(FOLDS):
            with open(os.path.join(trial_dir, f"fold_{k}.json")) as f:
                fold = json.load(f)
            history = [log["val_data_loss"] for log in fold["history"]]
            # The fold's score is its best epoch on the unpenalized data loss.
            assert fold["score"] == pytest.approx(min(history))
            assert fold["best_epoch"] == int(np.argmin(history))
        with open(os.path.join(trial_dir, "cv.json")) as f:
            summary = json.load(f)
        assert summary["fold_scores"] == pytest.approx(folds)


def test_objective_is_the_data_loss_not_the_penalized_val_loss(searched):
    tuner, _, _ = searched
    regularized = [
        r for r in tuner.cv_results() if r["hyperparameters"].get("regularizer_on")
    ]
    assert regularized
    trial_dir = os.path.join(tuner.project_dir, f"trial_{regularized[0]['trial_id']}")
    with open(os.path.join(trial_dir, "fold_0.json")) as f:
        history = json.load(f)["history"]
    # val_loss = val_data_loss + penalty > val_data_loss, and the score uses the latter.
    assert all(log["val_loss"] > log["val_data_loss"] for log in history)


def test_min_and_one_standard_error_choices(searched):
    tuner, _, _ = searched
    rows = tuner.cv_results()
    means = [r["mean"] for r in rows]
    assert tuner.best_trial("min").trial_id == rows[int(np.argmin(means))]["trial_id"]
    best = int(np.argmin(means))
    eligible = [
        r for r in rows if r["mean"] <= means[best] + rows[best]["standard_error"]
    ]
    expected = max(eligible, key=lambda r: (r["level"], -r["mean"]))
    assert tuner.best_trial("1se").trial_id == expected["trial_id"]
    assert tuner.best_hyperparameters("1se").values == expected["hyperparameters"]


@pytest.mark.parametrize("broken", ["oracle.json", "trial_0/trial.json"])
def test_a_corrupt_project_folder_is_a_clear_error(searched, tmp_path, broken):
    tuner, _, _ = searched
    shutil.copytree(tuner.project_dir, tmp_path / "p")
    with open(os.path.join(tmp_path, "p", broken), "w") as f:
        f.write('{"ongoing_trials": {')  # cut short, as by a crash
    with pytest.raises(
        ValueError, match=f"Cannot resume.*{broken}.*corrupt.*overwrite=True"
    ):
        _tuner(tmp_path, cv=FOLDS)
    _tuner(tmp_path, cv=FOLDS, overwrite=True)  # starting afresh works


def _record_fits(monkeypatch) -> list[int]:
    """Rows of every fit through the hypermodel's ``fit``, KerasTuner's hook
    (where a hypermodel may prepare each fold's rows)."""
    rows = []
    original = kreg.tuning.HyperModel.fit

    def fit(self, hp, model, x, *args, **kwargs):
        rows.append(len(x))
        return original(self, hp, model, x, *args, **kwargs)

    monkeypatch.setattr(kreg.tuning.HyperModel, "fit", fit)
    return rows


def test_refit_trains_on_all_data_for_the_cross_validated_epochs(searched, monkeypatch):
    tuner, x, y = searched
    fits = _record_fits(monkeypatch)
    trial = tuner.best_trial("min")
    with open(
        os.path.join(tuner.project_dir, f"trial_{trial.trial_id}", "cv.json")
    ) as f:
        epochs = int(round(np.median(json.load(f)["epochs"])))
    assert tuner.refit_epochs(trial.trial_id) == epochs
    model = tuner.refit(x, y, rule="min")
    assert fits == [24]
    assert len(model.history.history["loss"]) == epochs
    assert model.predict(x, verbose=0).shape == (24, 1)


@pytest.mark.parametrize("seed", [0, 4])
def test_same_seed_same_trials_and_scores(tmp_path, seed):
    x, y = _data(16)
    results = []
    for name, state in (("a", 1), ("b", 2)):
        # As in another process, the global random states differ: KerasTuner
        # once turned seed=0 into a random seed drawn from them.
        random.seed(state)
        tuner = _tuner(tmp_path, name, cv=2, max_trials=2, seed=seed)
        assert tuner.seed == seed and tuner.oracle.seed == seed + 1
        tuner.search(x, y, epochs=1, batch_size=8)
        results.append(tuner.cv_results())
    first, second = results
    assert [r["hyperparameters"] for r in first] == [
        r["hyperparameters"] for r in second
    ]
    for a, b in zip(first, second):
        np.testing.assert_allclose(a["fold_scores"], b["fold_scores"], rtol=1e-6)


def test_early_stopping_is_kregs_and_on_in_every_fit(tmp_path, monkeypatch):
    made = []
    original = tuner_module.early_stopping

    def spy(*args, **kwargs):
        made.append(original(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(tuner_module, "early_stopping", spy)
    fits = _record_fits(monkeypatch)
    x, y = _data()
    tuner = _tuner(tmp_path, cv=2, max_trials=1, patience=0)
    tuner.search(x, y, epochs=4, batch_size=8)
    assert len(made) == 2  # one per fold
    assert fits == [12, 12]
    for stopper in made:
        assert isinstance(stopper, kreg.callbacks.EarlyStopping)
        assert stopper.monitor == "val_data_loss"
        assert stopper.restore_best_weights
        assert stopper.values  # it watched the fit's epochs


@pytest.mark.parametrize("oracle", ["random", "bayesian", "grid", "hyperband"])
def test_every_keras_tuner_oracle(tmp_path, oracle):
    hypermodel = kreg.tuning.HyperModel(
        build,
        regularizer=lambda hp: kreg.regularizers.L2(hp.Choice("l2", [1e-3, 1e-1])),
        dropout_rate=0.0,
    )
    x, y = _data(16)
    tuner = kreg.tuning.Tuner(
        hypermodel,
        oracle=oracle,
        cv=2,
        max_trials=2 if oracle == "grid" else 1,
        max_epochs=2,
        seed=1,
        directory=tmp_path,
        project_name=oracle,
    )
    tuner.search(x, y, epochs=1, batch_size=8)
    rows = tuner.cv_results()
    assert rows and all(r["status"] == "COMPLETED" for r in rows)
    assert all(len(r["fold_scores"]) == 2 for r in rows)
    if oracle == "grid":
        assert sorted(r["hyperparameters"]["l2"] for r in rows) == [1e-3, 1e-1]


def test_an_oracle_instance_gets_the_unpenalized_default_objective(tmp_path):
    oracle = keras_tuner.oracles.RandomSearchOracle(max_trials=1)
    tuner = kreg.tuning.Tuner(build, oracle=oracle, cv=2, directory=tmp_path)
    assert tuner.objective.name == "val_data_loss"
    assert tuner.objective.direction == "min"


class _CountFits(keras.callbacks.Callback):
    fits = 0

    def on_train_begin(self, logs=None):
        type(self).fits += 1


@pytest.mark.parametrize(
    ("x", "y", "match"),
    [
        (np.full((24, 3), np.nan, "float32"), _data()[1], "argument `x`.*finite"),
        (_data()[0], _data()[1][:20], "argument `y`.*as many rows"),
        (_data()[0], np.where(np.arange(24) == 3, np.inf, 0.0), "argument `y`.*finite"),
    ],
)
def test_bad_data_fails_before_training(tmp_path, x, y, match):
    _CountFits.fits = 0
    tuner = _tuner(tmp_path, cv=2, max_trials=1)
    with pytest.raises(ValueError, match=match):
        tuner.search(x, y, epochs=1, callbacks=[_CountFits()])
    assert _CountFits.fits == 0
    assert not [d for d in os.listdir(tuner.project_dir) if d.startswith("trial_")]


def test_bad_arguments_fail_before_training(tmp_path):
    x, y = _data()
    with pytest.raises(ValueError, match="argument `cv` of Tuner.*Received: cv=1"):
        _tuner(tmp_path, cv=1)
    with pytest.raises(ValueError, match="argument `oracle` of Tuner"):
        _tuner(tmp_path, oracle="annealing")
    with pytest.raises(ValueError, match="argument `objective` of Tuner"):
        _tuner(tmp_path, objective="val_wobble")
    tuner = _tuner(tmp_path, cv=2, max_trials=1)
    with pytest.raises(ValueError, match="argument `validation_split`"):
        tuner.search(x, y, validation_split=0.2)
    with pytest.raises(ValueError, match="argument `cv` of Tuner.*smallest class"):
        _tuner(tmp_path, "q", cv=5).search(x, np.arange(24) % 2 * (np.arange(24) < 6))


class _Interrupt(keras.callbacks.Callback):
    """Counts epochs across fits; interrupts once at a given one."""

    epochs_begun: list = []
    stop_at = None

    def on_epoch_begin(self, epoch, logs=None):
        type(self).epochs_begun.append(epoch)
        if len(type(self).epochs_begun) == type(self).stop_at:
            raise KeyboardInterrupt


def test_an_interrupted_search_resumes_at_the_epoch_it_stopped(tmp_path):
    x, y = _data(16)
    _Interrupt.epochs_begun, _Interrupt.stop_at = [], 2 * 2 + 2 + 2
    # Trial 0: 2 folds x 2 epochs; trial 1: fold 0 (2 epochs), fold 1 stops
    # as its second epoch (index 1) begins, after epoch 0 was saved.
    with pytest.raises(KeyboardInterrupt):
        _tuner(tmp_path, cv=2, max_trials=2, patience=None).search(
            x, y, epochs=2, batch_size=8, callbacks=[_Interrupt()]
        )
    first_run = list(_Interrupt.epochs_begun)
    trial0 = os.path.join(tmp_path, "p", "trial_0", "cv.json")
    stamp = os.stat(trial0).st_mtime_ns
    _Interrupt.epochs_begun, _Interrupt.stop_at = [], None
    tuner = _tuner(tmp_path, cv=2, max_trials=2, patience=None)
    tuner.search(x, y, epochs=2, batch_size=8, callbacks=[_Interrupt()])
    assert first_run == [0, 1] * 4
    # Only the interrupted epoch of trial 1's second fold ran again.
    assert _Interrupt.epochs_begun == [1]
    assert os.stat(trial0).st_mtime_ns == stamp
    rows = tuner.cv_results()
    assert [r["status"] for r in rows] == ["COMPLETED", "COMPLETED"]
    with open(os.path.join(tmp_path, "p", "trial_1", "fold_1.json")) as f:
        assert len(json.load(f)["history"]) == 2

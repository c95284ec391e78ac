"""Tuner(folds_as_members=True): a trial's folds as the members of one fit."""

import keras
import numpy as np
import pytest

import kreg

FOLDS = 2


def _data(n=30, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3)).astype("float32")
    y = (x @ np.array([[1.0], [0.0], [-1.0]])).astype("float32")
    return x, y


class _Keeping(kreg.tuning.HyperModel):
    """The default net's hypermodel, eager (tiny data: tracing would cost more
    than it saves), keeping the stacked models it builds."""

    def __init__(self):
        self.inner = kreg.tuning.tabular_hypermodel(3, units=2)
        super().__init__(self.inner.build_fn, **self.inner.spaces)
        self.built = []

    def build(self, hp):
        model = super().build(hp)
        model.compile(
            optimizer=model.optimizer,
            loss=model.loss,
            metrics=[kreg.metrics.DataLoss(model.loss)],
            run_eagerly=True,
        )
        return model

    def build_members(self, hp, members):
        model = self.inner.build_members(hp, members)
        model.compile(model.optimizer, run_eagerly=True)
        self.built.append(model)
        return model


def _tuner(path, hypermodel, **kwargs):
    options = dict(cv=FOLDS, max_trials=1, seed=3, directory=path, project_name="p")
    return kreg.tuning.Tuner(hypermodel, **{**options, **kwargs})


@pytest.fixture(scope="module")
def stacked(tmp_path_factory):
    """One stacked search (no early stopping): its tuner, hypermodel, data."""
    x, y = _data()
    hypermodel = _Keeping()
    path = tmp_path_factory.mktemp("stacked")
    tuner = _tuner(path, hypermodel, folds_as_members=True, patience=None)
    tuner.search(x, y, epochs=1, batch_size=16, verbose=0)
    return tuner, hypermodel, x, y


def test_fold_scores_are_each_members_validation_loss(stacked):
    tuner, hypermodel, x, y = stacked
    [row] = tuner.cv_results()
    [model] = hypermodel.built
    predictions = model.predict(x, verbose=0)  # (rows, members, 1)
    for fold, (_, val) in enumerate(tuner._splits):
        mse = np.mean((predictions[val, fold, 0] - y[val, 0]) ** 2)
        np.testing.assert_allclose(row["fold_scores"][fold], mse, rtol=1e-5)


def test_a_member_never_trains_on_its_validation_rows(stacked, tmp_path):
    tuner, clean, x, y = stacked
    shifted = _Keeping()
    y_shifted = y.copy()
    # Only fold 0's validation rows change: member 0 must not notice.
    y_shifted[tuner._splits[0][1]] += 1e3
    again = _tuner(tmp_path, shifted, folds_as_members=True, patience=None)
    again.search(x, y_shifted, epochs=1, batch_size=16, verbose=0)
    pairs = zip(
        clean.built[0].trainable_variables, shifted.built[0].trainable_variables
    )
    for before, after in pairs:
        np.testing.assert_array_equal(before.numpy()[0], after.numpy()[0])
        assert not np.array_equal(before.numpy()[1], after.numpy()[1])


def test_records_have_the_sequential_shape(stacked, tmp_path):
    tuner, _, x, y = stacked
    sequential = _tuner(tmp_path, _Keeping(), patience=None)
    sequential.search(x, y, epochs=1, batch_size=16, verbose=0)
    [row] = tuner.cv_results()
    [expected] = sequential.cv_results()
    assert sorted(row) == sorted(expected)
    assert len(row["fold_scores"]) == len(expected["fold_scores"]) == FOLDS
    assert row["hyperparameters"] == expected["hyperparameters"]  # same seed
    assert np.isfinite(row["mean"]) and row["standard_error"] >= 0
    for searched in (tuner, sequential):
        trial_id = searched.cv_results()[0]["trial_id"]
        assert searched.refit_epochs(trial_id) == 1
        metrics = searched.oracle.get_trial(trial_id).metrics.metrics
        assert f"val_data_loss_fold_{FOLDS - 1}" in metrics


def test_a_hypermodel_without_build_members_is_a_clear_error(tmp_path):
    def build(regularizer):
        return keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])

    with pytest.raises(ValueError, match="`folds_as_members` of Tuner.*build_members"):
        _tuner(tmp_path, build, loss="mse", folds_as_members=True)
    with pytest.raises(ValueError, match="`folds_as_members` of Tuner.*val_data_loss"):
        _tuner(
            tmp_path,
            kreg.tuning.tabular_hypermodel(3),
            objective="val_loss",
            folds_as_members=True,
        )


def test_a_hypermodel_whose_fit_prepares_data_needs_prepare_members(tmp_path):
    class Preparing(_Keeping):
        def fit(self, hp, model, *args, **kwargs):
            return model.fit(*args, **kwargs)

    with pytest.raises(ValueError, match="own fit has no prepare_members"):
        _tuner(tmp_path, Preparing(), folds_as_members=True)

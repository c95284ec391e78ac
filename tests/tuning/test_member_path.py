"""member_path: the cross-validated tabular path trained as members."""

import numpy as np
import pytest

import kreg
from kreg.tuning.cross_validation import make_splits


@pytest.fixture(scope="module")
def path_and_data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(90, 5)).astype("float32")
    y = (x[:, :2] @ np.array([1.0, -2.0]) + 0.3 * rng.normal(size=90)).astype("float32")
    # Full batches: at λ_max the lasso's zeros are exact only without
    # minibatch noise.
    path = kreg.tuning.member_path(
        x,
        y,
        units=0,
        n_strengths=5,
        min_ratio=1e-2,
        cv=3,
        epochs=60,
        patience=3,
        batch_size=90,
    )
    return path, x, y


def test_the_path_reads_like_regularization_paths(path_and_data):
    path, x, y = path_and_data
    assert path.cv == 3 and path.fold_val_data_loss.shape == (3, 5)
    np.testing.assert_allclose(path.val_data_loss, path.fold_val_data_loss.mean(0))
    # λ_max as glmnet's (Keras' mse has no 1/2): 2 max|X'(y - ȳ)| / n.
    expected = 2 * np.max(np.abs(x.T @ (y - y.mean()))) / len(y)
    assert path.max_strength == pytest.approx(expected, rel=1e-3)
    assert path.active_inputs[0] == 0 and path.active_inputs[-1] >= 2
    assert path.best("1se") <= path.best("min")
    assert len(path.results) == 5 and path.epochs.min() >= 1


def test_fold_members_are_scored_on_their_held_out_rows(path_and_data):
    path, x, y = path_and_data
    models = path.fold_models(len(path.strengths) - 1)
    for fold, (_, val) in enumerate(make_splits(y[:, None], 3, seed=0)):
        loss = np.mean((models[fold].predict(x[val], verbose=0)[:, 0] - y[val]) ** 2)
        assert loss == pytest.approx(path.fold_val_data_loss[fold, -1], rel=1e-4)
    best = path.best_model()
    prediction = best.predict(x, verbose=0)[:, 0]
    assert np.mean((prediction - y) ** 2) < 0.5 * np.var(y)
    ensemble = path.fold_ensemble()
    assert ensemble.predict(x, verbose=0).shape == (90, 1)

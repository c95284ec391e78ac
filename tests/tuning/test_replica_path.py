"""regularization_path(cv=k) of a user's model with its folds as members."""

import os

import keras
import numpy as np
import pytest
from sklearn.model_selection import PredefinedSplit

import kreg
from kreg.tuning import checkpoint
from tests.helpers import assert_invalid

N = 40
FOLDS = PredefinedSplit(np.arange(N) % 2)
STRENGTHS = [0.3, 0.05]


def _data(n=N):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 3)).astype("float32")
    y = x[:, 0] - 0.5 * x[:, 1] + 0.3 * rng.normal(size=n) + 1.0
    return x, y.astype("float32")


def _linear(regularizer):
    return keras.Sequential(
        [keras.Input((3,)), keras.layers.Dense(1, kernel_regularizer=regularizer)]
    )


def _glm(x, y, engine="members", **kwargs):
    """A GLM path to convergence with proximal gradient (the default), from
    the weakest strength up (no null fit per fold: a quicker start)."""
    return kreg.tuning.regularization_path(
        _linear,
        x,
        y,
        loss="mse",
        cv=FOLDS,
        strengths=STRENGTHS,
        direction="increasing",
        stopping="convergence",
        epochs=kwargs.pop("epochs", 40),
        engine=engine,
        **kwargs,
    )


def _held_out_loss(weights, x, y, fold):
    model = _linear(None)
    model.set_weights(weights)
    rows = FOLDS.test_fold == fold
    return float(np.mean((model(x[rows]).numpy()[:, 0] - y[rows]) ** 2))


@pytest.fixture(scope="module")
def glm():
    x, y = _data()
    return x, y, _glm(x, y)


def test_each_fold_score_is_its_replicas_own_held_out_loss(glm):
    x, y, path = glm
    assert path.cv == 2 and path.fold_val_data_loss.shape == (2, 2)
    for fold in range(2):
        for i in range(2):
            own = _held_out_loss(path.fold_weights[fold][i], x, y, fold)
            assert path.fold_val_data_loss[fold, i] == pytest.approx(own, rel=1e-5)
    np.testing.assert_allclose(
        path.val_data_loss, path.fold_val_data_loss.mean(axis=0), rtol=1e-6
    )


def test_a_replica_never_sees_its_held_out_rows_in_a_gradient(glm):
    x, y, path = glm
    changed = y.copy()
    changed[FOLDS.test_fold == 0] += 5.0  # fold 0's held-out targets
    other = _glm(x, changed)
    for mine, theirs in zip(path.fold_weights[0], other.fold_weights[0]):
        for a, b in zip(mine, theirs):
            np.testing.assert_array_equal(a, b)
    # The other fold trains on those rows, and so moves: its targets all
    # shifted by 5, its intercept by 5 (its converged kernel stays put).
    assert not np.array_equal(path.fold_weights[1][0][1], other.fold_weights[1][0][1])


def test_the_glm_agrees_with_the_sequential_engine(glm):
    x, y, path = glm
    sequential = _glm(x, y, engine="sequential")
    np.testing.assert_allclose(path.strengths, sequential.strengths)
    gap = np.abs(path.val_data_loss - sequential.val_data_loss)
    assert np.all(gap <= 0.1 * sequential.val_standard_error + 1e-3)
    for mine, theirs in zip(path.weights, sequential.weights):
        np.testing.assert_allclose(mine[0], theirs[0], atol=0.02)
    assert path.best("1se") == sequential.best("1se")


class Killed(Exception):
    """Stands for kill -9: nothing after it runs."""


def test_an_interrupted_path_resumes_redoing_nothing_saved(glm, tmp_path, monkeypatch):
    x, y, reference = glm
    saves = []
    original = checkpoint.PathCheckpoint.save

    def save(self, key, index, *args):
        original(self, key, index, *args)
        saves.append((key, index))
        if die and len(saves) == 1:
            raise Killed

    monkeypatch.setattr(checkpoint.PathCheckpoint, "save", save)
    die = True
    with pytest.raises(Killed):
        _glm(x, y, checkpoint=tmp_path)
    die = False
    resumed = _glm(x, y, checkpoint=tmp_path)
    # One file per strength with every member: only the second is fitted.
    assert saves == [("members", 0), ("members", 1)]
    assert sorted(os.listdir(tmp_path / "members")) == [
        "strength_000.npz",
        "strength_001.npz",
    ]
    np.testing.assert_allclose(
        resumed.fold_val_data_loss, reference.fold_val_data_loss, rtol=1e-5
    )
    for got, want in zip(resumed.weights[0], reference.weights[0]):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_in_full_batches_a_nets_members_are_its_sequential_fits():
    """With full batches (the same steps), each member follows its fold's
    separate fit: early stopping on its held-out rows, the all-rows member
    set back after the folds' median best epoch."""
    x, y = _data()

    def net(regularizer):
        return keras.Sequential(
            [
                keras.Input((3,)),
                keras.layers.Dense(4, "relu", kernel_regularizer=regularizer),
                keras.layers.Dense(1),
            ]
        )

    paths = [
        kreg.tuning.regularization_path(
            net,
            x,
            y,
            loss="mse",
            cv=FOLDS,
            strengths=STRENGTHS,
            epochs=4,
            patience=1,
            batch_size=64,
            engine=engine,
        )
        for engine in ("members", "sequential")
    ]
    members, sequential = paths
    assert members.direction == "increasing" and members.stopping == "validation"
    np.testing.assert_allclose(
        members.fold_val_data_loss, sequential.fold_val_data_loss, rtol=1e-4
    )
    np.testing.assert_array_equal(members.epochs, sequential.epochs)
    for mine, theirs in zip(members.weights, sequential.weights):
        for a, b in zip(mine, theirs):
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    for fold, model in enumerate(members.fold_models(0)):
        rows = FOLDS.test_fold == fold
        own = np.mean((model(x[rows]).numpy()[:, 0] - y[rows]) ** 2)
        assert members.fold_val_data_loss[fold, 0] == pytest.approx(own, rel=1e-5)


def test_engine_is_checked():
    x, y = _data()
    call = kreg.tuning.regularization_path
    assert_invalid(
        lambda: call(_linear, x, y, loss="mse", engine="fast"), "engine", "fast"
    )
    # Where the folds cannot train as members, "members" says why.
    with pytest.raises(ValueError, match="argument `engine`.*cv=None"):
        call(_linear, x, y, loss="mse", engine="members", epochs=1)
    with pytest.raises(ValueError, match="argument `engine`.*warm_start=False"):
        call(
            _linear,
            x,
            y,
            loss="mse",
            cv=2,
            warm_start=False,
            engine="members",
            epochs=1,
        )

"""An interrupted λ path resumes from its saved strengths, with the same result."""

import os

import keras
import numpy as np
import pytest

import kreg
from kreg.tuning import checkpoint


class Killed(Exception):
    """Stands for kill -9: nothing after it runs."""


def _data(n=60):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 4)).astype("float32")
    y = (x[:, 0] - 0.5 * x[:, 1] + 0.3 * rng.normal(size=n)).astype("float32")
    return x, (y - y.mean()) / y.std()


def _path(folder=None):
    x, y = _data()
    return kreg.tuning.tabular_path(
        x,
        y,
        candidates=[(0, "l1")],
        cv=2,
        n_strengths=3,
        epochs=5,
        checkpoint=folder,
        engine="sequential",  # one file per fold and strength (stacked: per strength)
    )


def test_a_killed_path_redoes_nothing_that_was_saved(tmp_path, monkeypatch):
    reference = _path()
    saves = []
    original = checkpoint.PathCheckpoint.save

    def save_then_die(self, key, index, row, weights, state):
        original(self, key, index, row, weights, state)
        saves.append((self.folder, key, index))
        if len(saves) == 4:  # fold 0's 3 strengths, then 1 of fold 1
            raise Killed

    monkeypatch.setattr(checkpoint.PathCheckpoint, "save", save_then_die)
    with pytest.raises(Killed):
        _path(tmp_path)
    first = list(saves)
    saves.clear()
    monkeypatch.setattr(
        checkpoint.PathCheckpoint,
        "save",
        lambda self, *args: (
            original(self, *args),
            saves.append((self.folder, *args[:2])),
        ),
    )
    resumed = _path(tmp_path)
    # Only what was not saved is fitted: fold 1's last two strengths, then
    # the final fit on all rows.
    redone = [(os.path.basename(f), key, index) for f, key, index in saves]
    assert redone == [
        ("candidate_0", "fold_1", 1),
        ("candidate_0", "fold_1", 2),
        ("candidate_0", "final", 0),
        ("candidate_0", "final", 1),
        ("candidate_0", "final", 2),
    ]
    assert len(first) == 4
    for path, expected in zip(resumed.paths, reference.paths):
        np.testing.assert_allclose(path.strengths, expected.strengths, rtol=1e-6)
        np.testing.assert_allclose(
            path.fold_val_data_loss, expected.fold_val_data_loss, rtol=1e-4, atol=1e-6
        )
        for got, want in zip(
            path.weights[path.best()], expected.weights[expected.best()]
        ):
            np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    assert resumed.chosen == reference.chosen
    # A finished path resumes with nothing left to fit.
    saves.clear()
    finished = _path(tmp_path)
    assert saves == []
    # What cross-validation trained averages into an ensemble, saved as one.
    folds = finished.fold_models()
    x, _ = _data()
    assert len(folds) == 2
    single = finished.best_model(ensemble=False)
    outputs = [np.asarray(m(x)) for m in [*folds, single]]
    ensemble = finished.ensemble()
    np.testing.assert_allclose(ensemble(x), np.mean(outputs, axis=0), rtol=1e-5)
    ensemble.save(tmp_path / "e.keras")
    loaded = keras.models.load_model(tmp_path / "e.keras")
    np.testing.assert_allclose(loaded(x), ensemble(x), rtol=1e-6)


def test_another_grid_clears_the_checkpoint(tmp_path):
    store = checkpoint.PathCheckpoint(tmp_path / "p")
    store.start([1.0, 0.1], 10)
    store.save("fold_0", 0, (1.0,), [np.ones(2)], [])
    assert len(store.done("fold_0")) == 1
    store.start([1.0 + 1e-7, 0.1], 10)  # the same grid, up to a refit's noise
    assert len(store.done("fold_0")) == 1
    store.start([1.0, 0.1, 0.01], 10)
    assert store.done("fold_0") == []


class _Planted:
    """What a crafted pickle would run on loading."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_checkpoints_hold_plain_arrays_and_never_unpickle(tmp_path):
    store = checkpoint.PathCheckpoint(tmp_path / "ck")
    store.start([1.0, 0.1], n_rows=10)
    weights = [np.ones((2, 3), "float32"), np.zeros(3, "float32")]
    store.save("fold_0", 0, (1.0, np.float32(0.5), 3, float("nan")), weights, [])
    [entry] = store.done("fold_0")
    assert entry["row"][:3] == [1.0, 0.5, 3] and np.isnan(entry["row"][3])
    np.testing.assert_array_equal(entry["weights"][1], weights[1])
    assert entry["optimizer"] == []
    # A file planted in a shared folder: an object array (a pickle inside).
    marker = tmp_path / "ran"
    planted = np.empty(1, dtype=object)
    planted[0] = _Planted(str(marker))
    path = tmp_path / "ck" / "fold_0" / "strength_000.npz"
    np.savez(path, row=planted, weights_count=np.asarray(0))
    assert store.done("fold_0") == []  # read as damaged: refitted
    assert not marker.exists()

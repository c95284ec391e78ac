"""A net family's folds trained from several random initializations (``seeds``)."""

import os
from types import SimpleNamespace

import numpy as np
import pytest
from sklearn.model_selection import PredefinedSplit

import kreg
from kreg.cli.path import _saved
from kreg.tuning.candidates import label
from kreg.tuning.tabular_path import _out_of_fold
from tests.helpers import assert_invalid

N = 60
FOLDS = PredefinedSplit(np.arange(N) % 3)
NET = (4, "group_lasso", {"select_inputs": True, "seeds": 2})


def _data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(N, 3)).astype("float32")
    y = np.abs(x[:, 0]) - x[:, 1] + 0.3 * rng.normal(size=N)
    return x, ((y - y.mean()) / y.std()).astype("float32")


def _fit(checkpoint=None, **kwargs):
    x, y = _data()
    return kreg.tuning.tabular_path(
        x,
        y,
        candidates=[NET],
        cv=FOLDS,
        n_strengths=2,
        epochs=4,
        checkpoint=checkpoint,
        **kwargs,
    )


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    folder = tmp_path_factory.mktemp("seeds") / "paths"
    return _fit(folder), folder


def test_each_fold_has_a_model_per_seed_and_its_loss_is_their_mean(fitted):
    found, _ = fitted
    x, y = _data()
    path = found.path
    assert label(NET) == "select4-group_lasso-seeds2"
    assert (path.seeds, path.cv, len(path.fold_weights)) == (2, 3, 6)
    splits = list(FOLDS.split())
    model = path.model
    kept = model.get_weights()
    for i in range(len(path.strengths)):
        losses = np.zeros(3)
        for member, weights in enumerate(path.fold_weights):
            rows = splits[member % 3][1]
            model.set_weights(weights[i])
            losses[member % 3] += np.mean((model(x[rows])[:, 0] - y[rows]) ** 2) / 2
        np.testing.assert_allclose(path.fold_val_data_loss[:, i], losses, rtol=1e-4)
    model.set_weights(kept)
    # The two seeds of a fold start from other draws, so they end apart.
    for fold in range(3):
        first, second = path.fold_weights[fold][0], path.fold_weights[fold + 3][0]
        assert not all(np.allclose(a, b) for a, b in zip(first, second))


def test_the_blend_and_the_ensemble_read_every_seed(fitted):
    found, _ = fitted
    x, _ = _data()
    path = found.path
    index = path.best("min")
    splits = list(FOLDS.split())
    models = path.fold_models("min")
    assert len(models) == 6
    expected = np.zeros((N, 1), "float32")
    for member, model in enumerate(models):
        rows = splits[member % 3][1]
        expected[rows] += np.asarray(model(x[rows])) / 2
    got = _out_of_fold(path, x, splits, "min")
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    assert path.best("min") == index
    ensemble = found.ensemble("min")
    single = path.best_model("min")
    want = np.mean([*(m(x) for m in models), single(x)], axis=0)
    np.testing.assert_allclose(ensemble(x), want, rtol=1e-5, atol=1e-6)


def test_a_run_with_seeds_resumes_with_nothing_fitted_again(fitted, monkeypatch):
    found, folder = fitted
    assert os.listdir(folder)

    def refuse(*args, **kwargs):
        raise AssertionError("fitted again")

    monkeypatch.setattr("keras.Model.fit", refuse)
    again = _fit(folder)
    np.testing.assert_array_equal(
        again.path.fold_val_data_loss, found.path.fold_val_data_loss
    )


def test_seeds_are_checked_before_training(monkeypatch):
    x, y = _data()

    def refuse(*args, **kwargs):
        raise AssertionError("trained before the check")

    monkeypatch.setattr("keras.Model.fit", refuse)

    def call(candidate, **kwargs):
        return lambda: kreg.tuning.tabular_path(
            x, y, candidates=[candidate], cv=FOLDS, n_strengths=2, epochs=2, **kwargs
        )

    for bad in (0, 1.5, True, "2"):
        net = (4, "l1", {"seeds": bad})
        assert_invalid(call(net), "candidates", bad)
    assert_invalid(call((0, "l1", {"seeds": 2})), "candidates", 2)
    # The GLM listed first is not fitted before the net's seeds are refused.
    glm, net = (0, "l1"), (4, "l1", {"seeds": 2})
    assert_invalid(
        lambda: kreg.tuning.tabular_path(
            x, y, candidates=[glm, net], cv=FOLDS, engine="sequential"
        ),
        "candidates",
        [glm, net],
    )


def test_the_cli_says_how_many_models_a_net_averages(fitted):
    found, _ = fitted
    assert _saved(found, "min", True, 3, N) == (
        "an average of 6 fold models (3 folds x 2 seeds) and the all-rows model"
    )

    class Blend:  # two nets of other seeds and a GLM, blended
        candidates = [(4, "l1"), (8, "l1"), (0, "l1")]
        paths = [SimpleNamespace(seeds=1), SimpleNamespace(seeds=2), None]

        def members(self, rule):
            return [0, 1, 2]

    assert _saved(Blend(), "min", True, 3, N) == (
        "a weighted average of 3 families' models (each net an average of its "
        "fold models (3 folds x its seeds) and the all-rows model; each GLM the "
        f"model fitted on all {N} rows)"
    )

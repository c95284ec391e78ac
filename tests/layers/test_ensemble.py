"""BatchEnsembleDense and EnsembleMLP: numbers, members, modes and round trips."""

import keras
import numpy as np
import pytest

import kreg
from tests.helpers import (
    assert_config_roundtrip,
    assert_invalid,
    assert_saved_model_roundtrip,
)

X = np.random.default_rng(0).normal(size=(8, 5)).astype("float32")


def test_batch_ensemble_dense_is_rank_one_adapted_dense():
    layer = kreg.layers.BatchEnsembleDense(3, members=2, adapter_init="normal", seed=1)
    out = keras.ops.convert_to_numpy(layer(X))
    w, r, s, b = (v.numpy() for v in (layer.kernel, layer.r, layer.s, layer.bias))
    for m in range(2):
        expected = X @ (w * np.outer(r[m], s[m])) + b[m]
        np.testing.assert_allclose(out[:, m], expected, rtol=1e-5, atol=1e-5)
    assert tuple(kreg.layers.BatchEnsembleDense(2, 3, seed=0)(X).shape) == (8, 3, 2)


@pytest.mark.parametrize("kind", ["tabm", "tabm_mini", "independent"])
def test_members_differ_and_the_prediction_is_their_mean(kind):
    layer = kreg.layers.EnsembleMLP([6, 4], 2, members=3, kind=kind, seed=0)
    mean = keras.ops.convert_to_numpy(layer(X))
    assert mean.shape == (8, 2)
    layer.average = False
    members = keras.ops.convert_to_numpy(layer(X))
    assert members.shape == (8, 3, 2)
    np.testing.assert_allclose(members.mean(axis=1), mean, rtol=1e-5, atol=1e-6)
    assert not np.allclose(members[:, 0], members[:, 1])


def test_parameter_sharing_makes_tabm_small():
    sizes = {}
    for kind in ("tabm", "tabm_mini", "independent"):
        layer = kreg.layers.EnsembleMLP([32, 32], 1, members=16, kind=kind)
        layer.build((None, 10))
        sizes[kind] = layer.count_params()
    assert sizes["tabm_mini"] < sizes["tabm"] < sizes["independent"] / 5


def test_dropout_only_in_training_and_training_lowers_the_loss():
    layer = kreg.layers.EnsembleMLP([16], 1, members=4, dropout=0.5, seed=0)
    inference = keras.ops.convert_to_numpy(layer(X, training=False))
    np.testing.assert_array_equal(layer(X, training=False), inference)
    assert not np.allclose(layer(X, training=True), inference)
    inputs = keras.Input((5,))
    model = keras.Model(inputs, kreg.layers.EnsembleMLP([16], 1, members=4)(inputs))
    model.compile(keras.optimizers.Adam(0.01), "mse")
    y = X[:, :1] * 2.0
    before = model.evaluate(X, y, verbose=0)
    model.fit(np.tile(X, (30, 1)), np.tile(y, (30, 1)), batch_size=8, verbose=0)
    assert model.evaluate(X, y, verbose=0) < before / 2


@pytest.mark.parametrize("kind", ["tabm", "tabm_mini"])
def test_config_and_keras_roundtrip(kind, tmp_path):
    layer = kreg.layers.EnsembleMLP(
        [8], 3, members=2, kind=kind, dropout=0.1, output_activation="softmax", seed=2
    )
    assert_config_roundtrip(layer)
    assert_config_roundtrip(kreg.layers.BatchEnsembleDense(4, 2, seed=1))
    inputs = keras.Input((5,))
    model = keras.Model(inputs, layer(inputs))
    assert_saved_model_roundtrip(model, X, tmp_path)
    np.testing.assert_allclose(model.predict(X, verbose=0).sum(axis=1), 1.0, rtol=1e-5)


@pytest.mark.parametrize(
    "build, name, value, owner",
    [
        (lambda v: kreg.layers.EnsembleMLP(v, 1), "units", [], "EnsembleMLP"),
        (
            lambda v: kreg.layers.EnsembleMLP([4], 1, kind=v),
            "kind",
            "mc",
            "EnsembleMLP",
        ),
        (
            lambda v: kreg.layers.EnsembleMLP([4], 1, dropout=v),
            "dropout",
            1.0,
            "EnsembleMLP",
        ),
        (
            lambda v: kreg.layers.BatchEnsembleDense(4, 2, adapter_init=v),
            "adapter_init",
            "zeros",
            "BatchEnsembleDense",
        ),
        (
            lambda v: kreg.layers.BatchEnsembleDense(4, v),
            "members",
            0,
            "BatchEnsembleDense",
        ),
    ],
)
def test_bad_arguments(build, name, value, owner):
    assert_invalid(lambda: build(value), name, value, owner)

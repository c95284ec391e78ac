"""DropPath (per-sample stochastic depth) and drop_path_rates."""

import keras
import numpy as np
import pytest

import kreg
from tests.helpers import assert_invalid


def test_drops_whole_samples_independently():
    layer = kreg.layers.DropPath(0.3, seed=0)
    x = np.ones((2000, 4, 3), "float32")
    out = np.asarray(layer(x, training=True)).reshape(2000, -1)
    assert np.all(out == out[:, :1])  # per sample: all or nothing
    kept = out[:, 0] != 0
    assert abs((1 - kept.mean()) - 0.3) < 0.03  # not one draw for the batch
    np.testing.assert_allclose(out[kept], 1 / 0.7, rtol=1e-6)


def test_in_a_residual_block_dropped_samples_pass_the_shortcut():
    inputs = keras.Input((5,))
    branch = keras.layers.Dense(5, kernel_initializer="ones")(inputs)
    outputs = inputs + kreg.layers.DropPath(0.5, seed=1)(branch)
    model = keras.Model(inputs, outputs)
    x = np.ones((100, 5), "float32")
    out = np.asarray(model(x, training=True))
    shortcut_only = np.all(out == 1.0, axis=1)
    assert 0 < shortcut_only.sum() < 100
    np.testing.assert_array_equal(
        np.asarray(model(x, training=False)), np.full((100, 5), 6.0)
    )


def test_drop_path_rates_is_linear_like_timm():
    assert kreg.layers.drop_path_rates(0.3, 4) == [0.0, 0.1, 0.2, 0.3]
    assert kreg.layers.drop_path_rates(0.1, 1) == [0.0]
    rates = kreg.layers.drop_path_rates(0.2, 12)
    np.testing.assert_allclose(rates, np.linspace(0, 0.2, 12))  # torch.linspace in timm
    stages = kreg.layers.drop_path_rates(0.5, [2, 3, 1])
    assert [len(s) for s in stages] == [2, 3, 1]
    np.testing.assert_allclose(sum(stages, []), np.linspace(0, 0.5, 6))
    layers = [kreg.layers.DropPath(r) for r in rates]
    assert float(layers[-1].rate) == pytest.approx(0.2)


def test_drop_path_rates_bad_arguments():
    assert_invalid(
        lambda: kreg.layers.drop_path_rates(1.0, 3), "max_rate", 1.0, "drop_path_rates"
    )
    assert_invalid(
        lambda: kreg.layers.drop_path_rates(0.1, 0), "depth", 0, "drop_path_rates"
    )
    assert_invalid(
        lambda: kreg.layers.drop_path_rates(0.1, []), "depth", [], "drop_path_rates"
    )
    assert_invalid(
        lambda: kreg.layers.drop_path_rates(0.1, [2, 0]), "depth", 0, "drop_path_rates"
    )

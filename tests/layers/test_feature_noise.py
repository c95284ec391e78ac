"""FeatureNoise: per-feature scale, adapt, columns, the magnitude variable."""

import keras
import numpy as np
import pytest

import kreg
from tests.helpers import TraceCounter

RNG = np.random.default_rng(0)


def test_inference_returns_the_inputs_and_training_adds_scaled_noise():
    x = (RNG.normal(size=(2000, 2)) * [1.0, 50.0]).astype("float32")
    layer = kreg.layers.FeatureNoise(0.2, seed=0)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(layer(x)), x)
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(layer(x, training=False)), x
    )
    noise = keras.ops.convert_to_numpy(layer(x, training=True)) - x
    np.testing.assert_allclose(noise.std(axis=0), 0.2 * x.std(axis=0), rtol=0.06)


def test_adapt_and_features():
    x = (RNG.normal(size=(500, 3)) * [1.0, 4.0, 9.0]).astype("float32")
    layer = kreg.layers.FeatureNoise(1.0, features=[2, 0], seed=1)
    layer.adapt(x)
    np.testing.assert_allclose(layer.feature_std, x.std(axis=0), rtol=1e-5)
    assert layer.features == [0, 2]
    small = x[:3]  # a batch too small for its own std: the adapted one is used
    noise = keras.ops.convert_to_numpy(layer(small, training=True)) - small
    assert np.all(noise[:, 1] == 0)
    assert np.all(noise[:, [0, 2]] != 0)


def test_build_checks_widths():
    with pytest.raises(ValueError, match="got 2 values in `feature_std`"):
        kreg.layers.FeatureNoise(feature_std=[1.0, 2.0])(np.ones((2, 3), "float32"))
    with pytest.raises(ValueError, match="column 5 in `features` is out of range"):
        kreg.layers.FeatureNoise(features=[5])(np.ones((2, 3), "float32"))
    with pytest.raises(ValueError, match="expects a table"):
        kreg.layers.FeatureNoise()(np.ones((2, 3, 1), "float32"))


def test_magnitude_variable_changes_the_loss_without_retracing():
    counter = TraceCounter()
    noise = kreg.layers.FeatureNoise(0.0, seed=2)
    model = keras.Sequential(
        [
            keras.Input((4,)),
            counter,
            noise,
            keras.layers.Dense(1, kernel_initializer="ones"),
        ]
    )
    model.compile(keras.optimizers.SGD(0.0), "mse")
    x = RNG.normal(size=(64, 4)).astype("float32")
    y = x.sum(axis=1, keepdims=True)  # exact fit: loss 0 without noise
    clean = model.fit(x, y, epochs=1, batch_size=64, verbose=0).history["loss"][0]
    traces = counter.count
    noise.magnitude = 0.5
    noisy = model.fit(x, y, epochs=1, batch_size=64, verbose=0).history["loss"][0]
    assert counter.count == traces
    assert clean == pytest.approx(0.0, abs=1e-10)
    # E[(sum of 4 noises)^2] = 0.25 * sum_j std_j^2 ~ 1: loosely.
    assert 0.5 < noisy < 1.6
    assert isinstance(noise.magnitude, keras.Variable)
    with pytest.raises(ValueError, match="`magnitude` of FeatureNoise"):
        noise.magnitude = -1.0

"""StackedDense, StackedDropout and MemberAverage: numbers, shapes, round trips."""

import keras
import numpy as np
import pytest

import kreg
from tests.helpers import (
    TraceCounter,
    assert_config_roundtrip,
    assert_invalid,
    assert_saved_model_roundtrip,
)

X = np.random.default_rng(0).normal(size=(6, 4)).astype("float32")


def test_each_member_is_a_dense_layer():
    layer = kreg.layers.StackedDense(3, members=2, activation="relu")
    shared = keras.ops.convert_to_numpy(layer(X))
    kernel, bias = layer.kernel.numpy(), layer.bias.numpy()
    for m in range(2):
        expected = np.maximum(X @ kernel[m] + bias[m], 0.0)
        np.testing.assert_allclose(shared[:, m], expected, rtol=1e-5, atol=1e-6)
    per_member = np.stack([X, 2 * X], axis=1)  # (batch, members, inputs)
    out = keras.ops.convert_to_numpy(layer(per_member))
    np.testing.assert_allclose(
        out[:, 1], np.maximum(2 * X @ kernel[1] + bias[1], 0.0), rtol=1e-5, atol=1e-6
    )


def test_members_are_initialized_apart_with_one_members_fan():
    layer = kreg.layers.StackedDense(64, members=3, kernel_initializer="he_normal")
    layer.build((None, 256))
    kernel = layer.kernel.numpy()
    assert not np.allclose(kernel[0], kernel[1])
    # he_normal's std is sqrt(2 / fan_in) with the fan of one member (256).
    assert abs(kernel.std() - np.sqrt(2 / 256)) < 0.01
    seeded = kreg.layers.StackedDense(
        4, members=2, kernel_initializer=keras.initializers.GlorotUniform(seed=1)
    )
    seeded.build((None, 3))
    again = kreg.layers.StackedDense(
        4, members=2, kernel_initializer=keras.initializers.GlorotUniform(seed=1)
    )
    again.build((None, 3))
    np.testing.assert_array_equal(seeded.kernel.numpy(), again.kernel.numpy())
    assert not np.allclose(seeded.kernel.numpy()[0], seeded.kernel.numpy()[1])


def test_stacked_dropout_rates_per_member_change_without_retrace():
    counter = TraceCounter()
    dropout = kreg.layers.StackedDropout([0.0, 0.0], members=2, seed=0)
    model = keras.Sequential(
        [
            keras.Input((4,)),
            counter,
            kreg.layers.StackedDense(3, members=2),
            dropout,
            kreg.layers.StackedDense(1, members=2),
            kreg.layers.MemberAverage(),
        ]
    )
    model.compile("sgd", "mse")
    y = np.zeros((6, 1), "float32")
    model.fit(X, y, epochs=1, verbose=0)
    traces = counter.count
    dropout.rate = [0.5, 0.1]
    model.fit(X, y, epochs=1, verbose=0)
    assert counter.count == traces
    np.testing.assert_allclose(dropout.rate.numpy(), [0.5, 0.1])
    x = np.ones((2000, 2, 3), "float32")
    dropped = (keras.ops.convert_to_numpy(dropout(x, training=True)) == 0).mean((0, 2))
    assert abs(dropped[0] - 0.5) < 0.03 and abs(dropped[1] - 0.1) < 0.03
    np.testing.assert_array_equal(dropout(x, training=False), x)


def test_config_and_keras_roundtrip(tmp_path):
    reg = kreg.regularizers.L2([0.1, 0.2])
    dense = kreg.layers.StackedDense(3, members=2, kernel_regularizer=reg, name="d")
    dropout = kreg.layers.StackedDropout([0.1, 0.3], members=2, seed=3)
    for layer in (dense, dropout, kreg.layers.MemberAverage()):
        assert_config_roundtrip(layer)
    model = keras.Sequential(
        [keras.Input((4,)), dense, dropout, kreg.layers.MemberAverage()]
    )
    loaded = assert_saved_model_roundtrip(model, X, tmp_path)
    np.testing.assert_allclose(loaded.layers[1].rate.numpy(), [0.1, 0.3])
    strength = loaded.layers[0].kernel_regularizer.strength.numpy()
    np.testing.assert_allclose(strength, [0.1, 0.2])


@pytest.mark.parametrize(
    "build, name, value, owner",
    [
        (lambda v: kreg.layers.StackedDense(v, members=2), "units", 0, "StackedDense"),
        (
            lambda v: kreg.layers.StackedDense(2, members=v),
            "members",
            0,
            "StackedDense",
        ),
        (
            lambda v: kreg.layers.StackedDropout(v, members=2),
            "rate",
            [0.1],
            "StackedDropout",
        ),
        (
            lambda v: kreg.layers.StackedDropout(v, members=2),
            "rate",
            1.0,
            "StackedDropout",
        ),
    ],
)
def test_bad_arguments(build, name, value, owner):
    assert_invalid(lambda: build(value), name, value, owner)


def test_member_axis_must_match():
    layer = kreg.layers.StackedDense(2, members=3)
    with pytest.raises(ValueError, match="input_shape"):
        layer(np.ones((2, 4, 5), "float32"))

"""MCDropout: dropout that stays on at inference."""

import keras
import numpy as np

import kreg


def test_active_at_inference_at_the_rate():
    layer = kreg.layers.MCDropout(0.3, seed=0)
    x = np.ones((200, 50), "float32")
    a = np.asarray(layer(x, training=False))
    b = np.asarray(layer(x))
    assert abs(np.mean(a == 0) - 0.3) < 0.03
    np.testing.assert_allclose(a[a != 0], 1 / 0.7, rtol=1e-6)
    assert not np.array_equal(a, b)


def test_predict_samples_differ_and_average_to_the_deterministic_output():
    inputs = keras.Input((4,))
    outputs = keras.layers.Dense(1, use_bias=False)(
        kreg.layers.MCDropout(0.5, seed=1)(inputs)
    )
    model = keras.Model(inputs, outputs)
    x = np.ones((1, 4), "float32")
    draws = np.stack([model.predict(x, verbose=0) for _ in range(3)])
    assert len({float(d) for d in draws.ravel()}) > 1
    # Inverted scaling: the mean of many draws is the deterministic output.
    big = np.repeat(x, 4000, axis=0)
    kernel = model.layers[-1].kernel.numpy()
    np.testing.assert_allclose(
        model.predict(big, verbose=0).mean(), (x @ kernel).item(), rtol=0.05
    )

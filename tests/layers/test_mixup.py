"""TabularMixUp: pairs in a tf.data pipeline, a model trained on them."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import kreg

RNG = np.random.default_rng(0)
X = RNG.normal(size=(64, 3)).astype("float32")
Y = keras.utils.to_categorical((X[:, 0] > 0).astype(int), 2).astype("float32")


def test_inference_returns_the_pair_and_training_mixes_consistently():
    mix = kreg.layers.TabularMixUp(alpha=1.0, seed=3)
    x = np.eye(8, dtype="float32")
    y = RNG.normal(size=(8, 2)).astype("float32")
    same = [keras.ops.convert_to_numpy(t) for t in mix((x, y))]
    np.testing.assert_array_equal(same[0], x)
    np.testing.assert_array_equal(same[1], y)
    xm, ym = (keras.ops.convert_to_numpy(t) for t in mix((x, y), training=True))
    lam = np.diag(xm)
    partner = np.where(lam < 1, np.argmax(xm - np.diag(lam), axis=1), np.arange(8))
    np.testing.assert_allclose(
        ym, lam[:, None] * y + (1 - lam[:, None]) * y[partner], rtol=1e-5, atol=1e-6
    )
    with pytest.raises(ValueError, match="argument `inputs` of TabularMixUp"):
        mix(x, training=True)


def test_pipeline_trains_a_model_and_alpha_zero_turns_it_off():
    mix = kreg.layers.TabularMixUp(alpha=0.4, seed=0)
    traces = []

    def augment(x, y):
        traces.append(1)
        return mix((x, y), training=True)

    dataset = tf.data.Dataset.from_tensor_slices((X, Y)).batch(16).map(augment)
    labels = np.concatenate([y.numpy() for _, y in dataset])
    assert np.any((labels > 0.01) & (labels < 0.99))  # soft labels
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, "softmax")])
    model.compile("adam", "categorical_crossentropy")
    model.fit(dataset, epochs=2, verbose=0, shuffle=False)
    mix.alpha = 0.0
    labels = np.concatenate([y.numpy() for _, y in dataset])
    np.testing.assert_array_equal(labels, Y)
    assert len(traces) == 1
    assert float(mix.magnitude) == 0.0 and mix.alpha is mix.magnitude

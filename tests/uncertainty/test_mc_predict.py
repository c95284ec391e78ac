"""kreg.uncertainty.mc_predict: closed forms, BatchNorm left alone, vectorized."""

import keras
import numpy as np
import pytest

import kreg
from tests.helpers import assert_invalid


class CallCounter(keras.layers.Layer):
    """Identity layer counting forward passes (mc_predict runs eagerly)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.calls = 0

    def call(self, inputs):
        self.calls += 1
        return inputs


def linear_dropout_model(rate, weights, dropout=None):
    inputs = keras.Input((len(weights),))
    dropout = dropout or keras.layers.Dropout(rate, seed=0)
    dense = keras.layers.Dense(1, use_bias=False)
    outputs = dense(dropout(inputs))
    dense.kernel.assign(np.asarray(weights, "float32")[:, None])
    return keras.Model(inputs, outputs)


def test_mean_and_std_match_the_closed_form_with_plain_dropout():
    # y = sum_i w_i x_i m_i / (1 - p): E[y] = w.x, Var[y] = p / (1 - p) sum (w_i x_i)^2
    p, w = 0.3, np.array([1.0, -2.0, 0.5, 3.0])
    model = linear_dropout_model(p, w)
    x = np.array([[1.0, 1.0, 1.0, 1.0], [0.5, 2.0, -1.0, 0.0]], "float32")
    pred = kreg.uncertainty.mc_predict(model, x, samples=4000)
    np.testing.assert_allclose(pred.mean[:, 0], x @ w, atol=0.15)
    expected_std = np.sqrt(p / (1 - p) * np.sum((w * x) ** 2, axis=1))
    np.testing.assert_allclose(pred.std[:, 0], expected_std, rtol=0.05)
    assert pred.entropy is None and pred.mutual_information is None


def test_batch_normalization_stays_in_inference_mode():
    inputs = keras.Input((3,))
    hidden = keras.layers.Dense(4, kernel_initializer="ones")(inputs)
    norm = keras.layers.BatchNormalization()
    hidden = norm(hidden)
    hidden = keras.layers.Dropout(0.5, seed=1)(hidden)
    dense = keras.layers.Dense(1, kernel_initializer="ones")
    model = keras.Model(inputs, dense(hidden))
    # Moving statistics far from any batch's statistics.
    norm.moving_mean.assign(np.full(4, 10.0, "float32"))
    norm.moving_variance.assign(np.full(4, 4.0, "float32"))
    x = np.random.default_rng(0).normal(size=(32, 3)).astype("float32")
    deterministic = model.predict(x, verbose=0)
    pred = kreg.uncertainty.mc_predict(model, x, samples=2000)
    # After dropout the model is linear, so the MC mean is the inference
    # output, computed with the moving statistics ...
    np.testing.assert_allclose(pred.mean, deterministic, rtol=0.05)
    assert np.all(pred.std > 0)
    np.testing.assert_array_equal(
        np.asarray(norm.moving_mean), np.full(4, 10.0, "float32")
    )
    # ... whereas model(x, training=True) uses the batch's statistics.
    trick = np.mean([np.asarray(model(x, training=True)) for _ in range(20)], axis=0)
    assert np.abs(trick - deterministic).mean() > 5.0


def test_model_is_restored_afterwards():
    dropout = keras.layers.Dropout(0.5, seed=0)
    model = linear_dropout_model(0.5, [1.0, 2.0], dropout=dropout)
    x = np.ones((3, 2), "float32")
    kreg.uncertainty.mc_predict(model, x, samples=8)
    assert "call" not in vars(dropout)
    np.testing.assert_array_equal(
        model.predict(x, verbose=0), model.predict(x, verbose=0)
    )
    # Also after a failing forward pass.
    with pytest.raises(ValueError):
        kreg.uncertainty.mc_predict(model, np.ones((3, 5), "float32"), samples=8)
    assert "call" not in vars(dropout)


def test_samples_are_computed_in_large_batches():
    counter = CallCounter()
    inputs = keras.Input((2,))
    outputs = keras.layers.Dense(1)(keras.layers.Dropout(0.2)(counter(inputs)))
    model = keras.Model(inputs, outputs)
    x = np.ones((100, 2), "float32")
    counter.calls = 0
    pred = kreg.uncertainty.mc_predict(model, x, samples=32, batch_size=4096)
    assert counter.calls == 1  # 32 x 100 rows in one pass
    counter.calls = 0
    kreg.uncertainty.mc_predict(model, x, samples=32, batch_size=800)
    assert counter.calls == 4  # 25 rows x 32 copies per pass
    counter.calls = 0
    kreg.uncertainty.mc_predict(model, x[:1], samples=10, batch_size=4)
    assert counter.calls == 3  # more samples than a pass holds: split them
    assert pred.mean.shape == (100, 1)


def test_every_sample_draws_its_own_mask():
    inputs = keras.Input((6,))
    hidden = kreg.layers.DropConnectDense(8, rate=0.5, seed=0)(inputs)
    outputs = keras.layers.Dense(1)(
        keras.layers.SpatialDropout1D(0.2)(keras.layers.Reshape((4, 2))(hidden))
    )
    model = keras.Model(inputs, keras.layers.Flatten()(outputs))
    x = np.ones((3, 6), "float32")
    pred = kreg.uncertainty.mc_predict(model, x, samples=16, return_samples=True)
    assert pred.samples.shape == (16, 3, 4)
    distinct = {pred.samples[i, 0].tobytes() for i in range(16)}
    assert len(distinct) > 12
    layer = model.layers[1]
    assert layer._mc_groups is None  # reset after the call


def test_classifier_entropy_and_mutual_information():
    inputs = keras.Input((4,))
    hidden = kreg.layers.MCDropout(0.5, seed=2)(
        keras.layers.Dense(16, activation="relu")(inputs)
    )
    model = keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(hidden))
    x = np.random.default_rng(0).normal(size=(5, 4)).astype("float32")
    pred = kreg.uncertainty.mc_predict(model, x, samples=64, return_samples=True)
    probs = pred.samples.astype("float64")
    mean = probs.mean(axis=0)
    entropy = -np.sum(mean * np.log(mean), axis=-1)
    expected_mi = entropy - np.mean(-np.sum(probs * np.log(probs), axis=-1), axis=0)
    np.testing.assert_allclose(pred.entropy, entropy, rtol=1e-4)
    np.testing.assert_allclose(
        pred.mutual_information, expected_mi, rtol=1e-3, atol=1e-6
    )
    assert pred.entropy.shape == (5,) and np.all(pred.entropy <= np.log(3) + 1e-6)
    assert np.all(pred.mutual_information > 0)


def test_binary_entropy_for_sigmoid_outputs():
    inputs = keras.Input((3,))
    hidden = keras.layers.Dropout(0.3)(keras.layers.Dense(8)(inputs))
    model = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(hidden))
    pred = kreg.uncertainty.mc_predict(model, np.ones((4, 3)), samples=32)
    p = pred.mean.astype("float64")
    expected = -(p * np.log(p) + (1 - p) * np.log(1 - p))[:, 0]
    np.testing.assert_allclose(pred.entropy, expected, rtol=1e-4)
    regression = kreg.uncertainty.mc_predict(
        model, np.ones((4, 3)), samples=4, task="regression"
    )
    assert regression.entropy is None


def test_concrete_dropout_and_nested_models():
    inner_in = keras.Input((4,))
    inner = keras.Model(
        inner_in, kreg.layers.ConcreteDropout(keras.layers.Dense(4))(inner_in)
    )
    inputs = keras.Input((4,))
    model = keras.Model(inputs, keras.layers.Dense(1)(inner(inputs)))
    pred = kreg.uncertainty.mc_predict(model, np.ones((2, 4)), samples=16)
    assert np.all(pred.std > 0)


def test_bad_arguments():
    model = linear_dropout_model(0.5, [1.0])
    x = np.ones((2, 1))
    assert_invalid(
        lambda: kreg.uncertainty.mc_predict(model, x, samples=1),
        "samples",
        1,
        "mc_predict",
    )
    assert_invalid(
        lambda: kreg.uncertainty.mc_predict(model, x, batch_size=0),
        "batch_size",
        0,
        "mc_predict",
    )
    assert_invalid(
        lambda: kreg.uncertainty.mc_predict(model, x, task="cls"),
        "task",
        "cls",
        "mc_predict",
    )
    plain = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)], name="plain")
    assert_invalid(
        lambda: kreg.uncertainty.mc_predict(plain, x), "model", "plain", "mc_predict"
    )

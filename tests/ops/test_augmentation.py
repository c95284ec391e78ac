"""Augmentation ops: statistics with fixed seeds, mixup's closed form."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from kreg import ops
from tests.helpers import assert_invalid

RNG = np.random.default_rng(0)


def numpy(x):
    return keras.ops.convert_to_numpy(x)


def test_feature_noise_is_scaled_per_feature():
    x = RNG.normal(size=(4000, 3)).astype("float32") * np.array(
        [1.0, 10.0, 0.0], "float32"
    )
    noise = numpy(ops.feature_noise(x, 0.5, seed=1)) - x
    # Batch std per feature (1, 10, 0) times 0.5.
    np.testing.assert_allclose(noise.std(axis=0), [0.5, 5.0, 0.0], rtol=0.05, atol=1e-6)
    assert abs(noise.mean(axis=0)[1]) < 0.25
    fixed = numpy(ops.feature_noise(x, 0.5, feature_std=[2.0, 0.0, 1.0], seed=1)) - x
    np.testing.assert_allclose(fixed.std(axis=0), [1.0, 0.0, 0.5], rtol=0.05)
    masked = numpy(ops.feature_noise(x, 0.5, mask=[0.0, 1.0, 0.0], seed=1))
    np.testing.assert_array_equal(masked[:, 0], x[:, 0])
    np.testing.assert_array_equal(numpy(ops.feature_noise(x, 0.0, seed=1)), x)


def test_feature_noise_passes_gradients_through_unchanged():
    x = tf.constant(RNG.normal(size=(16, 2)).astype("float32"))
    with tf.GradientTape() as tape:
        tape.watch(x)
        total = tf.reduce_sum(ops.feature_noise(x, 0.3, seed=0))
    np.testing.assert_allclose(tape.gradient(total, x), np.ones((16, 2)))


def test_swap_noise_fraction_and_columns():
    batch = 500
    x = np.arange(batch * 4, dtype="float32").reshape(batch, 4)  # all distinct
    for rate in (0.0, 0.2, 0.7, 1.0):
        out = numpy(ops.swap_noise(x, rate, seed=3))
        changed = (out != x).mean()
        # A swap with the row itself changes nothing: rate * (1 - 1/batch).
        assert abs(changed - rate * (1 - 1 / batch)) < 0.02, rate
        for j in range(4):
            assert set(out[:, j]) <= set(x[:, j])  # values stay in their column


def test_swap_noise_rate_variable_and_bad_arguments():
    x = np.ones((4, 2), "float32")
    rate = keras.Variable(0.0, trainable=False)
    np.testing.assert_array_equal(numpy(ops.swap_noise(x, rate, seed=0)), x)
    assert_invalid(lambda: ops.swap_noise(x, 1.5), "rate", 1.5, "swap_noise")
    with pytest.raises(ValueError, match="expected a 2-D table"):
        ops.swap_noise(np.ones((2, 2, 2), "float32"), 0.1)


def test_mixup_closed_form():
    batch = 16
    x = np.eye(batch, dtype="float32")  # row i is e_i: x' reveals lam and p
    y = RNG.normal(size=(batch, 3)).astype("float32")
    xm, ym = ops.mixup(x, y, 0.4, seed=5)
    xm, ym = numpy(xm), numpy(ym)
    lam = np.diag(xm).copy()
    partner = np.where(lam < 1, np.argmax(xm - np.diag(lam), axis=1), np.arange(batch))
    assert sorted(partner) == list(range(batch))  # a permutation
    expected = lam[:, None] * y + (1 - lam[:, None]) * y[partner]
    np.testing.assert_allclose(ym, expected, rtol=1e-5, atol=1e-6)
    assert np.any(lam < 0.99)


def test_mixup_weights_follow_beta():
    alpha, batch, lams = 0.4, 200, []
    seed = keras.random.SeedGenerator(7)
    x = np.eye(batch, dtype="float32")
    for _ in range(5):
        xm, _ = ops.mixup(x, np.zeros((batch, 1), "float32"), alpha, seed=seed)
        xm = numpy(xm)
        moved = np.argmax(xm - np.diag(np.diag(xm)), axis=1) != np.arange(batch)
        lams.extend(np.diag(xm)[moved & (np.diag(xm) < 1)])
    lams = np.array(lams)
    # Beta(a, a): mean 1/2, variance 1 / (4 (2a + 1)) = 0.139.
    assert abs(lams.mean() - 0.5) < 0.04
    assert abs(lams.var() - 1 / (4 * (2 * alpha + 1))) < 0.02


def test_mixup_structures_alpha_zero_and_integer_labels():
    x = {
        "a": RNG.normal(size=(8, 2)).astype("float32"),
        "b": RNG.normal(size=(8,)).astype("float32"),
    }
    y = RNG.normal(size=(8, 1)).astype("float32")
    xm, ym = ops.mixup(x, y, 0.0, seed=0)
    np.testing.assert_array_equal(numpy(xm["a"]), x["a"])
    np.testing.assert_array_equal(numpy(ym), y)
    xm, ym = ops.mixup(x, y, 1.0, seed=0)
    assert set(xm) == {"a", "b"} and numpy(xm["b"]).shape == (8,)
    with pytest.raises(ValueError, match="argument `y` of mixup: expected float"):
        ops.mixup(x, np.zeros((8,), "int32"), 0.2)
    assert_invalid(lambda: ops.mixup(x, y, -1.0), "alpha", -1.0, "mixup")

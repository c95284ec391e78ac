"""DropConnectDense: drops weights, not activations; inference is plain Dense."""

import keras
import numpy as np

import kreg


def built_layer(units=40, inputs=30, rate=0.3, seed=0, **kwargs):
    layer = kreg.layers.DropConnectDense(units, rate=rate, seed=seed, **kwargs)
    layer.build((None, inputs))
    return layer


def test_training_drops_weights_at_the_rate_with_inverted_scaling():
    layer = built_layer(bias_initializer="ones")
    kernel, bias = layer.kernel.numpy(), layer.bias.numpy()
    # With the identity as input, row i of the output is row i of the used kernel.
    # A zero row gives the bias alone: the bias is never dropped.
    x = np.concatenate([np.eye(30), np.zeros((1, 30))]).astype("float32")
    out = np.asarray(layer(x, training=True))
    np.testing.assert_array_equal(out[-1], bias)
    used = out[:-1] - bias
    dropped = np.isclose(used, 0.0, atol=1e-6)
    assert abs(dropped.mean() - 0.3) < 0.03
    np.testing.assert_allclose(used[~dropped], kernel[~dropped] / 0.7, rtol=1e-4)


def test_one_weight_mask_per_call_not_per_activation():
    layer = built_layer(units=3, inputs=2, rate=0.5, seed=3)
    x = np.ones((64, 2), "float32")
    out = np.asarray(layer(x, training=True))
    np.testing.assert_array_equal(out, np.broadcast_to(out[:1], out.shape))


def test_inference_equals_dense_with_the_same_weights():
    layer = built_layer(activation="relu")
    dense = keras.layers.Dense(40, activation="relu")
    dense.build((None, 30))
    dense.set_weights([layer.kernel.numpy(), layer.bias.numpy()])
    x = np.random.default_rng(0).normal(size=(5, 30)).astype("float32")
    np.testing.assert_array_equal(np.asarray(layer(x)), np.asarray(dense(x)))


def test_mc_groups_give_each_stacked_copy_its_own_mask():
    layer = built_layer(units=6, inputs=5, rate=0.5, seed=2, use_bias=False)
    x = np.random.default_rng(1).normal(size=(8, 5)).astype("float32")
    layer._mc_groups = 3  # what kreg.uncertainty.mc_predict sets
    out = np.asarray(layer(np.concatenate([x, x, x]), training=True)).reshape(3, 8, 6)
    layer._mc_groups = None
    assert not np.allclose(out[0], out[1]) and not np.allclose(out[1], out[2])
    # Within a copy all rows share one kernel: recover it and check the rows.
    kernel = np.linalg.lstsq(x, out[0], rcond=None)[0]
    np.testing.assert_allclose(x @ kernel, out[0], atol=1e-4)
    dropped = np.isclose(kernel, 0.0, atol=1e-4)
    assert 0 < dropped.sum() < dropped.size

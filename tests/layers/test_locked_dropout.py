"""LockedDropout: one mask per sequence, shared across time steps."""

import keras
import numpy as np

import kreg


def test_one_mask_per_sequence_shared_over_time():
    layer = kreg.layers.LockedDropout(0.4, seed=0)
    x = np.ones((300, 9, 10), "float32")
    out = np.asarray(layer(x, training=True))
    assert np.all(out == out[:, :1, :])
    assert abs(np.mean(out == 0) - 0.4) < 0.03
    np.testing.assert_allclose(out[out != 0], 1 / 0.6, rtol=1e-6)
    assert np.any(out[0, 0] != out[1, 0])  # sequences get their own masks


def test_rank_four_inputs_share_the_mask_over_the_time_axis_only():
    out = np.asarray(
        kreg.layers.LockedDropout(0.5, seed=1)(
            np.ones((4, 6, 3, 2), "float32"), training=True
        )
    )
    assert np.all(out == out[:, :1])
    assert np.any(out[:, 0, 0, :] != out[:, 0, 1, :])


def test_in_a_recurrent_model_with_masking():
    inputs = keras.Input((5, 3))
    hidden = keras.layers.Masking(0.0)(inputs)
    hidden = kreg.layers.LockedDropout(0.3, seed=0)(hidden)
    outputs = keras.layers.Dense(1)(keras.layers.GRU(4)(hidden))
    model = keras.Model(inputs, outputs)
    model.compile("adam", "mse")
    x = np.random.default_rng(0).normal(size=(16, 5, 3)).astype("float32")
    x[:, 3:] = 0.0  # padded steps
    history = model.fit(x, np.ones((16, 1)), epochs=1, batch_size=8, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))

"""SwapNoise: fraction swapped, columns kept, in a model and in tf.data."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import kreg


def test_swaps_within_columns_only_in_training():
    x = np.arange(2000, dtype="float32").reshape(500, 4)
    layer = kreg.layers.SwapNoise(0.3, seed=0)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(layer(x)), x)
    out = keras.ops.convert_to_numpy(layer(x, training=True))
    assert abs((out != x).mean() - 0.3 * (1 - 1 / 500)) < 0.02
    for j in range(4):
        assert set(out[:, j]) <= set(x[:, j])


def test_magnitude_changes_a_tf_data_pipeline_without_retracing():
    x = np.arange(256, dtype="float32").reshape(64, 4)
    layer = kreg.layers.SwapNoise(0.5, seed=1)
    traces = []

    def augment(batch):
        traces.append(1)
        return layer(batch, training=True)

    dataset = tf.data.Dataset.from_tensor_slices(x).batch(64).map(augment)
    first = next(iter(dataset)).numpy()
    layer.magnitude = 0.0
    second = next(iter(dataset)).numpy()
    assert len(traces) == 1
    assert (first != x).mean() > 0.3
    np.testing.assert_array_equal(second, x)
    with pytest.raises(ValueError, match=r"expected a float in \[0, 1\]"):
        layer.magnitude = 1.5

"""DropBlock2D: the layer around kreg.ops.drop_block (the mask is tested there)."""

import keras
import numpy as np
import pytest

import kreg


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_fraction_and_blocks_for_h_ne_w(data_format):
    layer = kreg.layers.DropBlock2D(0.25, block_size=4, data_format=data_format, seed=0)
    shape = (32, 10, 18, 3) if data_format == "channels_last" else (32, 3, 10, 18)
    x = np.ones(shape, "float32")
    out = np.asarray(layer(x, training=True))
    dropped = out == 0
    assert abs(dropped.mean() - 0.25) < 0.03
    # Renormalized so the sum is kept.
    assert out.sum() == pytest.approx(x.sum(), rel=1e-4)
    # Blocks, not scattered entries: most dropped pixels have a dropped
    # neighbour along the height axis and along the width axis.
    h_axis, w_axis = (1, 2) if data_format == "channels_last" else (2, 3)
    for axis in (h_axis, w_axis):
        pairs = np.logical_and(dropped, np.roll(dropped, 1, axis=axis))
        assert pairs.sum() / dropped.sum() > 0.6


def test_data_format_defaults_to_keras_image_data_format():
    assert kreg.layers.DropBlock2D().data_format == keras.config.image_data_format()
    assert kreg.layers.DropBlock2D(data_format="channels_first").get_config()[
        "data_format"
    ] == ("channels_first")

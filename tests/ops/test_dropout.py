"""kreg.ops dropout functions: numbers against numpy and closed forms."""

import keras
import numpy as np
import pytest
from keras import ops
from scipy import ndimage

import kreg
from tests.helpers import assert_invalid


def to_np(x):
    return np.asarray(ops.convert_to_numpy(x))


def test_dropout_fraction_and_inverted_scaling():
    x = np.ones((200, 100), "float32")
    for rate in [0.0, 0.1, 0.5, 0.9]:
        out = to_np(kreg.ops.dropout(x, rate, seed=0))
        assert abs(np.mean(out == 0) - rate) < 0.03, rate
        np.testing.assert_allclose(out[out != 0], 1.0 / (1.0 - rate), rtol=1e-6)


def test_dropout_rate_zero_is_exact_identity():
    x = np.random.default_rng(0).normal(size=(7, 5)).astype("float32")
    np.testing.assert_array_equal(to_np(kreg.ops.dropout(x, 0.0, seed=1)), x)


def test_seeds_reproduce_and_differ():
    a = to_np(kreg.ops.keep_mask((50, 50), 0.5, seed=7))
    b = to_np(kreg.ops.keep_mask((50, 50), 0.5, seed=7))
    c = to_np(kreg.ops.keep_mask((50, 50), 0.5, seed=8))
    np.testing.assert_array_equal(a, b)
    assert np.any(a != c)


def test_rate_from_a_variable():
    rate = keras.Variable(0.3, trainable=False, dtype="float32")
    out = to_np(kreg.ops.dropout(np.ones((100, 100), "float32"), rate, seed=0))
    assert abs(np.mean(out == 0) - 0.3) < 0.03


def test_drop_path_is_per_sample():
    x = np.ones((4000, 3, 5), "float32")
    out = to_np(kreg.ops.drop_path(x, 0.25, seed=0))
    per_sample = out.reshape(4000, -1)
    # Every sample is wholly kept or wholly dropped ...
    assert np.all(per_sample == per_sample[:, :1])
    # ... and samples are dropped independently at the rate.
    dropped = np.mean(per_sample[:, 0] == 0)
    assert abs(dropped - 0.25) < 0.03
    np.testing.assert_allclose(per_sample[per_sample != 0], 1 / 0.75, rtol=1e-6)


def test_drop_path_without_scaling():
    out = to_np(
        kreg.ops.drop_path(
            np.ones((50, 2), "float32"), 0.5, seed=0, scale_by_keep=False
        )
    )
    assert set(np.unique(out).tolist()) == {0.0, 1.0}


def test_locked_dropout_shares_mask_over_time():
    x = np.ones((500, 7, 8), "float32")
    out = to_np(kreg.ops.locked_dropout(x, 0.4, seed=0))
    assert np.all(out == out[:, :1, :])
    assert abs(np.mean(out == 0) - 0.4) < 0.03
    # Different sequences and features get different masks.
    assert np.any(out[0, 0] != out[1, 0])


def test_drop_connect_masks_weights():
    w = np.random.default_rng(0).normal(size=(60, 50)).astype("float32")
    out = to_np(kreg.ops.drop_connect(w, 0.3, seed=0))
    assert abs(np.mean(out == 0) - 0.3) < 0.03
    kept = out != 0
    np.testing.assert_allclose(out[kept], w[kept] / 0.7, rtol=1e-5)


def test_drop_connect_groups_draw_independent_kernels():
    w = np.ones((10, 10), "float32")
    out = to_np(kreg.ops.drop_connect(w, 0.5, seed=0, groups=3))
    assert out.shape == (3, 10, 10)
    assert np.any(out[0] != out[1]) and np.any(out[1] != out[2])


def test_drop_block_gamma_closed_form():
    for rate, size in [(0.1, 1), (0.19, 2), (0.3, 3), (0.5, 7)]:
        expected = 1 - (1 - rate) ** (1 / size**2)
        assert float(kreg.ops.drop_block_gamma(rate, size)) == pytest.approx(
            expected, rel=1e-5
        )
    # Each activation has block_size**2 candidate centres, so it is kept
    # with probability (1 - gamma) ** block_size**2 = 1 - rate.
    gamma = float(kreg.ops.drop_block_gamma(0.3, 3))
    assert (1 - gamma) ** 9 == pytest.approx(0.7, rel=1e-5)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_drop_block_fraction_matches_rate_for_h_ne_w(data_format):
    shape = (64, 9, 17, 4) if data_format == "channels_last" else (64, 4, 9, 17)
    for block_size in [1, 2, 3, 4, 5]:  # odd and even
        mask = to_np(
            kreg.ops.drop_block_mask(
                shape, 0.2, block_size, seed=3, data_format=data_format
            )
        )
        assert mask.shape == shape
        assert set(np.unique(mask).tolist()) <= {0.0, 1.0}
        assert abs((1 - mask.mean()) - 0.2) < 0.03, block_size


def test_drop_block_every_position_is_dropped_at_the_rate():
    # A height/width mix-up (keras-cv's bug for H != W) leaves parts of the map
    # never or too often dropped; here every pixel must be dropped at ~rate.
    mask = to_np(kreg.ops.drop_block_mask((3000, 7, 13, 1), 0.1, 3, seed=3))
    per_pixel = 1 - mask.mean(axis=(0, 3))
    assert per_pixel.shape == (7, 13)
    assert np.all(np.abs(per_pixel - 0.1) < 0.03)


@pytest.mark.parametrize("block_size", [2, 3])
def test_drop_block_drops_square_blocks(block_size):
    height, width = 12, 20
    mask = to_np(
        kreg.ops.drop_block_mask((200, height, width, 1), 0.02, block_size, seed=5)
    )
    shapes_seen = set()
    for sample in mask[..., 0]:
        labels, count = ndimage.label(sample == 0)
        for index, box in enumerate(ndimage.find_objects(labels), start=1):
            rows, cols = box
            block = labels[box] == index
            h, w = rows.stop - rows.start, cols.stop - cols.start
            if not block.all() or h > block_size or w > block_size:
                continue  # overlapping blocks: not a single square
            touches = (
                rows.start == 0 or rows.stop == height,
                cols.start == 0 or cols.stop == width,
            )
            # A lone block is block_size x block_size, unless clipped at a border.
            assert h == block_size or touches[0], (h, w)
            assert w == block_size or touches[1], (h, w)
            shapes_seen.add((h, w))
    assert (block_size, block_size) in shapes_seen


def test_drop_block_channels_first_is_channels_last_transposed():
    a = to_np(kreg.ops.drop_block_mask((2, 6, 10, 3), 0.3, 3, seed=11))
    b = to_np(
        kreg.ops.drop_block_mask(
            (2, 3, 6, 10), 0.3, 3, seed=11, data_format="channels_first"
        )
    )
    np.testing.assert_array_equal(np.transpose(a, (0, 3, 1, 2)), b)


def test_drop_block_renormalizes_by_count():
    x = np.random.default_rng(0).uniform(1, 2, size=(4, 8, 12, 3)).astype("float32")
    out = to_np(kreg.ops.drop_block(x, 0.3, 3, seed=2))
    keep = out != 0
    scale = keep.size / keep.sum()
    np.testing.assert_allclose(out[keep], x[keep] * scale, rtol=1e-5)


def test_concrete_dropout_statistics():
    x = np.ones((20000,), "float32")
    out = to_np(kreg.ops.concrete_dropout(x, 0.3, seed=0, temperature=0.01))
    # At a low temperature the relaxation is close to Bernoulli(p) dropout.
    assert abs(np.mean(out < 0.5) - 0.3) < 0.03
    assert abs(out.mean() - 1.0) < 0.03


def test_concrete_dropout_regularizer_matches_numpy():
    rng = np.random.default_rng(0)
    w = rng.normal(size=(5, 3)).astype("float32")
    p, k, wr, dr = 0.2, 5, 1e-2, 1e-3
    expected = wr * np.sum(w**2) / (1 - p) + dr * k * (
        p * np.log(p) + (1 - p) * np.log(1 - p)
    )
    actual = float(kreg.ops.concrete_dropout_regularizer(w, p, k, wr, dr))
    assert actual == pytest.approx(expected, rel=1e-5)


def test_bad_rates_raise():
    x = np.ones((2, 3, 4, 5), "float32")
    for rate in [-0.1, 1.0, 1.5, float("nan")]:
        assert_invalid(lambda r=rate: kreg.ops.dropout(x, r), "rate", rate, "dropout")
        assert_invalid(
            lambda r=rate: kreg.ops.drop_path(x, r), "rate", rate, "drop_path"
        )
        assert_invalid(
            lambda r=rate: kreg.ops.drop_block(x, r, 2),
            "rate",
            rate,
            "drop_block_gamma",
        )


def test_bad_shapes_and_sizes_raise():
    x = np.ones((2, 3, 4), "float32")
    assert_invalid(lambda: kreg.ops.drop_block(x, 0.1, 2), "x", (2, 3, 4), "drop_block")
    assert_invalid(
        lambda: kreg.ops.locked_dropout(np.ones((2, 3)), 0.1),
        "x",
        (2, 3),
        "locked_dropout",
    )
    assert_invalid(
        lambda: kreg.ops.drop_block_mask((2, 4, 4, 1), 0.1, 0), "block_size", 0
    )
    assert_invalid(
        lambda: kreg.ops.drop_block_mask((2, 4, 4, 1), 0.1, 2, data_format="nhwc"),
        "data_format",
        "nhwc",
    )
    assert_invalid(
        lambda: kreg.ops.concrete_dropout(x, 0.1, temperature=0.0), "temperature", 0.0
    )

import copy

import keras
import numpy as np
import pytest

from kreg import regularizers
from tests.helpers import TraceCounter

RNG = np.random.default_rng(0)
DENSE = RNG.normal(size=(5, 3)).astype("float32")
CONV = RNG.normal(size=(3, 2, 4, 6)).astype("float32")


def value(reg, w):
    return float(np.asarray(reg(keras.ops.convert_to_tensor(w))))


@pytest.mark.parametrize("w", [DENSE, CONV, RNG.normal(size=(7,)).astype("float32")])
def test_l1_l2_match_keras_builtins(w):
    assert value(regularizers.L1(0.03), w) == pytest.approx(
        value(keras.regularizers.L1(0.03), w), rel=1e-6
    )
    assert value(regularizers.L2(0.03), w) == pytest.approx(
        value(keras.regularizers.L2(0.03), w), rel=1e-6
    )


@pytest.mark.parametrize("l1_ratio", [0.0, 0.3, 1.0])
def test_elastic_net_matches_glmnet_formula(l1_ratio):
    w = DENSE.astype("float64")
    expected = 0.2 * (
        l1_ratio * np.abs(w).sum() + (1 - l1_ratio) / 2 * np.square(w).sum()
    )
    got = value(regularizers.ElasticNet(0.2, l1_ratio=l1_ratio), DENSE)
    assert got == pytest.approx(expected, rel=1e-5)


def numpy_group_lasso(w, groups, factor=None):
    kept = w.ndim - 1 if groups == "units" else w.ndim - 2
    moved = np.moveaxis(w, kept, 0).reshape(w.shape[kept], -1)
    norms = np.linalg.norm(moved, axis=1)
    factor = np.ones_like(norms) if factor is None else np.asarray(factor)
    return np.sqrt(moved.shape[1]) * np.sum(factor * norms), moved


@pytest.mark.parametrize("w", [DENSE, CONV])
@pytest.mark.parametrize("groups", ["units", "inputs"])
def test_group_lasso_matches_numpy(w, groups):
    expected, _ = numpy_group_lasso(w.astype("float64"), groups)
    got = value(regularizers.GroupLasso(0.1, groups=groups), w)
    assert got == pytest.approx(0.1 * expected, rel=1e-5)


def test_group_lasso_groups_are_columns_and_rows_of_a_dense_kernel():
    w = np.zeros((4, 3), "float32")
    w[:, 1] = [1.0, 1.0, 1.0, 1.0]  # one unit (column) of norm 2, size 4
    units = value(regularizers.GroupLasso(1.0, groups="units"), w)
    inputs = value(regularizers.GroupLasso(1.0, groups="inputs"), w)
    assert units == pytest.approx(np.sqrt(4) * 2.0)
    assert inputs == pytest.approx(4 * np.sqrt(3) * 1.0)  # 4 rows of norm 1, size 3


@pytest.mark.parametrize("groups", ["units", "inputs"])
def test_sparse_group_lasso_matches_numpy(groups):
    w = CONV.astype("float64")
    factor = np.arange(1, w.shape[-1 if groups == "units" else -2] + 1) / 2.0
    group_term, moved = numpy_group_lasso(w, groups, factor)
    l1_term = np.sum(factor[:, None] * np.abs(moved))
    expected = 0.3 * ((1 - 0.25) * group_term + 0.25 * l1_term)
    reg = regularizers.SparseGroupLasso(
        0.3, l1_ratio=0.25, groups=groups, penalty_factor=factor
    )
    assert value(reg, CONV) == pytest.approx(expected, rel=1e-5)


def test_group_lasso_rejects_vectors_with_a_clear_error():
    with pytest.raises(ValueError, match="rank >= 2"):
        regularizers.GroupLasso(0.1)(keras.ops.ones((3,)))


def test_group_lasso_gradient_is_finite_at_a_zero_group():
    import tensorflow as tf

    w = tf.Variable(np.array([[0.0, 1.0], [0.0, 2.0]], "float32"))
    with tf.GradientTape() as tape:
        loss = regularizers.GroupLasso(1.0)(w)
    grad = tape.gradient(loss, w).numpy()
    assert np.all(np.isfinite(grad))
    np.testing.assert_allclose(grad[:, 0], 0.0)
    np.testing.assert_allclose(grad[:, 1], np.sqrt(2) * np.array([1, 2]) / np.sqrt(5))


def test_penalty_factor_zero_leaves_weights_unpenalized():
    factor = np.array([[0.0], [1.0], [2.0], [0.0], [1.0]], "float32")  # per input row
    w = DENSE.astype("float64")
    expected_l1 = 0.1 * np.sum(factor * np.abs(w))
    assert value(regularizers.L1(0.1, penalty_factor=factor), DENSE) == pytest.approx(
        expected_l1, rel=1e-5
    )
    only_free = np.zeros_like(DENSE)
    only_free[[0, 3]] = 10.0  # rows with factor 0
    for cls in (regularizers.L1, regularizers.L2, regularizers.ElasticNet):
        assert value(cls(1.0, penalty_factor=factor), only_free) == 0.0


def test_group_penalty_factor_is_per_group():
    w = np.ones((2, 3), "float32")
    reg = regularizers.GroupLasso(1.0, penalty_factor=[0.0, 1.0, 3.0])
    assert value(reg, w) == pytest.approx(np.sqrt(2) * np.sqrt(2) * 4.0, rel=1e-6)


def test_strength_setter_validates_and_assigns():
    reg = regularizers.L2(0.1)
    reg.strength = 0.5
    assert float(reg.strength) == 0.5
    assert value(reg, np.ones(2, "float32")) == pytest.approx(1.0)
    reg.strength.assign(0.0)
    assert value(reg, np.ones(2, "float32")) == 0.0
    with pytest.raises(ValueError, match=r"`strength` of L2.*Received: strength=-1"):
        reg.strength = -1


def test_penalty_is_cast_to_the_weight_dtype():
    reg = regularizers.ElasticNet(0.1)
    out = reg(keras.ops.ones((3, 2), dtype="float16"))
    assert keras.backend.standardize_dtype(out.dtype) == "float16"
    assert float(out) == pytest.approx(0.1 * (0.5 * 6 + 0.25 * 6), rel=1e-3)


def test_strength_change_takes_effect_without_retracing():
    reg = regularizers.L2(0.0)
    counter = TraceCounter()
    model = keras.Sequential(
        [keras.Input((4,)), counter, keras.layers.Dense(1, kernel_regularizer=reg)]
    )
    model.compile(keras.optimizers.SGD(0.0), "mse")  # lr 0: weights stay put
    x = np.ones((16, 4), "float32")
    y = np.zeros((16, 1), "float32")
    before = model.fit(x, y, epochs=1, batch_size=16, verbose=0).history["loss"][0]
    traces = counter.count
    reg.strength = 10.0
    after = model.fit(x, y, epochs=1, batch_size=16, verbose=0).history["loss"][0]
    assert counter.count == traces, "changing the strength retraced the train step"
    kernel = model.layers[-1].kernel.numpy()
    assert after - before == pytest.approx(10.0 * np.sum(kernel**2), rel=1e-4)


def test_sum_adds_terms_and_keeps_their_variables():
    a, b = regularizers.L1(0.1), regularizers.L2(0.2)
    total = a + b + keras.regularizers.L2(0.3)
    assert isinstance(total, regularizers.Sum)
    assert len(total.terms) == 3  # flattened
    w = DENSE
    expected = value(a, w) + value(b, w) + value(keras.regularizers.L2(0.3), w)
    assert value(total, w) == pytest.approx(expected, rel=1e-6)
    a.strength = 0.0
    assert value(total, w) == pytest.approx(expected - 0.1 * np.abs(w).sum(), rel=1e-5)


def test_deepcopy_gives_an_independent_strength():
    reg = regularizers.GroupLasso(0.1, groups="inputs")
    clone = copy.deepcopy(reg)
    clone.strength = 0.9
    assert float(reg.strength) == pytest.approx(0.1)
    assert clone.groups == "inputs"

"""One strength per member: penalties, the proximal step and no retracing."""

import keras
import numpy as np
import pytest
from keras import ops

import kreg
from kreg import optimizers, regularizers
from tests.helpers import TraceCounter, assert_config_roundtrip, assert_invalid

RNG = np.random.default_rng(0)
W = RNG.normal(size=(3, 4, 2)).astype("float32")  # 3 members of a 4 x 2 kernel
S = [0.1, 0.0, 0.7]


def _np_group(w, axis, factor=1.0):
    return np.sqrt(w.shape[axis]) * np.sum(factor * np.linalg.norm(w, axis=axis))


ESTIMATE = RNG.normal(size=(4, 2)).astype("float32")  # a first fit's 4 x 2 kernel

CLOSED_FORMS = {
    "AdaptiveLasso": (
        lambda s: regularizers.AdaptiveLasso(s, estimate=ESTIMATE),
        lambda w: np.sum(np.abs(w) / np.abs(ESTIMATE)),
    ),
    "AdaptiveLasso-units": (
        lambda s: regularizers.AdaptiveLasso(s, estimate=ESTIMATE, groups="units"),
        lambda w: _np_group(w, 0, 1.0 / np.linalg.norm(ESTIMATE, axis=0)),
    ),
    "L1": (regularizers.L1, lambda w: np.abs(w).sum()),
    "L2": (regularizers.L2, lambda w: np.square(w).sum()),
    "ElasticNet": (
        lambda s: regularizers.ElasticNet(s, l1_ratio=0.3),
        lambda w: 0.3 * np.abs(w).sum() + 0.35 * np.square(w).sum(),
    ),
    "GroupLasso-units": (
        lambda s: regularizers.GroupLasso(s, groups="units"),
        lambda w: _np_group(w, 0),
    ),
    "GroupLasso-inputs": (
        lambda s: regularizers.GroupLasso(
            s, groups="inputs", penalty_factor=[1.0, 0.0, 2.0, 1.0]
        ),
        lambda w: _np_group(w, 1, np.array([1.0, 0.0, 2.0, 1.0])),
    ),
    "SparseGroupLasso": (
        lambda s: regularizers.SparseGroupLasso(s, l1_ratio=0.4),
        lambda w: 0.6 * _np_group(w, 0) + 0.4 * np.abs(w).sum(),
    ),
}


@pytest.mark.parametrize("name", sorted(CLOSED_FORMS))
def test_vector_strength_is_the_sum_of_member_penalties(name):
    make, closed_form = CLOSED_FORMS[name]
    reg = make(S)
    expected = sum(s * closed_form(W[m]) for m, s in enumerate(S))
    assert float(reg(W)) == pytest.approx(expected, rel=1e-5)
    # The default loop over members (for third-party subclasses) agrees.
    base = regularizers.Regularizer.member_penalties(reg, ops.convert_to_tensor(W))
    vectorized = reg.member_penalties(ops.convert_to_tensor(W))
    np.testing.assert_allclose(base, vectorized, rtol=1e-5)
    # Scalars are unchanged: the whole weight is one model.
    assert float(make(0.5)(W[0])) == pytest.approx(0.5 * closed_form(W[0]), rel=1e-5)


def test_strength_vector_assignment_and_config():
    reg = regularizers.L1([0.1, 0.2])
    assert reg.members == 2 and regularizers.L1(0.1).members is None
    reg.strength = [0.3, 0.4]
    np.testing.assert_allclose(reg.strength.numpy(), [0.3, 0.4])
    reg.strength = 0.5  # one value for every member
    np.testing.assert_allclose(reg.strength.numpy(), [0.5, 0.5])
    clone = assert_config_roundtrip(reg)
    assert clone.get_config()["strength"] == [0.5, 0.5]
    assert_invalid(lambda: setattr(reg, "strength", [1.0]), "strength", [1.0], "L1")
    scalar = regularizers.L2(0.1)
    assert_invalid(lambda: setattr(scalar, "strength", [1.0]), "strength", [1.0])
    assert_invalid(lambda: regularizers.L1([0.1, -1.0]), "strength", [0.1, -1.0])
    assert_invalid(lambda: regularizers.L1([]), "strength", [])
    with pytest.raises(ValueError, match="3 members"):
        regularizers.L1([0.1, 0.2, 0.3])(W[:2])


def _member_loss(y, p):
    # Per sample, the sum over members: each member's gradient is that of its
    # own mean squared error, as in a separate fit.
    return ops.sum(ops.square(y - p), axis=(1, 2))


def _fit_stack_and_separate(make_reg, strengths, inner, steps=60):
    x = RNG.normal(size=(32, 4)).astype("float32")
    y = (x[:, :1] * 2.0 - x[:, 1:2] + 0.1 * RNG.normal(size=(32, 1))).astype("float32")
    members = len(strengths)
    stack = keras.Sequential(
        [
            keras.Input((4,)),
            kreg.layers.StackedDense(
                1, members=members, kernel_regularizer=make_reg(strengths)
            ),
        ]
    )
    stack.compile(optimizers.Proximal(inner()), _member_loss)
    kernel0 = stack.layers[0].kernel.numpy().copy()
    bias0 = stack.layers[0].bias.numpy().copy()
    ys = np.repeat(y[:, None, :], members, axis=1)
    # One epoch of `steps` full batches: the same steps as `steps` epochs,
    # without the per-epoch overhead.
    x, y, ys = (np.tile(a, (steps,) + (1,) * (a.ndim - 1)) for a in (x, y, ys))
    stack.fit(x, ys, batch_size=32, verbose=0, shuffle=False)
    kernels = []
    for m, strength in enumerate(strengths):
        dense = keras.layers.Dense(1, kernel_regularizer=make_reg(strength))
        model = keras.Sequential([keras.Input((4,)), dense])
        dense.set_weights([kernel0[m], bias0[m]])
        model.compile(optimizers.Proximal(inner()), "mse")
        model.fit(x, y, batch_size=32, verbose=0, shuffle=False)
        kernels.append(dense.kernel.numpy())
    return stack.layers[0].kernel.numpy(), np.stack(kernels)


@pytest.mark.parametrize(
    "make_reg, inner, strengths",
    [
        (regularizers.L1, lambda: keras.optimizers.SGD(0.1), [0.02, 0.3, 1.5]),
        (
            lambda s: regularizers.SparseGroupLasso(s, 0.5, groups="inputs"),
            lambda: keras.optimizers.Adam(0.05),
            [0.02, 1.5],
        ),
    ],
    ids=["L1-SGD", "SparseGroupLasso-Adam"],
)
def test_proximal_thresholds_each_member_as_its_separate_fit(
    make_reg, inner, strengths
):
    stacked, separate = _fit_stack_and_separate(make_reg, strengths, inner)
    np.testing.assert_allclose(stacked, separate, atol=2e-5)
    np.testing.assert_array_equal(stacked == 0, separate == 0)
    zeros = (stacked == 0).sum(axis=(1, 2))
    assert zeros[0] < zeros[-1] and zeros[-1] >= 2  # exact zeros, per member


def test_changing_a_members_strength_does_not_retrace():
    counter = TraceCounter()
    reg = regularizers.L1([0.1, 0.1])
    model = keras.Sequential(
        [
            keras.Input((4,)),
            counter,
            kreg.layers.StackedDense(1, members=2, kernel_regularizer=reg),
        ]
    )
    model.compile(optimizers.Proximal(keras.optimizers.SGD(0.1)), _member_loss)
    x = RNG.normal(size=(16, 4)).astype("float32")
    y = np.zeros((16, 2, 1), "float32")
    model.fit(x, y, epochs=1, verbose=0)
    traces = counter.count
    reg.strength = [0.0, 100.0]
    model.fit(x, y, epochs=1, verbose=0)
    assert counter.count == traces
    assert np.all(model.layers[1].kernel.numpy()[1] == 0)


def test_proximal_rejects_a_scalar_group_penalty_beside_member_strengths():
    reg = regularizers.L1([0.1, 0.1]) + regularizers.GroupLasso(0.1)
    model = keras.Sequential(
        [keras.Input((4,)), kreg.layers.StackedDense(1, 2, kernel_regularizer=reg)]
    )
    model.compile(optimizers.Proximal(keras.optimizers.SGD(0.1)), _member_loss)
    with pytest.raises(ValueError, match="groups would span members"):
        model.fit(np.ones((4, 4)), np.ones((4, 2, 1)), verbose=0)

"""The adaptive lasso: a penalty added through the protocol, one file."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from sklearn.linear_model import Lasso, LinearRegression

import kreg
from kreg.optimizers import Proximal
from kreg.regularizers import AdaptiveLasso
from tests.helpers import TraceCounter, assert_invalid

RNG = np.random.default_rng(3)
B = np.array([[2.0, -0.5, 0.0], [0.25, 1.0, -4.0]], "float32")  # 2 inputs x 3 units
W = RNG.normal(size=(2, 3)).astype("float32")


def _factors(b, gamma):
    m = np.abs(b).astype("float64")
    return np.maximum(m, 1e-6 * m.max()) ** -gamma


def _group_factors(b, axis, gamma):
    return np.linalg.norm(b.astype("float64"), axis=axis) ** -gamma


def test_penalty_is_the_numpy_closed_form():
    reg = AdaptiveLasso(0.3, estimate=B, gamma=2.0)
    expected = 0.3 * np.sum(_factors(B, 2.0) * np.abs(W))
    assert float(reg(W)) == pytest.approx(expected, rel=1e-5)
    # The estimate of 0 (input 0, unit 2) counts as 1e-6 of the largest, 4.
    assert reg.penalty_factor[0, 2] == pytest.approx((4e-6) ** -2, rel=1e-5)
    for groups, axis in (("inputs", 1), ("units", 0)):
        reg = AdaptiveLasso(0.3, estimate=B, groups=groups)
        f = _group_factors(B, axis, 1.0)
        p = W.shape[axis]
        expected = 0.3 * np.sqrt(p) * np.sum(f * np.linalg.norm(W, axis=axis))
        assert float(reg(W)) == pytest.approx(expected, rel=1e-5)
        # The group norms are an estimate too.
        norms = np.linalg.norm(B, axis=axis)
        same = AdaptiveLasso(0.3, estimate=norms, groups=groups)
        assert float(same(W)) == pytest.approx(expected, rel=1e-5)


def _one_step(reg, kernel, data_grad, lr):
    """One Proximal(SGD) step, given the gradient with the penalty's (as fit's)."""
    variable = keras.Variable(kernel)
    variable.regularizer = reg
    with tf.GradientTape() as tape:
        penalty = reg(variable)
    grad = data_grad + tape.gradient(penalty, variable).numpy()
    Proximal(keras.optimizers.SGD(lr)).apply([grad], [variable])
    return variable.numpy()


def test_the_proximal_step_is_the_numpy_closed_form(float64):
    kernel = RNG.normal(size=(2, 3))
    data_grad = RNG.normal(size=(2, 3))
    lr, strength = 0.1, 2.0
    z = kernel - lr * data_grad  # the penalty's gradient is taken out again
    reg = AdaptiveLasso(strength, estimate=B)
    t = lr * strength * _factors(B, 1.0)
    expected = np.sign(z) * np.maximum(np.abs(z) - t, 0.0)
    np.testing.assert_allclose(
        _one_step(reg, kernel, data_grad, lr), expected, atol=1e-12
    )
    assert expected[0, 2] == 0.0  # the estimate of 0 keeps its weight at 0
    reg = AdaptiveLasso(strength, estimate=B, groups="inputs")
    t = lr * strength * np.sqrt(3) * _group_factors(B, 1, 1.0)[:, None]
    norm = np.linalg.norm(z, axis=1, keepdims=True)
    expected = z * np.maximum(1.0 - t / norm, 0.0)
    np.testing.assert_allclose(
        _one_step(reg, kernel, data_grad, lr), expected, atol=1e-12
    )


def test_proximal_reaches_sklearns_lasso_on_rescaled_columns(float64):
    # sum_j f_j |w_j| is the lasso of v = f * w on the columns x_j / f_j.
    rng = np.random.default_rng(0)
    x = rng.normal(size=(100, 6))
    y = x[:, :3] @ np.array([2.0, -1.0, 0.5]) + 0.5 * rng.normal(size=100)
    estimate = LinearRegression().fit(x, y).coef_
    estimate[5] = 0.0
    f = _factors(estimate, 1.0)
    alpha = 0.05
    reference = Lasso(alpha=alpha, tol=1e-12, max_iter=100_000).fit(x / f, y)
    expected = reference.coef_ / f
    # Keras' mse has no 1/2: strength = 2 * alpha.
    reg = AdaptiveLasso(2 * alpha, estimate=estimate[:, None])
    model = keras.Sequential(
        [keras.Input((6,)), keras.layers.Dense(1, kernel_regularizer=reg)]
    )
    design = np.c_[x, np.ones(len(x))]
    lipschitz = 2.0 * np.linalg.eigvalsh(design.T @ design / len(x)).max()
    model.compile(Proximal(keras.optimizers.SGD(1 / lipschitz)), "mse")
    data = tf.data.Dataset.from_tensors((x, y)).repeat()
    model.fit(data, steps_per_epoch=120, epochs=1, shuffle=False, verbose=0)
    kernel = model.layers[0].kernel.numpy().ravel()
    np.testing.assert_array_equal(kernel != 0, expected != 0)
    assert np.sum(kernel == 0) >= 1 and kernel[5] == 0.0
    np.testing.assert_allclose(kernel, expected, atol=1e-4)


def test_lambda_max_closed_form():
    g = RNG.normal(size=(2, 3))
    reg = AdaptiveLasso(1.0, estimate=B, gamma=0.5)
    expected = np.max(np.abs(g) / _factors(B, 0.5))
    assert reg.lambda_max(g) == pytest.approx(expected, rel=1e-6)
    grouped = AdaptiveLasso(1.0, estimate=B, groups="units")
    f = _group_factors(B, 0, 1.0)
    expected = np.max(np.linalg.norm(g, axis=0) / (np.sqrt(2) * f))
    assert grouped.lambda_max(g) == pytest.approx(expected, rel=1e-6)
    # That zero weights stay zero above it: tests/regularizers/test_protocol.py.


def test_config_and_slicing_keep_the_factors():
    reg = AdaptiveLasso([0.1, 0.2], estimate=B, gamma=1.5, groups="inputs")
    config = reg.get_config()
    assert config == {
        "strength": pytest.approx([0.1, 0.2]),
        "estimate": B.tolist(),
        "gamma": 1.5,
        "groups": "inputs",
    }
    np.testing.assert_array_equal(
        AdaptiveLasso.from_config(config).penalty_factor, reg.penalty_factor
    )
    flat = AdaptiveLasso(0.1, estimate=B)
    # Pruning cuts unit 0 away: the largest estimate, 4, stays; so does the
    # factor of the zero estimate, 1 / 4e-6, though 4 was its scale.
    cut = flat.sliced((2, 3), np.arange(2), np.array([1, 2]))
    np.testing.assert_allclose(cut.penalty_factor, flat.penalty_factor[:, 1:])
    cut = flat.sliced((2, 3), np.array([0]), np.array([0, 2]))
    np.testing.assert_allclose(cut.penalty_factor, flat.penalty_factor[:1, [0, 2]])
    cut = reg.sliced((2, 3), np.array([1]), np.arange(3))
    np.testing.assert_allclose(cut.penalty_factor, reg.penalty_factor[1:])
    assert (flat.label, reg.label) == ("adaptive_lasso", "adaptive_group_lasso")
    assert reg.description == "adaptive group lasso over inputs, gamma 1.5"


def test_strength_change_takes_effect_without_retracing():
    reg = AdaptiveLasso(0.0, estimate=np.ones((8, 1)))
    counter = TraceCounter()
    model = keras.Sequential(
        [keras.Input((8,)), counter, keras.layers.Dense(1, kernel_regularizer=reg)]
    )
    model.compile(Proximal(keras.optimizers.SGD(0.05)), "mse")
    x = RNG.normal(size=(16, 8)).astype("float32")
    y = x[:, :1]
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    traces = counter.count
    assert not np.any(model.layers[-1].kernel.numpy() == 0)
    reg.strength = 50.0  # a threshold of 2.5 per step
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert counter.count == traces
    assert np.all(model.layers[-1].kernel.numpy() == 0)


@pytest.mark.parametrize(
    ("kwargs", "name", "value"),
    [
        ({"estimate": None}, "estimate", None),
        ({"estimate": [0.0, 0.0]}, "estimate", [0.0, 0.0]),
        ({"estimate": [1.0, float("nan")]}, "estimate", [1.0, float("nan")]),
        ({"estimate": "big"}, "estimate", "big"),
        ({"estimate": 2.0, "groups": "units"}, "estimate", 2.0),
        ({"estimate": [1.0], "gamma": 0.0}, "gamma", 0.0),
        ({"estimate": [1e-12, 0.0], "gamma": 3.0}, "gamma", 3.0),
        ({"estimate": [1.0], "groups": "rows"}, "groups", "rows"),
        ({"estimate": [1.0], "strength": -1.0}, "strength", -1.0),
    ],
)
def test_bad_arguments_raise_naming_them(kwargs, name, value):
    assert_invalid(lambda: AdaptiveLasso(**kwargs), name, value, "AdaptiveLasso")


def test_an_estimate_that_does_not_fit_the_weight_is_named():
    reg = AdaptiveLasso(0.1, estimate=[1.0, 2.0, 3.0, 4.0], groups="inputs")
    with pytest.raises(ValueError, match="argument `estimate` of AdaptiveLasso"):
        reg(W)


def test_the_lambda_path_starts_at_its_lambda_max():
    # The λ path asks the penalty: a second stage over a first fit's kernel.
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 3)).astype("float32")
    y = (x @ np.array([2.0, -1.0, 0.0]) + 1.0).astype("float32")
    estimate = np.array([[1.5], [-0.5], [0.0]], "float32")

    def build(regularizer):
        return keras.Sequential(
            [keras.Input((3,)), keras.layers.Dense(1, kernel_regularizer=regularizer)]
        )

    reg = AdaptiveLasso(1.0, estimate=estimate)
    path = kreg.tuning.regularization_path(
        build, x, y, regularizer=reg, loss="mse", n_strengths=1, epochs=1
    )
    order = np.random.default_rng(0).permutation(50)[:-10]  # the path's train part
    xt, yt = x[order], y[order]
    g = -2 * xt.T @ (yt - yt.mean()) / len(yt)
    expected = np.max(np.abs(g) * np.abs(estimate.ravel()))
    assert path.max_strength == pytest.approx(expected, rel=1e-3)

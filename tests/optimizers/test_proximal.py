"""Proximal training against scikit-learn, and its contract with model.fit."""

import keras
import numpy as np
import pytest
import sklearn
import tensorflow as tf
from sklearn.linear_model import (
    ElasticNet,
    Lasso,
    LogisticRegression,
    MultiTaskLasso,
)

import kreg
from kreg.optimizers import Proximal
from tests.helpers import TraceCounter


def _regression(n=100, p=10, seed=0, outputs=None):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, p))
    coef = np.zeros((p,) if outputs is None else (p, outputs))
    coef[:3] = np.reshape([2.0, -1.0, 0.5], (3,) + (1,) * (coef.ndim - 1))
    noise = rng.normal(size=(n,) if outputs is None else (n, outputs))
    return x, x @ coef + 0.5 * noise


def _lipschitz(x, outputs=1):
    """Lipschitz constant of Keras' mse gradient in (kernel, bias)."""
    design = np.c_[x, np.ones(len(x))]
    return 2.0 * np.linalg.eigvalsh(design.T @ design / len(x)).max() / outputs


def _linear(p, regularizer, units=1):
    return keras.Sequential(
        [
            keras.Input((p,)),
            keras.layers.Dense(units, kernel_regularizer=regularizer, name="linear"),
        ]
    )


def _fit_full_batch(model, x, y, steps):
    """``steps`` full-batch steps in one fit call (one epoch per step is slow)."""
    data = tf.data.Dataset.from_tensors((x, y)).repeat()
    return model.fit(data, steps_per_epoch=steps, epochs=1, shuffle=False, verbose=0)


def _weights(model):
    layer = model.get_layer("linear")
    return layer.kernel.numpy(), layer.bias.numpy()


def _lasso_objective(x, y, coef, intercept, alpha, l1_ratio=1.0):
    residual = y - x @ coef - intercept
    penalty = l1_ratio * np.abs(coef).sum() + (1 - l1_ratio) / 2 * np.sum(coef**2)
    return residual @ residual / (2 * len(y)) + alpha * penalty


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_lasso_reaches_sklearn_objective_and_support(dtype, request):
    if dtype == "float64":
        request.getfixturevalue("float64")
    x, y = _regression()
    alpha = 0.1
    reference = Lasso(alpha=alpha, tol=1e-12, max_iter=100_000).fit(x, y)
    # sklearn: 1/(2n)||y - Xw||^2 + alpha |w|_1; Keras mse has no 1/2.
    model = _linear(10, kreg.regularizers.L1(2 * alpha))
    model.compile(Proximal(keras.optimizers.SGD(1 / _lipschitz(x))), "mse")
    _fit_full_batch(model, x.astype(dtype), y.astype(dtype), steps=300)
    kernel, bias = _weights(model)
    ours = _lasso_objective(x, y, kernel.ravel(), bias[0], alpha)
    theirs = _lasso_objective(x, y, reference.coef_, reference.intercept_, alpha)
    assert abs(ours - theirs) / theirs < 1e-4
    np.testing.assert_array_equal(kernel.ravel() != 0, reference.coef_ != 0)
    assert (kernel == 0).sum() == 7


def test_elastic_net_reaches_sklearn_objective_and_support(float64):
    x, y = _regression(seed=1)
    alpha, l1_ratio = 0.2, 0.6
    reference = ElasticNet(
        alpha=alpha, l1_ratio=l1_ratio, tol=1e-12, max_iter=100_000
    ).fit(x, y)
    model = _linear(10, kreg.regularizers.ElasticNet(2 * alpha, l1_ratio=l1_ratio))
    model.compile(Proximal(keras.optimizers.SGD(1 / _lipschitz(x))), "mse")
    _fit_full_batch(model, x, y, steps=300)
    kernel, bias = _weights(model)
    ours = _lasso_objective(x, y, kernel.ravel(), bias[0], alpha, l1_ratio)
    theirs = _lasso_objective(
        x, y, reference.coef_, reference.intercept_, alpha, l1_ratio
    )
    assert abs(ours - theirs) / theirs < 1e-4
    np.testing.assert_array_equal(kernel.ravel() != 0, reference.coef_ != 0)
    assert 0 < (kernel == 0).sum() < 10


def test_penalty_factor_is_honoured(float64):
    # A factor f_j on w_j is the plain lasso on x_j / f_j, with w_j = v_j / f_j.
    x, y = _regression(seed=2)
    factor = np.array([0.5, 10.0, 1.0, 1.0, 0.02, 1.0, 1.0, 2.0, 1.0, 1.0])
    alpha = 0.1
    reference = Lasso(alpha=alpha, tol=1e-12, max_iter=100_000).fit(x / factor, y)
    model = _linear(10, kreg.regularizers.L1(2 * alpha, penalty_factor=factor[:, None]))
    model.compile(Proximal(keras.optimizers.SGD(1 / _lipschitz(x))), "mse")
    _fit_full_batch(model, x, y, steps=600)
    kernel, _ = _weights(model)
    np.testing.assert_allclose(kernel.ravel(), reference.coef_ / factor, atol=1e-6)
    # Factor 10 switches off the true coefficient -1; factor 0.02 lets noise in.
    assert kernel[1, 0] == 0 and kernel[4, 0] != 0


def test_group_lasso_reaches_sklearn_multitask_lasso(float64):
    # MultiTaskLasso: 1/(2n)||Y - XW||_F^2 + alpha sum_j ||W_j||; Keras mse
    # averages over the k outputs too, and GroupLasso has sqrt(k) per group:
    # strength = 2 * alpha / k**1.5.
    k = 3
    x, y = _regression(seed=3, outputs=k)
    alpha = 0.15
    reference = MultiTaskLasso(alpha=alpha, tol=1e-12, max_iter=100_000).fit(x, y)
    reg = kreg.regularizers.GroupLasso(2 * alpha / k**1.5, groups="inputs")
    model = _linear(10, reg, units=k)
    model.compile(Proximal(keras.optimizers.SGD(1 / _lipschitz(x, k))), "mse")
    _fit_full_batch(model, x, y, steps=400)
    kernel, _ = _weights(model)
    np.testing.assert_allclose(kernel, reference.coef_.T, atol=1e-6)
    zero_rows = np.all(kernel == 0, axis=1)
    np.testing.assert_array_equal(zero_rows, np.all(reference.coef_.T == 0, axis=1))
    assert zero_rows.sum() >= 5


@pytest.mark.parametrize(
    "name, regularizer, a, q, c",
    [
        # penalty = a |w| + q w^2 + c ||w_g|| per weight and group (k = 2 units)
        (
            "sparse-group",
            lambda: kreg.regularizers.SparseGroupLasso(0.1, 0.5, groups="inputs"),
            0.05,
            0.0,
            0.05 * np.sqrt(2),
        ),
        (
            "sum",
            lambda: (
                kreg.regularizers.ElasticNet(0.1, l1_ratio=0.5)
                + kreg.regularizers.GroupLasso(0.04, groups="inputs")
            ),
            0.05,
            0.025,
            0.04 * np.sqrt(2),
        ),
    ],
)
def test_group_penalties_satisfy_their_optimality_conditions(
    name, regularizer, a, q, c, float64
):
    x, y = _regression(seed=4, outputs=2)
    model = _linear(10, regularizer(), units=2)
    model.compile(Proximal(keras.optimizers.SGD(1 / _lipschitz(x, 2))), "mse")
    _fit_full_batch(model, x, y, steps=600)
    kernel, bias = _weights(model)
    grad = -2 * x.T @ (y - x @ kernel - bias) / y.size  # of Keras' mse
    for j in range(10):
        norm = np.linalg.norm(kernel[j])
        if norm == 0:
            soft = np.sign(grad[j]) * np.maximum(np.abs(grad[j]) - a, 0)
            assert np.linalg.norm(soft) <= c + 1e-8
            continue
        nonzero = kernel[j] != 0
        w = kernel[j][nonzero]
        np.testing.assert_allclose(
            -grad[j][nonzero], a * np.sign(w) + 2 * q * w + c * w / norm, atol=1e-8
        )
        assert np.all(np.abs(grad[j][~nonzero]) <= a + 1e-8)
    assert np.any(np.all(kernel == 0, axis=1)) and np.any(kernel != 0), name


def test_logistic_l1_selects_sklearn_features(float64):
    rng = np.random.default_rng(5)
    n, p = 300, 12
    x = rng.normal(size=(n, p))
    logits = x[:, :4] @ np.array([1.5, -1.0, 0.8, 0.5]) + 0.3
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-logits))).astype("float64")
    c = 0.05
    # scikit-learn 1.8 deprecated penalty="l1" for l1_ratio=1 (and older releases
    # ignore l1_ratio without penalty="elasticnet"); saga leaves the intercept
    # unpenalized, as kreg does.
    version = tuple(int(part) for part in sklearn.__version__.split(".")[:2])
    l1 = {"l1_ratio": 1.0} if version >= (1, 8) else {"penalty": "l1"}
    reference = LogisticRegression(
        **l1, C=c, solver="saga", tol=1e-10, max_iter=100_000
    ).fit(x, y)
    # sklearn: C * sum(logloss) + |w|_1  =  n*C * (mean logloss + |w|_1 / (n*C)).
    model = _linear(p, kreg.regularizers.L1(1 / (n * c)))
    lipschitz = _lipschitz(x) / 8  # logloss curvature <= 1/4, no factor 2
    model.compile(
        Proximal(keras.optimizers.SGD(1 / lipschitz)),
        keras.losses.BinaryCrossentropy(from_logits=True),
    )
    _fit_full_batch(model, x, y[:, None], steps=600)
    kernel, _ = _weights(model)
    selected = reference.coef_.ravel() != 0
    np.testing.assert_array_equal(kernel.ravel() != 0, selected)
    assert 2 <= selected.sum() < p
    np.testing.assert_allclose(kernel.ravel(), reference.coef_.ravel(), atol=1e-4)


# Optimizers whose first step is already the steady-state step (bias-corrected
# moments, no momentum): started at the lasso solution, they must stay there.
FIRST_STEP_EXACT = {
    "Adam": lambda: keras.optimizers.Adam(0.02),
    "AdamW-amsgrad": lambda: keras.optimizers.AdamW(
        0.02, weight_decay=0.0, amsgrad=True
    ),
    "Adamax": lambda: keras.optimizers.Adamax(0.02),
    "RMSprop-centered": lambda: keras.optimizers.RMSprop(0.005, centered=True),
    "Adagrad": lambda: keras.optimizers.Adagrad(0.5),
    "SGD": lambda: keras.optimizers.SGD(0.05),
}

# Momentum optimizers reach the same fixed point after a transient.
WITH_MOMENTUM = {
    "Adam": lambda: keras.optimizers.Adam(0.05),
    "Nadam": lambda: keras.optimizers.Nadam(0.05),
    "RMSprop-momentum": lambda: keras.optimizers.RMSprop(0.01, momentum=0.5),
    "SGD-nesterov": lambda: keras.optimizers.SGD(0.1, momentum=0.7, nesterov=True),
}


def _lasso_without_intercept(alpha=0.1):
    x, y = _regression(seed=6)
    reference = Lasso(
        alpha=alpha, fit_intercept=False, tol=1e-14, max_iter=100_000
    ).fit(x, y)
    model = keras.Sequential(
        [
            keras.Input((10,)),
            keras.layers.Dense(
                1,
                use_bias=False,
                kernel_regularizer=kreg.regularizers.L1(2 * alpha),
                name="linear",
            ),
        ]
    )
    model.set_weights([reference.coef_[:, None]])
    return x, y, reference, model


@pytest.mark.parametrize("name", sorted(FIRST_STEP_EXACT))
def test_lasso_solution_is_a_fixed_point_of_the_per_coordinate_step(name, float64):
    # The prox threshold must be the step the inner optimizer really took;
    # any other threshold moves the weights off the solution.
    x, y, reference, model = _lasso_without_intercept()
    model.compile(Proximal(FIRST_STEP_EXACT[name]()), "mse")
    _fit_full_batch(model, x, y, steps=20)
    kernel = model.get_layer("linear").kernel.numpy().ravel()
    np.testing.assert_allclose(kernel, reference.coef_, atol=1e-6)
    np.testing.assert_array_equal(kernel != 0, reference.coef_ != 0)


@pytest.mark.parametrize("name", ["Adam", "Adamax", "RMSprop-centered", "Adagrad"])
def test_scalar_step_with_an_adaptive_optimizer_leaves_the_lasso(name, float64):
    # Why step="auto": Adam's step per coordinate is lr / sqrt(v), not lr.
    x, y, reference, model = _lasso_without_intercept()
    model.compile(Proximal(FIRST_STEP_EXACT[name](), step="learning_rate"), "mse")
    _fit_full_batch(model, x, y, steps=20)
    kernel = model.get_layer("linear").kernel.numpy().ravel()
    assert np.abs(kernel - reference.coef_).max() > 1e-2


@pytest.mark.parametrize("name", sorted(WITH_MOMENTUM))
def test_momentum_optimizers_converge_to_the_lasso(name, float64):
    x, y = _regression(seed=6)
    alpha = 0.1
    reference = Lasso(alpha=alpha, tol=1e-14, max_iter=100_000).fit(x, y)
    model = _linear(10, kreg.regularizers.L1(2 * alpha))
    model.compile(Proximal(WITH_MOMENTUM[name]()), "mse")
    _fit_full_batch(model, x, y, steps=300)
    kernel, _ = _weights(model)
    np.testing.assert_array_equal(kernel.ravel() != 0, reference.coef_ != 0)
    np.testing.assert_allclose(kernel.ravel(), reference.coef_, atol=1e-4)


@pytest.mark.parametrize(
    "inner",
    [
        lambda rate: keras.optimizers.SGD(rate, momentum=0.9, nesterov=True),
        lambda rate: keras.optimizers.RMSprop(rate / 30, momentum=0.9),
    ],
    ids=["sgd", "rmsprop"],
)
def test_a_lower_learning_rate_keeps_the_zeros_of_a_momentum_optimizer(inner, float64):
    x, y = _regression(seed=6)
    rate = 1 / _lipschitz(x)
    model = _linear(10, kreg.regularizers.L1(0.2))
    model.compile(Proximal(inner(rate)), "mse")
    _fit_full_batch(model, x, y, steps=400)
    zeros = _weights(model)[0].ravel() == 0
    before = model.evaluate(x, y, verbose=0)
    # A zeroed coordinate's momentum holds rate / (1 - momentum) times its
    # gradient; unscaled, a tenth of the rate would release it at once.
    model.optimizer.learning_rate = float(model.optimizer.learning_rate) / 10
    losses = _fit_full_batch(model, x, y, steps=20).history["loss"]
    assert zeros.sum() >= 5
    np.testing.assert_array_equal(_weights(model)[0].ravel() == 0, zeros)
    assert max(losses) <= before + 1e-6


def test_one_step_is_ista_with_the_scheduled_learning_rate(float64):
    x, y = _regression(n=20, p=4, seed=7)
    schedule = keras.optimizers.schedules.ExponentialDecay(0.1, 1, 0.5)
    model = _linear(4, kreg.regularizers.L1(0.3))
    model.compile(Proximal(keras.optimizers.SGD(schedule)), "mse")
    kernel, bias = (w.copy() for w in _weights(model))
    for lr in (0.1, 0.05):  # the rate of steps 0 and 1
        residual = y - (x @ kernel).ravel() - bias
        grad_k = -2 * x.T @ residual[:, None] / len(y)
        grad_b = -2 * residual.mean()
        kernel = kernel - lr * grad_k
        kernel = np.sign(kernel) * np.maximum(np.abs(kernel) - lr * 0.3, 0)
        bias = bias - lr * grad_b
    _fit_full_batch(model, x, y, steps=2)
    np.testing.assert_allclose(_weights(model)[0], kernel, atol=1e-12)
    np.testing.assert_allclose(_weights(model)[1], bias, atol=1e-12)


def _mlp(p, first_regularizer):
    return keras.Sequential(
        [
            keras.Input((p,)),
            keras.layers.Dense(
                16, "relu", kernel_regularizer=first_regularizer, name="first"
            ),
            keras.layers.Dense(1),
        ]
    )


def test_group_lasso_mlp_switches_off_uninformative_inputs():
    rng = np.random.default_rng(8)
    n, p = 500, 200
    x = rng.normal(size=(n, p)).astype("float32")
    informative = x[:, :10]
    y = (informative @ rng.uniform(1, 2, size=10) + np.sin(2 * informative[:, 0]))[
        :, None
    ]
    y = (y / y.std()).astype("float32")
    # 40 passes over the data in one epoch (epochs are slow to start).
    x_many, y_many = np.tile(x, (40, 1)), np.tile(y, (40, 1))
    model = _mlp(p, kreg.regularizers.GroupLasso(0.01, groups="inputs"))
    model.compile(Proximal(keras.optimizers.Adam(3e-3)), "mse")
    model.fit(x_many, y_many, batch_size=100, verbose=0)
    rows_off = np.all(model.get_layer("first").kernel.numpy() == 0, axis=1)
    assert not rows_off[:10].any()  # every informative feature kept
    assert rows_off[10:].mean() > 0.9  # most of the 190 others exactly off
    # Plain Adam with the same penalty in the loss switches off none.
    keras.utils.set_random_seed(1234)
    plain = _mlp(p, kreg.regularizers.GroupLasso(0.01, groups="inputs"))
    plain.compile(keras.optimizers.Adam(3e-3), "mse")
    plain.fit(x_many, y_many, batch_size=100, verbose=0)
    assert not np.any(np.all(plain.get_layer("first").kernel.numpy() == 0, axis=1))


def test_variables_without_proximable_regularizer_are_untouched():
    rng = np.random.default_rng(9)
    x = rng.normal(size=(64, 5)).astype("float32")
    y = rng.normal(size=(64, 1)).astype("float32")

    def build():
        keras.utils.set_random_seed(7)
        return keras.Sequential(
            [
                keras.Input((5,)),
                keras.layers.Dense(
                    8, kernel_regularizer=kreg.regularizers.L2(0.1), name="a"
                ),
                keras.layers.Dense(1, kernel_regularizer="l1", name="b"),
            ]
        )

    wrapped, plain = build(), build()
    wrapped.compile(Proximal(keras.optimizers.Adam(0.01)), "mse")
    plain.compile(keras.optimizers.Adam(0.01), "mse")
    wrapped.fit(x, y, batch_size=16, shuffle=False, verbose=0)
    plain.fit(x, y, batch_size=16, shuffle=False, verbose=0)
    for a, b in zip(wrapped.get_weights(), plain.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_fit_loss_is_the_full_objective_and_penalty_still_reports(float64):
    x, y = _regression(seed=10)
    reg = kreg.regularizers.L1(0.2)
    model = _linear(10, reg)
    model.compile(Proximal(keras.optimizers.SGD(1 / _lipschitz(x))), "mse")
    _fit_full_batch(model, x, y, steps=200)
    kernel, bias = _weights(model)
    report = kreg.penalty(model)
    # The strength variable is float32, whatever floatx is.
    assert report.total == pytest.approx(0.2 * np.abs(kernel).sum(), rel=1e-6)
    loss = model.evaluate(x, y, batch_size=100, verbose=0)
    mse = np.mean((y - (x @ kernel).ravel() - bias) ** 2)
    # Keras' loss tracker is a float32 Mean, whatever floatx is.
    assert loss == pytest.approx(mse + report.total, rel=1e-6)


def test_custom_loop_with_penalty_free_loss_matches_fit(float64):
    x, y = _regression(seed=11)
    lr = 1 / _lipschitz(x)

    def build():
        keras.utils.set_random_seed(3)
        return _linear(10, kreg.regularizers.ElasticNet(0.2, 0.5))

    fitted = build()
    fitted.compile(Proximal(keras.optimizers.SGD(lr)), "mse")
    _fit_full_batch(fitted, x, y, steps=20)

    looped = build()
    optimizer = Proximal(keras.optimizers.SGD(lr), loss_includes_penalty=False)
    for _ in range(20):
        with tf.GradientTape() as tape:
            data_loss = keras.losses.mean_squared_error(y[:, None], looped(x))
            data_loss = tf.reduce_mean(data_loss)
        grads = tape.gradient(data_loss, looped.trainable_variables)
        optimizer.apply(grads, looped.trainable_variables)
    for a, b in zip(fitted.get_weights(), looped.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-12)


def test_strength_is_read_at_step_time_without_retracing():
    rng = np.random.default_rng(12)
    x = rng.normal(size=(64, 20)).astype("float32")
    y = (x[:, :2] @ np.array([[1.0], [-1.0]])).astype("float32")
    reg = kreg.regularizers.L1(0.0)
    counter = TraceCounter()
    model = keras.Sequential(
        [keras.Input((20,)), counter, keras.layers.Dense(1, kernel_regularizer=reg)]
    )
    model.compile(Proximal(keras.optimizers.SGD(0.05)), "mse")
    x_many, y_many = np.tile(x, (20, 1)), np.tile(y, (20, 1))
    model.fit(x_many, y_many, batch_size=16, verbose=0)
    traces = counter.count
    zeros_before = int(np.sum(model.layers[-1].kernel.numpy() == 0))
    reg.strength = 0.2
    model.fit(x_many, y_many, batch_size=16, verbose=0)
    assert counter.count == traces
    zeros_after = int(np.sum(model.layers[-1].kernel.numpy() == 0))
    assert zeros_before == 0 and zeros_after >= 15


def test_sum_of_l1_and_l2_is_the_elastic_net(float64):
    # L1(a) + L2(b) = ElasticNet(s, r) with s * r = a and s * (1 - r) / 2 = b;
    # the L2 term stays in the gradient, the L1 term is proxed.
    x, y = _regression(seed=13)
    lr = 1 / (_lipschitz(x) + 2 * 0.1)
    summed = _linear(10, kreg.regularizers.L1(0.12) + kreg.regularizers.L2(0.04))
    summed.compile(Proximal(keras.optimizers.SGD(lr)), "mse")
    _fit_full_batch(summed, x, y, steps=400)
    net = _linear(10, kreg.regularizers.ElasticNet(0.2, l1_ratio=0.6))
    net.compile(Proximal(keras.optimizers.SGD(lr)), "mse")
    _fit_full_batch(net, x, y, steps=400)
    np.testing.assert_allclose(_weights(summed)[0], _weights(net)[0], atol=1e-8)
    assert np.sum(_weights(net)[0] == 0) > 0


def test_sum_of_group_penalties_over_units_and_inputs_raises():
    reg = kreg.regularizers.GroupLasso(0.1, "units") + kreg.regularizers.GroupLasso(
        0.1, "inputs"
    )
    model = _linear(3, reg, units=2)
    model.compile(Proximal(keras.optimizers.SGD(0.1)), "mse")
    with pytest.raises(ValueError, match="both units and inputs"):
        model.fit(np.ones((4, 3)), np.ones((4, 2)), verbose=0)


def test_works_under_mixed_precision():
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        rng = np.random.default_rng(14)
        x = rng.normal(size=(64, 8)).astype("float32")
        y = x[:, :1] * 2
        model = _linear(8, kreg.regularizers.L1(0.1))
        model.compile(Proximal(keras.optimizers.SGD(0.1)), "mse")
        assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
        _fit_full_batch(model, x, y, steps=100)
    finally:
        keras.mixed_precision.set_global_policy("float32")
    kernel = model.get_layer("linear").kernel.numpy().ravel()
    assert kernel[0] > 1.5 and np.all(kernel[1:] == 0)


def test_regularizer_attached_after_training_started_is_proxed():
    rng = np.random.default_rng(15)
    x = rng.normal(size=(64, 8)).astype("float32")
    y = x[:, :1] * 2
    model = _linear(8, None)
    model.compile(Proximal(keras.optimizers.SGD(0.1)), "mse")
    _fit_full_batch(model, x, y, steps=5)
    assert not np.any(model.get_layer("linear").kernel.numpy() == 0)
    kreg.regularize(model, kernel=kreg.regularizers.L1(0.1))
    _fit_full_batch(model, x, y, steps=100)
    kernel = model.get_layer("linear").kernel.numpy().ravel()
    assert kernel[0] > 1.5 and np.all(kernel[1:] == 0)

"""The grid of strengths and its top, λ_max: the smallest strength at which
all penalized weights are zero, from the optimality conditions at 0."""

import keras
import numpy as np
import tensorflow as tf

from kreg import regularizers
from kreg._validation import invalid_argument
from kreg.regularizers.kinds import KINDS, build
from kreg.tuning import cross_validation
from kreg.tuning.path.model import _loss_fn
from kreg.tuning.path.solver import _full_batch_loss


def _by_kind(kind: str, strength):
    """The path's penalty of a kind named in ``KINDS``: the group lassos
    group the inputs, so that a path selects features."""
    return build(kind, strength, groups="inputs")


def _check_regularizer(regularizer, owner):
    if isinstance(regularizer, str) and regularizer in KINDS:
        return _by_kind(regularizer, 1.0)
    if isinstance(regularizer, regularizers.Regularizer) and not isinstance(
        regularizer, regularizers.Sum
    ):
        return regularizer
    listed = ", ".join(repr(k) for k in KINDS)
    raise invalid_argument(
        owner,
        "regularizer",
        f"one of {listed} or a kreg regularizer (not a Sum)",
        regularizer,
    )


def _check_strengths(strengths, owner) -> np.ndarray:
    """An explicit grid, as float64: positive, finite, strictly decreasing."""
    grid = np.asarray(strengths, dtype="float64")
    if (
        grid.ndim != 1
        or grid.size == 0
        or not np.all(np.isfinite(grid))
        or np.any(grid <= 0)
        or np.any(np.diff(grid) >= 0)
    ):
        raise invalid_argument(
            owner,
            "strengths",
            "a non-empty decreasing sequence of positive floats",
            strengths,
        )
    return grid


def _geometric_grid(max_strength, min_ratio, n_strengths) -> np.ndarray:
    """glmnet's grid: ``n_strengths`` geometric steps from λ_max down to
    ``λ_max * min_ratio``."""
    if n_strengths > 1:
        return max_strength * np.geomspace(1.0, min_ratio, n_strengths)
    return np.array([max_strength])


def _lambda_max(model, reg, penalized, x, y, batch_size) -> float:
    """Smallest strength at which zero penalized weights are optimal, the
    other weights as they are; None when the gradient vanishes."""
    for variable in penalized:
        variable.assign(np.zeros(variable.shape, dtype="float32"))
    fn = _loss_fn(model)
    grads = [np.zeros(v.shape, dtype="float64") for v in penalized]
    n = len(y)
    y = np.asarray(y)
    for start in range(0, n, max(batch_size, 256)):
        stop = min(n, start + max(batch_size, 256))
        xb = cross_validation.take(x, slice(start, stop))
        yb = y[start:stop]
        with tf.GradientTape() as tape:
            prediction = model(xb, training=False)
            target = tf.convert_to_tensor(yb)
            if (
                len(target.shape) == len(prediction.shape) - 1
                and prediction.shape[-1] == 1
            ):
                target = target[..., None]
            value = tf.reduce_mean(fn(tf.cast(target, prediction.dtype), prediction))
        batch = tape.gradient(value, [v.value for v in penalized])
        for total, g in zip(grads, batch):
            if g is not None:
                total += np.asarray(g, dtype="float64") * (stop - start) / n
    # The penalty knows its own bound (Regularizer.lambda_max); None is "no
    # finite strength zeroes it".
    bounds = [reg.lambda_max(g) for g in grads]
    result = max(np.inf if bound is None else bound for bound in bounds)
    if not np.isfinite(result) or result <= 1e-12:
        return None
    return float(result)


def _null_lambda_max(model, reg, penalized, x, y, batch_size, steps=300):
    """λ_max at the null model: penalized weights 0, the others fitted.

    For a linear model this is glmnet's λ_max (the intercept-only fit).
    Full-batch Adam on at most 4096 rows; None when the gradient of the
    penalized weights vanishes there.
    """
    for variable in penalized:
        variable.assign(np.zeros(variable.shape, dtype="float32"))
    ids = {id(v) for v in penalized}
    free = [v for v in model.trainable_weights if id(v) not in ids]
    loss = _full_batch_loss(model, x, y)
    if free:
        optimizer = keras.optimizers.Adam(0.05)
        optimizer.build(free)

        @tf.function(autograph=False)
        def step():
            with tf.GradientTape() as tape:
                value = loss()
            grads = tape.gradient(value, [v.value for v in free])
            optimizer.apply(grads, free)

        for _ in range(steps):
            step()
    return _lambda_max(model, reg, penalized, x, y, batch_size)

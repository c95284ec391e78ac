"""What the λ path asks of the user's model: its compilation, its data
loss per sample, which weights are penalized and what they still read."""

import keras
import numpy as np

from kreg import _compat
from kreg._validation import invalid_argument
from kreg.metrics import DataLoss
from kreg.optimizers import Proximal
from kreg.tuning import cross_validation


def _feeds_weights(model, penalized) -> bool:
    """Whether a penalized layer's output reaches another layer with weights
    (a hidden layer of a net), following the functional graph."""
    ids = {id(v) for v in penalized}
    owners = [
        layer
        for layer in _compat.flatten_layers(model, include_self=False)
        if any(id(w) in ids for w in layer.trainable_weights)
    ]
    seen = set()
    stack = [op for owner in owners for op in _compat.outbound_operations(owner)]
    while stack:
        operation = stack.pop()
        if id(operation) in seen or operation is model:
            continue
        seen.add(id(operation))
        if getattr(operation, "trainable_weights", None):
            return True
        stack.extend(_compat.outbound_operations(operation))
    return False


def _uses(variable_regularizer, reg) -> bool:
    return variable_regularizer is reg


def _compile(model, loss, optimizer):
    """Compiles with kreg's ``DataLoss`` metric; a given ``optimizer`` (a
    fresh copy) replaces a compiled model's."""
    if isinstance(optimizer, keras.optimizers.Optimizer):
        optimizer = keras.optimizers.deserialize(keras.optimizers.serialize(optimizer))
    if model.compiled:
        config = _compat.compile_config(model)
        metrics = config.get("metrics") or []
        changed = optimizer is not None
        if changed:
            config["optimizer"] = optimizer
        if isinstance(metrics, list) and not any(
            isinstance(m, DataLoss) for m in metrics
        ):
            config["metrics"] = [*metrics, DataLoss(config["loss"])]
            changed = True
        if changed:
            model.compile(**config)
        return
    if loss is None:
        raise invalid_argument(
            "regularization_path",
            "loss",
            "a loss when build returns an uncompiled model",
            None,
        )
    if optimizer is None:
        optimizer = Proximal(keras.optimizers.Adam(2e-2))
    model.compile(optimizer=optimizer, loss=loss, metrics=[DataLoss(loss)])


def _loss_fn(model):
    loss = _compat.compile_config(model)["loss"]
    fn = keras.losses.get(loss)
    if isinstance(fn, keras.losses.Loss):
        return fn.call
    return fn


def _per_sample_loss(model, x, y, rows: int = 4096) -> np.ndarray:
    fn = _loss_fn(model)
    # Direct calls rather than ``predict``: each ``predict`` builds its own
    # data pipeline, which on small data costs more than the forward pass.
    prediction = np.concatenate(
        [
            keras.ops.convert_to_numpy(
                model(cross_validation.take(x, slice(i, i + rows)), training=False)
            )
            for i in range(0, len(y), rows)
        ]
    )
    y = np.asarray(y)
    if y.ndim == prediction.ndim - 1 and prediction.shape[-1] == 1:
        y = y[..., None]
    values = keras.ops.convert_to_numpy(
        fn(keras.ops.convert_to_tensor(y), keras.ops.convert_to_tensor(prediction))
    )
    return values.reshape(len(values), -1).mean(axis=1)


def _n_inputs(penalized) -> int:
    for variable in penalized:
        if len(variable.shape) >= 2:
            return int(variable.shape[-2])
    return 0


def _active_inputs(penalized, tol) -> int:
    """Input features still in use: rows (axis -2) of the penalized kernels
    that read the model's inputs (those with as many rows as the first)."""
    rows = None
    for variable in penalized:
        w = np.abs(np.asarray(variable))
        if w.ndim < 2:
            continue
        axes = tuple(i for i in range(w.ndim) if i != w.ndim - 2)
        used = w.max(axis=axes) > tol
        if rows is None:
            rows = used
        elif used.shape == rows.shape:
            rows = rows | used
    return int(np.sum(rows)) if rows is not None else 0

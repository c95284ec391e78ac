"""A trial's model: the hypermodel a build function becomes, its build
from a seed, and the compilation that gives it kreg's unpenalized
``data_loss``."""

import copy
import inspect

import keras
import keras_tuner

from kreg import _compat
from kreg._validation import invalid_argument
from kreg.metrics import DataLoss
from kreg.tuning._session import fresh_session
from kreg.tuning.hypermodel import HyperModel


def _as_hypermodel(hypermodel):
    if isinstance(hypermodel, keras_tuner.HyperModel):
        return hypermodel
    if not callable(hypermodel):
        raise invalid_argument(
            "Tuner", "hypermodel", "a HyperModel or a build function", hypermodel
        )
    try:
        names = list(inspect.signature(hypermodel).parameters)
    except (TypeError, ValueError):
        names = ["hp"]
    if names == ["hp"]:
        return hypermodel  # KerasTuner's own convention: build(hp)
    return HyperModel(hypermodel)


def _build(hypermodel, hp, seed: int, objective: str, **compile_args) -> keras.Model:
    """The model of ``hp``, built in a fresh session from ``seed`` and compiled
    (see :func:`_compile`)."""
    fresh_session()
    keras.utils.set_random_seed(seed)
    model = hypermodel.build(hp)
    if not isinstance(model, keras.Model):
        raise keras_tuner.errors.FatalTypeError(
            "The build function must return a keras.Model. "
            f"Received: {model!r} of type {type(model).__name__}"
        )
    _compile(model, objective, **compile_args)
    if not model.built:
        raise keras_tuner.errors.FatalValueError(
            "The model returned by build is not built: give it a "
            "keras.Input so that fold checkpoints can be saved."
        )
    return model


def _compile(model: keras.Model, objective: str, *, loss, optimizer, metrics) -> None:
    """Compiles an uncompiled model with ``loss``, ``optimizer`` (a fresh copy)
    and ``metrics`` plus ``DataLoss``; adds ``DataLoss`` to a compiled one
    when the ``objective`` is the data loss."""
    wants_data_loss = objective.removeprefix("val_") == "data_loss"
    if not model.compiled:
        if loss is None:
            raise keras_tuner.errors.FatalValueError(
                "The build function returned an uncompiled model and the Tuner "
                "has no `loss`: pass `loss=` to the Tuner, or compile the model."
            )
        if isinstance(optimizer, keras.optimizers.Optimizer):
            optimizer = keras.optimizers.deserialize(
                keras.optimizers.serialize(optimizer)
            )
        metrics = [DataLoss(loss), *copy.deepcopy(metrics)]
        model.compile(optimizer=optimizer, loss=loss, metrics=metrics)
        return
    config = _compat.compile_config(model)
    metrics = config.get("metrics")
    if wants_data_loss and not _has_data_loss(metrics):
        if isinstance(metrics, dict) or isinstance(config.get("loss"), dict | list):
            raise keras_tuner.errors.FatalValueError(
                "With several outputs add kreg.metrics.DataLoss to the metrics "
                "yourself, or choose another objective."
            )
        config["metrics"] = [*(metrics or []), DataLoss(config["loss"])]
        model.compile(**config)


def _has_data_loss(metrics) -> bool:
    if not isinstance(metrics, list | tuple):
        return False
    return any(
        isinstance(m, DataLoss) or (isinstance(m, str) and m == "data_loss")
        for m in metrics
    )

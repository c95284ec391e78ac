"""How much of the loss is penalty: the total and a breakdown per layer."""

import dataclasses

import keras

from kreg import _compat
from kreg._validation import invalid_argument


@dataclasses.dataclass(frozen=True)
class PenaltyReport:
    """The regularization penalty of a model, as Keras adds it to the loss.

    Attributes:
        total: the sum of every weight penalty (what ``fit`` adds to ``loss``).
        per_weight: penalty per variable, keyed by the variable's path
            (``"dense/kernel"``).
        per_layer: penalty per layer name, the sum of its weights' penalties.
    """

    total: float
    per_weight: dict[str, float]
    per_layer: dict[str, float]

    def __float__(self) -> float:
        return self.total


def penalty(model: keras.layers.Layer) -> PenaltyReport:
    """Returns the weight penalty of a model, in total and per layer.

    Counts exactly what Keras adds to the loss: the regularizer of every
    trainable weight (frozen weights add nothing in Keras, so nothing here).
    Penalties added with ``layer.add_loss`` depend on the inputs and are not
    included.

    Args:
        model: a built Keras model or layer.

    Returns:
        A :class:`PenaltyReport`; ``float(report)`` is the total.

    Example:

    >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(
    ...     1, kernel_regularizer=kreg.regularizers.L1(0.5), name="out")])
    >>> model.set_weights([np.array([[1.0], [-3.0]]), np.zeros(1)])
    >>> report = kreg.penalty(model)
    >>> report.total, report.per_layer
    (2.0, {'out': 2.0})
    """
    if not isinstance(model, keras.layers.Layer) or not model.built:
        raise invalid_argument("penalty", "model", "a built Keras model", model)
    # Which layer owns which variable: _flatten_layers reaches nested and custom
    # layers, as Layer.losses does; Keras has no public equivalent.
    owner = {}
    for layer in _compat.flatten_layers(model, include_self=True):
        for variable in _compat.own_trainable_variables(layer):
            owner.setdefault(id(variable), layer.name)
    per_weight: dict[str, float] = {}
    per_layer: dict[str, float] = {}
    # trainable_weights is the list Keras itself penalizes (frozen layers drop out).
    for variable in model.trainable_weights:
        if variable.regularizer is None:
            continue
        value = float(keras.ops.convert_to_numpy(variable.regularizer(variable.value)))
        per_weight[variable.path] = value
        name = owner.get(id(variable), model.name)
        per_layer[name] = per_layer.get(name, 0.0) + value
    return PenaltyReport(
        total=float(sum(per_weight.values())),
        per_weight=per_weight,
        per_layer=per_layer,
    )

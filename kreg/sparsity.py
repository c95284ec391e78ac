"""How sparse a model is: exact zeros, switched-off units and input features."""

import dataclasses

import keras
import numpy as np

from kreg import _compat
from kreg._validation import invalid_argument


@dataclasses.dataclass(frozen=True)
class LayerSparsity:
    """Sparsity of one layer's trainable weights.

    Attributes:
        weights: number of trainable weights of the layer.
        zeros: how many of them are exactly zero.
        zero_fraction: ``zeros / weights``.
        units: output units (filters) of the layer's kernel, or None for a
            layer without a kernel of rank >= 2.
        units_off: units whose kernel weights are all exactly zero (the
            group of ``GroupLasso(groups="units")``). Their output is the
            constant ``activation(bias)``.
        inputs: input features (channels) of the kernel, or None.
        inputs_off: input features whose kernel weights are all exactly zero
            (the group of ``GroupLasso(groups="inputs")``): the layer ignores
            them.
        removable: weights in a switched-off unit or input feature, plus the
            biases of switched-off units. ``kreg.prune`` removes these, and
            in a chain also the next layer's weights that read a removed unit.
    """

    weights: int
    zeros: int
    zero_fraction: float
    units: int | None
    units_off: int
    inputs: int | None
    inputs_off: int
    removable: int


@dataclasses.dataclass(frozen=True)
class SparsityReport:
    """Sparsity per layer and in total; ``str(report)`` is a table.

    Attributes:
        layers: layer name to its :class:`LayerSparsity`, for every layer
            with trainable weights.
        weights: trainable weights in the model.
        zeros: exactly-zero trainable weights.
        zero_fraction: ``zeros / weights``.
        removable: the sum of the layers' ``removable``.
    """

    layers: dict[str, LayerSparsity]
    weights: int
    zeros: int
    zero_fraction: float
    removable: int

    def __str__(self) -> str:
        rows = [
            f"{'layer':<24}{'weights':>9}{'zero %':>8}{'units off':>12}"
            f"{'inputs off':>12}{'removable':>11}"
        ]

        def ratio(off, total):
            return "-" if total is None else f"{off}/{total}"

        for name, layer in self.layers.items():
            rows.append(
                f"{name[:23]:<24}{layer.weights:>9}{100 * layer.zero_fraction:>8.1f}"
                f"{ratio(layer.units_off, layer.units):>12}"
                f"{ratio(layer.inputs_off, layer.inputs):>12}{layer.removable:>11}"
            )
        rows.append(
            f"{'total':<24}{self.weights:>9}{100 * self.zero_fraction:>8.1f}"
            f"{'':>12}{'':>12}{self.removable:>11}"
        )
        return "\n".join(rows)


def kernel_groups_off(kernel: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Boolean masks of the units (last axis) and inputs (axis -2) at zero."""
    zero = kernel == 0
    rank = kernel.ndim
    units_off = np.all(zero, axis=tuple(range(rank - 1)))
    inputs_off = np.all(zero, axis=tuple(a for a in range(rank) if a != rank - 2))
    return units_off, inputs_off


def _layer_sparsity(layer) -> LayerSparsity | None:
    variables = [v for v in _compat.own_trainable_variables(layer)]
    if not variables:
        return None
    values = [np.asarray(v.numpy()) for v in variables]
    weights = int(sum(v.size for v in values))
    zeros = int(sum(np.sum(v == 0) for v in values))
    kernel = getattr(layer, "kernel", None)
    if not isinstance(kernel, keras.Variable) or len(kernel.shape) < 2:
        return LayerSparsity(
            weights, zeros, zeros / max(weights, 1), None, 0, None, 0, 0
        )
    k = np.asarray(kernel.numpy())
    units_off, inputs_off = kernel_groups_off(k)
    removed = np.zeros(k.shape, bool)
    removed[..., units_off] = True
    removed[..., inputs_off, :] = True
    removable = int(removed.sum())
    bias = getattr(layer, "bias", None)
    if isinstance(bias, keras.Variable) and tuple(bias.shape) == (k.shape[-1],):
        removable += int(units_off.sum())
    return LayerSparsity(
        weights=weights,
        zeros=zeros,
        zero_fraction=zeros / max(weights, 1),
        units=int(k.shape[-1]),
        units_off=int(units_off.sum()),
        inputs=int(k.shape[-2]),
        inputs_off=int(inputs_off.sum()),
        removable=removable,
    )


def sparsity(model: keras.layers.Layer) -> SparsityReport:
    """Reports exact zeros, switched-off units and input features, per layer.

    A unit is switched off when all its kernel weights are exactly zero (a
    column of a Dense kernel, a filter of a Conv kernel); an input feature
    when all the weights leaving it are (a row of a Dense kernel, an input
    channel of a Conv kernel). Exact zeros come from proximal training
    (``kreg.optimizers.Proximal``); a penalty in the loss with a plain
    optimizer leaves weights near, but not at, zero.

    Args:
        model: a built Keras model or layer.

    Returns:
        A :class:`SparsityReport`; ``print(report)`` shows a table.

    Example:

    >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, name="d")])
    >>> model.set_weights([np.array([[1.0, 0.0], [0.0, 0.0], [2.0, 0.0]]),
    ...                    np.zeros(2)])
    >>> layer = kreg.sparsity(model).layers["d"]
    >>> layer.zeros, layer.units_off, layer.inputs_off, layer.removable
    (6, 1, 1, 5)
    """
    if not isinstance(model, keras.layers.Layer) or not model.built:
        raise invalid_argument("sparsity", "model", "a built Keras model", model)
    layers: dict[str, LayerSparsity] = {}
    # _flatten_layers reaches nested models, as kreg.penalty does.
    for layer in _compat.flatten_layers(model, include_self=True):
        report = _layer_sparsity(layer)
        if report is not None:
            layers[layer.name] = report
    weights = sum(r.weights for r in layers.values())
    zeros = sum(r.zeros for r in layers.values())
    return SparsityReport(
        layers=layers,
        weights=weights,
        zeros=zeros,
        zero_fraction=zeros / max(weights, 1),
        removable=sum(r.removable for r in layers.values()),
    )


def used_inputs(model: keras.Model) -> np.ndarray:
    """Which input features a model reads, as a boolean mask.

    An input feature is used when a layer called on the model's input has a
    weight on it that is not exactly zero (a row of a Dense kernel), or a
    nested model called on that input uses it (an ensemble's members); with
    a group lasso over the inputs and proximal training (``kreg.tuning``'s
    tabular models), the others are switched off exactly.

    Args:
        model: a built functional or Sequential model with one input.

    Returns:
        One Boolean per feature of the input's last axis.

    Example:

    >>> from kreg.sparsity import used_inputs
    >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2),
    ...                           keras.layers.Dense(1)])
    >>> _ = model.layers[0].kernel.assign([[1.0, 0.0], [0.0, 0.0], [0.0, 2.0]])
    >>> used_inputs(model).tolist()
    [True, False, True]
    """
    inputs = getattr(model, "inputs", None) if isinstance(model, keras.Model) else None
    if not inputs or len(inputs) != 1 or len(inputs[0].shape) < 2:
        raise invalid_argument(
            "used_inputs", "model", "a built Keras model with one input", model
        )
    used = np.zeros(inputs[0].shape[-1], dtype=bool)
    for layer in _input_readers(model):
        if isinstance(layer, keras.Model):
            used |= used_inputs(layer)
            continue
        kernel = getattr(layer, "kernel", None)
        if (
            isinstance(kernel, keras.Variable)
            and len(kernel.shape) >= 2
            and kernel.shape[-2] == used.size
        ):
            _, inputs_off = kernel_groups_off(np.asarray(kernel.numpy()))
            used |= ~inputs_off
    return used


def _input_readers(model: keras.Model) -> list:
    """The layers of ``model`` called on its input."""
    if isinstance(model, keras.Sequential):
        return model.layers[:1]
    own = {id(layer) for layer in model.layers}
    return [
        operation
        for layer in model.layers
        if isinstance(layer, keras.layers.InputLayer)
        for operation in _compat.outbound_operations(layer)
        if id(operation) in own
    ]

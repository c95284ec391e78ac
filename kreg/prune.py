"""Remove switched-off units and input features (``kreg.relax`` then refits
without the lasso's bias)."""

import dataclasses

import keras
import numpy as np
from keras import ops

from kreg._validation import invalid_argument
from kreg.regularizers.base import Regularizer
from kreg.regularizers.sum import Sum
from kreg.sparsity import kernel_groups_off

L = keras.layers
#: Layers whose units (filters) prune removes, and whose input rows it slices.
PRUNABLE = (L.Dense, L.Conv1D, L.Conv2D, L.Conv3D)
#: Per-channel layers that may sit between two prunable layers: each output
#: channel depends on the same input channel only (at inference).
PER_CHANNEL = (
    L.Activation,
    L.Dropout,
    L.SpatialDropout1D,
    L.SpatialDropout2D,
    L.SpatialDropout3D,
    L.GaussianNoise,
    L.GaussianDropout,
    L.AlphaDropout,
    L.ReLU,
    L.LeakyReLU,
    L.ELU,
    L.MaxPooling1D,
    L.MaxPooling2D,
    L.MaxPooling3D,
    L.AveragePooling1D,
    L.AveragePooling2D,
    L.AveragePooling3D,
    L.BatchNormalization,
)
#: Layers that turn a channels-last feature map into a vector.
TO_VECTOR = (
    L.Flatten,
    L.GlobalAveragePooling1D,
    L.GlobalAveragePooling2D,
    L.GlobalAveragePooling3D,
    L.GlobalMaxPooling1D,
    L.GlobalMaxPooling2D,
    L.GlobalMaxPooling3D,
)


@dataclasses.dataclass(frozen=True)
class PruneReport:
    """What :func:`prune` removed.

    Attributes:
        model: the pruned model (uncompiled).
        kept_inputs: indices of the input features the pruned model takes
            (all of them unless ``drop_inputs=True``): feed it
            ``x[..., report.kept_inputs]``.
        kept_units: layer name to the indices of its units (filters) kept.
        params_before: parameters of the original model.
        params_after: parameters of the pruned model.
    """

    model: keras.Model
    kept_inputs: list[int]
    kept_units: dict[str, list[int]]
    params_before: int
    params_after: int

    @property
    def reduction(self) -> float:
        """Fraction of the parameters removed."""
        return 1.0 - self.params_after / max(self.params_before, 1)

    def __str__(self) -> str:
        return (
            f"{self.params_before} -> {self.params_after} parameters "
            f"({100 * self.reduction:.1f}% removed); "
            f"{len(self.kept_inputs)} input features kept"
        )


def _chain(model) -> list:
    """The model's layers in order, when they form a single chain."""
    if isinstance(model, keras.Sequential):
        layers = [layer for layer in model.layers]
        if model.inputs is not None and layers:
            return layers
    elif isinstance(model, keras.Model) and hasattr(model, "_operations"):
        layers = [
            layer for layer in model.layers if not isinstance(layer, L.InputLayer)
        ]
        if len(model.inputs) == 1 and len(model.outputs) == 1 and layers:
            previous = model.inputs[0]
            chained = True
            for layer in layers:
                try:
                    chained = chained and layer.input is previous
                    previous = layer.output
                except (AttributeError, ValueError):
                    chained = False
            if chained and previous is model.outputs[0]:
                return layers
    raise invalid_argument(
        "prune",
        "model",
        "a built Sequential model (with an Input) or a functional model whose "
        "layers form one chain",
        model,
    )


def _prunable(layer) -> bool:
    if type(layer) not in PRUNABLE:
        return False
    if isinstance(layer, L.Dense):
        return True
    return layer.data_format == "channels_last" and layer.groups == 1


def _elementwise(activation) -> bool:
    """Softmax-like activations mix units: removing one changes the others."""
    return getattr(activation, "__name__", "") not in ("softmax", "log_softmax")


def _per_channel(layer) -> bool:
    if isinstance(layer, L.Activation):
        return _elementwise(layer.activation)
    if isinstance(layer, L.BatchNormalization):
        rank = len(layer.input.shape)
        return layer.axis % rank == rank - 1
    if type(layer) in PER_CHANNEL:
        return getattr(layer, "data_format", "channels_last") == "channels_last"
    # kreg's own weightless layers (dropout family) are the identity at
    # inference by convention.
    return (
        type(layer).__module__.startswith("kreg.layers")
        and not layer.weights
        and tuple(layer.input.shape) == tuple(layer.output.shape)
    )


def _segments(chain) -> list:
    """(i, j, to_vector) for each prunable chain[i] that feeds prunable chain[j]
    through per-channel layers and at most one Flatten or global pooling (conv
    to Dense) at index ``to_vector`` (None if there is none)."""
    segments = []
    for i, a in enumerate(chain):
        if not _prunable(a) or not _elementwise(a.activation):
            continue
        to_vector = None
        for j in range(i + 1, len(chain)):
            layer = chain[j]
            if _prunable(layer):
                if to_vector is None or isinstance(layer, L.Dense):
                    segments.append((i, j, to_vector))
                break
            if isinstance(layer, TO_VECTOR) and to_vector is None:
                if (
                    isinstance(a, L.Dense)
                    or getattr(layer, "data_format", "channels_last") != "channels_last"
                ):
                    break
                to_vector = j
                continue
            if not _per_channel(layer):
                break
    return segments


def _rows(channels, units: int, rows_total: int, flatten: bool) -> np.ndarray:
    """Rows of the next kernel fed by ``channels`` (a Flatten repeats them)."""
    channels = np.asarray(channels, dtype=int)
    if not flatten:
        return channels
    positions = rows_total // units
    return (np.arange(positions)[:, None] * units + channels[None, :]).ravel()


def _contribution(chain, i, j, removed, rows):
    """What the constant channels ``removed`` of chain[i] add to chain[j]'s
    pre-activation output, per output unit (None if not a constant)."""
    a, b = chain[i], chain[j]
    shape = tuple(a.output.shape[1:])
    if any(d is None for d in shape):
        return None
    bias = a.bias.numpy() if a.use_bias else np.zeros(a.kernel.shape[-1])
    mask = np.zeros(shape[-1], a.kernel.dtype)
    mask[removed] = 1.0
    x = np.broadcast_to(bias * mask, (1,) + shape).astype(a.kernel.dtype)
    x = a.activation(ops.convert_to_tensor(x))
    for layer in chain[i + 1 : j]:
        x = layer(x, training=False)
    x = np.asarray(keras.ops.convert_to_numpy(x))
    kernel = b.kernel.numpy()
    if not np.any(x.reshape(-1, x.shape[-1])[:, rows]):
        return np.zeros((1, kernel.shape[-1]), kernel.dtype)  # constant 0
    only = np.zeros_like(kernel)
    only[..., rows, :] = kernel[..., rows, :]
    if isinstance(b, L.Dense):
        flat = x.reshape(-1, x.shape[-1])[:1]  # constant along any middle axes
        return flat @ only
    if b.padding != "valid":
        return None  # zero padding makes a constant input non-constant
    out = ops.conv(
        x,
        only,
        strides=b.strides,
        padding="valid",
        data_format="channels_last",
        dilation_rate=b.dilation_rate,
    )
    out = np.asarray(keras.ops.convert_to_numpy(out))
    return out.reshape(-1, out.shape[-1])[:1]


def _slice_regularizer(reg, shape, rows, cols):
    """The regularizer for a sliced kernel (or bias): the penalty slices
    itself (``Regularizer.sliced``); Keras' own have nothing to slice."""
    if not isinstance(reg, (Regularizer, Sum)):
        return reg
    return reg.sliced(shape, rows, cols)


def prune(model: keras.Model, drop_inputs: bool = False) -> PruneReport:
    """Returns a smaller model without the switched-off units and inputs.

    Works on a chain of layers (a ``Sequential`` model, or a functional model
    whose layers form one chain). Between two prunable layers (``Dense``,
    ``Conv1D/2D/3D`` with channels last) that are joined by per-channel
    layers (activations, dropout, pooling, ``BatchNormalization``) and at most
    one ``Flatten`` or global pooling (conv to Dense), a unit of the first is
    removed when

    * the second layer ignores it (all its input weights are exactly zero, the
      group of ``GroupLasso(groups="inputs")`` on the second layer), or
    * its own kernel weights are all exactly zero (``GroupLasso(groups=
      "units")``): its output is then the constant ``activation(bias)``,
      whose effect is folded into the next layer's bias. That is exact for a
      Dense next layer and for a ``padding="valid"`` convolution; with
      ``"same"`` padding the filter is removed only if the constant is 0.

    Units of the last prunable layer (the model's outputs) are kept, and so
    is everything around a layer kreg does not know. With
    ``drop_inputs=True`` the input features that the first layer ignores are
    removed too: the pruned model then takes ``x[..., report.kept_inputs]``.
    Predictions of the pruned model equal the original's at inference (up to
    float rounding, well within 1e-5 in float32).

    Regularizers are kept, with array ``penalty_factor``\\ s sliced to the kept
    weights, so training can go on; the pruned model is not compiled.

    Args:
        model: a built chain model.
        drop_inputs: also remove ignored input features. Defaults to `False`.

    Returns:
        A :class:`PruneReport` with the pruned ``model``, the kept inputs and
        units, and the parameter counts; ``str(report)`` summarizes them.

    Example:

    >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3),
    ...                           keras.layers.Dense(1)])
    >>> kernel = np.ones((4, 3), "float32")
    >>> kernel[:, 1] = 0.0  # unit 1 switched off
    >>> kernel[2] = 0.0  # input feature 2 ignored
    >>> _ = model.layers[0].kernel.assign(kernel)
    >>> report = kreg.prune(model, drop_inputs=True)
    >>> report.kept_inputs, report.kept_units
    ([0, 1, 3], {'dense': [0, 2], 'dense_1': [0]})
    >>> report.params_before, report.params_after
    (19, 11)
    >>> x = np.random.default_rng(0).normal(size=(5, 4)).astype("float32")
    >>> bool(np.allclose(model.predict(x, verbose=0), report.model.predict(
    ...     x[:, report.kept_inputs], verbose=0), atol=1e-5))
    True
    """
    if not isinstance(model, keras.layers.Layer) or not model.built:
        raise invalid_argument("prune", "model", "a built Keras model", model)
    if not isinstance(drop_inputs, bool):
        raise invalid_argument("prune", "drop_inputs", "a bool", drop_inputs)
    chain = _chain(model)
    n = len(chain)
    input_shape = tuple(model.inputs[0].shape[1:])
    features = input_shape[-1]
    # keep_rows[k]: kept input rows of layer k's kernel, or kept channels of
    # its per-channel weights; keep_units[k]: kept units. Absent means all.
    keep_units: dict[int, np.ndarray] = {}
    keep_rows: dict[int, np.ndarray] = {}
    bias_add: dict[int, np.ndarray] = {}
    for i, j, to_vector in _segments(chain):
        a, b = chain[i], chain[j]
        units = a.kernel.shape[-1]
        b_kernel = b.kernel.numpy()
        rows_total = b_kernel.shape[-2]
        flatten = to_vector is not None and isinstance(chain[to_vector], L.Flatten)
        ignored = np.array(
            [
                np.all(b_kernel[..., _rows([c], units, rows_total, flatten), :] == 0)
                for c in range(units)
            ]
        )
        constant, _ = kernel_groups_off(a.kernel.numpy())
        removed = ignored.copy()
        added = {}
        for c in np.flatnonzero(constant & ~ignored):
            rows = _rows([c], units, rows_total, flatten)
            value = _contribution(chain, i, j, [c], rows)
            if value is not None and (b.use_bias or not np.any(value)):
                removed[c] = True
                added[c] = value.ravel()
        if removed.all():
            removed[0] = False  # keep one unit so that shapes stay valid
            added.pop(0, None)
        if added:
            # Channels are independent and the next kernel is linear: the
            # contributions of the constant channels add up.
            bias_add[j] = np.sum(list(added.values()), axis=0)
        kept = np.flatnonzero(~removed)
        keep_units[i] = kept
        keep_rows[j] = _rows(kept, units, rows_total, flatten)
        for k in range(i + 1, j):
            if to_vector is None or k < to_vector:
                keep_rows[k] = kept  # per-channel weights before any Flatten
            elif k > to_vector:
                keep_rows[k] = keep_rows[j]
    kept_inputs = np.arange(features)
    if drop_inputs:
        first = next((k for k, layer in enumerate(chain) if _prunable(layer)), None)
        if first is not None and all(_per_channel(chain[k]) for k in range(first)):
            _, ignored = kernel_groups_off(chain[first].kernel.numpy())
            kept_inputs = np.flatnonzero(~ignored)
            if kept_inputs.size == 0:
                kept_inputs = np.arange(1)
            keep_rows[first] = kept_inputs
            for k in range(first):
                keep_rows[k] = kept_inputs
    new_layers = []
    for k, layer in enumerate(chain):
        new_layers.append(
            _rebuild(layer, keep_rows.get(k), keep_units.get(k), bias_add.get(k))
        )
    new_input = keras.Input(input_shape[:-1] + (len(kept_inputs),))
    pruned = keras.Sequential([new_input], name=f"{model.name}_pruned")
    for layer, weights in new_layers:
        pruned.add(layer)
        layer.set_weights(weights)
    kept_units = {
        chain[k].name: keep_units.get(k, np.arange(chain[k].kernel.shape[-1])).tolist()
        for k in range(n)
        if _prunable(chain[k])
    }
    return PruneReport(
        model=pruned,
        kept_inputs=kept_inputs.tolist(),
        kept_units=kept_units,
        params_before=int(model.count_params()),
        params_after=int(pruned.count_params()),
    )


def _rebuild(layer, rows, cols, bias_add):
    """A fresh copy of ``layer`` with kept rows/units, and its weights."""
    config = layer.get_config()
    weights = [np.asarray(w) for w in layer.get_weights()]
    if _prunable(layer):
        kernel = layer.kernel.numpy()
        rows = np.arange(kernel.shape[-2]) if rows is None else rows
        cols = np.arange(kernel.shape[-1]) if cols is None else cols
        config["units" if isinstance(layer, L.Dense) else "filters"] = len(cols)
        new = type(layer).from_config(config)
        new.kernel_regularizer = _slice_regularizer(
            layer.kernel_regularizer, kernel.shape, rows, cols
        )
        new_weights = [kernel[..., rows, :][..., cols]]
        if layer.use_bias:
            bias = layer.bias.numpy().copy()
            if bias_add is not None:
                bias = bias + bias_add.astype(bias.dtype)
            new.bias_regularizer = _slice_regularizer(
                layer.bias_regularizer, bias.shape, rows, cols
            )
            new_weights.append(bias[cols])
        return new, new_weights
    new = type(layer).from_config(config)
    if rows is not None and weights:
        # Per-channel weights (BatchNormalization): slice the channel axis.
        weights = [w[..., rows] for w in weights]
    return new, weights

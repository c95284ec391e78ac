"""How sparse each layer of a fitted network is."""

import keras
import numpy as np

from kreg import _compat
from kreg.sparsity import kernel_groups_off

#: Weights at most this large in absolute value count as near zero.
NEAR_ZERO = 1e-3


def layer_sparsity(model: keras.Model) -> list[dict]:
    """Per Dense layer: exact and near zeros, inputs and units switched off.

    An input feature is off when its whole row of the kernel is exactly zero
    (what group lasso over inputs with proximal training gives); a unit is
    off when its whole column is.
    """
    rows = []
    for layer in _compat.flatten_layers(model, include_self=False):
        if not isinstance(layer, keras.layers.Dense):
            continue
        kernel = keras.ops.convert_to_numpy(layer.kernel)
        units_off, inputs_off = kernel_groups_off(kernel)
        rows.append(
            {
                "layer": layer.name,
                "weights": int(kernel.size),
                "zero_fraction": float(np.mean(kernel == 0)),
                "near_zero_fraction": float(np.mean(np.abs(kernel) <= NEAR_ZERO)),
                "inputs_off": int(inputs_off.sum()),
                "inputs": int(kernel.shape[0]),
                "units_off": int(units_off.sum()),
                "units": int(kernel.shape[1]),
            }
        )
    return rows


#: Layers of ``kreg.tuning.tabular_model`` that read the inputs.
INPUT_LAYERS = ("linear", "hidden", "inputs")


def selected_inputs(model: keras.Model, names: list[str]) -> list[str]:
    """The input features a tabular model uses: those with a non-zero weight
    in a layer that reads the inputs (the linear part or the first hidden
    layer)."""
    used = np.zeros(len(names), dtype=bool)
    for layer in _compat.flatten_layers(model, include_self=False):
        if isinstance(layer, keras.layers.Dense) and layer.name in INPUT_LAYERS:
            kernel = keras.ops.convert_to_numpy(layer.kernel)
            if kernel.shape[0] == len(names):
                used |= np.any(kernel != 0, axis=1)
    return [name for name, on in zip(names, used) if on]

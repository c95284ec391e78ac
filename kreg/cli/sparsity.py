"""How sparse each layer of a fitted network is, for ``final.json``.

The counts are :func:`kreg.sparsity`'s; the fractions here are of the
kernel alone (no bias), with near zeros beside exact ones.
"""

import keras
import numpy as np

from kreg import _compat
from kreg.sparsity import sparsity, used_inputs

#: Weights at most this large in absolute value count as near zero.
NEAR_ZERO = 1e-3


def layer_sparsity(model: keras.Model) -> list[dict]:
    """Per Dense layer: exact and near zeros, inputs and units switched off.

    An input feature is off when its whole row of the kernel is exactly zero
    (what group lasso over inputs with proximal training gives); a unit is
    off when its whole column is.
    """
    report = sparsity(model).layers
    rows = []
    for layer in _compat.flatten_layers(model, include_self=False):
        if not isinstance(layer, keras.layers.Dense):
            continue
        kernel = keras.ops.convert_to_numpy(layer.kernel)
        counts = report[layer.name]
        rows.append(
            {
                "layer": layer.name,
                "weights": int(kernel.size),
                "zero_fraction": float(np.mean(kernel == 0)),
                "near_zero_fraction": float(np.mean(np.abs(kernel) <= NEAR_ZERO)),
                "inputs_off": counts.inputs_off,
                "inputs": counts.inputs,
                "units_off": counts.units_off,
                "units": counts.units,
            }
        )
    return rows


def selected_inputs(model: keras.Model, names: list[str]) -> list[str]:
    """The input features a tabular model uses (see
    :func:`kreg.sparsity.used_inputs`), by name."""
    return [name for name, on in zip(names, used_inputs(model), strict=True) if on]

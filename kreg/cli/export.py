"""The saved model: raw table columns in, predictions out, plain Keras only.

A run folder holds no pickle: the fitted preprocessing (median imputation,
standardization, "was missing" flags, one-hot encoding) is rebuilt here as
Keras operations and layers in front of the trained network, so
``keras.models.load_model(path)`` (``safe_mode=True``) gives a model that
predicts from the table's columns. The network is cloned without its
penalties and saved uncompiled (no optimizer): the file names no kreg class,
and loading it needs no ``import kreg``.

The model takes a dict of 1-D arrays, one per feature column: numbers as
float32 (NaN for a missing value), text columns as strings (``"nan"`` for a
missing value, as ``Series.to_numpy(str)`` writes it), as in
:data:`PREDICT_SNIPPET`. Other columns of the table (the target, dropped
ones) are not read.
"""

import keras
import numpy as np
from keras import ops

from kreg.data.preprocessing import MISSING

#: How to predict on new rows: shown in report.md and the docs, run by the tests.
PREDICT_SNIPPET = """\
import keras, pandas as pd

model = keras.models.load_model("{model}")
rows = pd.read_csv("{csv}")
columns = {{
    n: rows[n].to_numpy(str if x.dtype == "string" else "float32")
    for n, x in model.input.items()
}}
predictions = model(columns)  # {output}
"""

#: What a missing text cell looks like at prediction time: ``to_numpy(str)``
#: of pandas' NaN.
MISSING_TEXT = "nan"


def input_name(column: str) -> str:
    """The model's input name of a column: Keras names hold no ``/``."""
    return str(column).replace("/", "_")


def raw_inputs(fitted) -> tuple[dict, "keras.KerasTensor"]:
    """Keras inputs per raw column, and the preprocessed features from them.

    Args:
        fitted: a fitted preprocessor from ``kreg.data.make_preprocessor``.

    Returns:
        ``(inputs, features)``: a dict of ``keras.Input`` by column name, and
        the tensor that equals ``fitted.transform`` of those columns.
    """
    inputs: dict = {}

    def column(name, dtype):
        key = input_name(name)
        if key not in inputs:
            inputs[key] = keras.Input((), name=key, dtype=dtype)
        return inputs[key]

    parts = []
    for part, transformer, columns in fitted.transformers_:
        if part == "numeric":
            imputer, scaler = transformer.steps[0][1], transformer.steps[-1][1]
            x = ops.stack([column(c, "float32") for c in columns], axis=-1)
            medians = _constant(imputer.statistics_)
            x = ops.where(ops.isnan(x), medians, x)
            parts.append((x - _constant(scaler.mean_)) / _constant(scaler.scale_))
        elif part == "missing":
            x = ops.stack([column(c, "float32") for c in columns], axis=-1)
            parts.append(ops.cast(ops.isnan(x), "float32"))
        elif part == "categorical":
            encoder = transformer.steps[-1][1]
            for name, categories in zip(columns, encoder.categories_):
                values = [str(v) for v in categories]
                if MISSING_TEXT not in values:
                    values = [MISSING_TEXT if v == MISSING else v for v in values]
                lookup = keras.layers.StringLookup(
                    vocabulary=values,
                    num_oov_indices=1,
                    output_mode="one_hot",
                    name=f"one_hot_{len(parts)}",
                )
                # Index 0 is every unseen value: all zeros, as the encoder.
                parts.append(lookup(column(name, "string"))[:, 1:])
    features = parts[0] if len(parts) == 1 else keras.layers.Concatenate()(parts)
    return inputs, features


def _constant(values) -> np.ndarray:
    return np.asarray(values, dtype="float32")


def plain_network(model: keras.Model, features) -> "keras.KerasTensor":
    """``model``'s layers on ``features``: same weights, no penalty.

    The copy is wrapped in a new, never compiled model: a compiled copy
    would carry its compile config, and with it the kreg optimizer.
    """

    def unpenalized(layer):
        config = layer.get_config()
        for key in config:
            if key.endswith("_regularizer"):
                config[key] = None
        return layer.__class__.from_config(config)

    # recursive: the members of an ensemble are models in the model.
    copy = keras.models.clone_model(model, clone_function=unpenalized, recursive=True)
    copy.set_weights(model.get_weights())
    network = keras.Model(copy.inputs, copy.outputs, name="network")
    return network(features)


def inference_model(model: keras.Model, fitted, scale=None) -> keras.Model:
    """Raw columns -> preprocessing -> ``model`` (unpenalized) -> target units.

    Args:
        model: the trained network on preprocessed features.
        fitted: its fitted preprocessor.
        scale: ``(mean, std)`` of a regression target, or `None`.
    """
    inputs, features = raw_inputs(fitted)
    outputs = plain_network(model, features)
    if scale is not None:
        outputs = keras.layers.Rescaling(
            scale[1], offset=scale[0], name="target_units"
        )(outputs)
    return keras.Model(inputs, outputs, name=model.name)

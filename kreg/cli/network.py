"""The network ``kreg tune`` fits: an MLP whose penalty and dropout are tuned."""

import keras

from kreg.metrics import DataLoss
from kreg.optimizers import Proximal

#: Hidden layer widths of the tuned network.
HIDDEN_UNITS = (64, 32)

#: Adam's learning rate (inside kreg's proximal wrapper).
LEARNING_RATE = 3e-3


def loss_for(task: str, n_classes: int | None) -> str:
    """The Keras loss for a task (and the data loss the choice is made on)."""
    if task == "regression":
        return "mean_squared_error"
    if n_classes == 2:
        return "binary_crossentropy"
    return "sparse_categorical_crossentropy"


def metric_for(task: str, n_classes: int | None):
    """The readable metric shown beside the data loss: accuracy, or none."""
    if task == "regression":
        return None
    if n_classes == 2:
        return keras.metrics.BinaryAccuracy(name="accuracy")
    return keras.metrics.SparseCategoricalAccuracy(name="accuracy")


def build_network(
    width: int,
    task: str,
    n_classes: int | None,
    *,
    regularizer=None,
    dropout_rate: float = 0.0,
    learning_rate: float = LEARNING_RATE,
    units: tuple[int, ...] = HIDDEN_UNITS,
    model_class: type = keras.Model,
    first_layer_only: bool = False,
) -> keras.Model:
    """Builds and compiles the MLP; every Dense kernel gets ``regularizer``.

    The penalty's object is shared by the layers (one strength); each layer of
    a saved model keeps its own copy. ``dropout_rate == 0`` adds no Dropout
    layer, so the unregularized model is the same shape without either.
    ``first_layer_only`` puts the penalty on the first kernel alone (the λ
    path's setting: group lasso over inputs selects features). The optimizer
    is ``kreg.optimizers.Proximal(Adam)``: L1 and group-lasso weights reach
    exact zeros, every other weight gets plain Adam steps.
    """
    inputs = keras.Input((width,), name="features")
    x = inputs
    for index, size in enumerate(units):
        penalized = index == 0 or not first_layer_only
        x = keras.layers.Dense(
            size,
            activation="relu",
            kernel_regularizer=regularizer if penalized else None,
            name=f"hidden_{index + 1}",
        )(x)
        if dropout_rate > 0:
            x = keras.layers.Dropout(dropout_rate, name=f"dropout_{index + 1}")(x)
    last = None if first_layer_only else regularizer
    if task == "regression":
        size, activation = 1, None
    elif n_classes == 2:
        size, activation = 1, "sigmoid"
    else:
        size, activation = n_classes, "softmax"
    outputs = keras.layers.Dense(
        size, activation=activation, kernel_regularizer=last, name="output"
    )(x)
    model = model_class(inputs, outputs, name="kreg_mlp")
    loss = loss_for(task, n_classes)
    metrics = [DataLoss(loss)]
    metric = metric_for(task, n_classes)
    if metric is not None:
        metrics.append(metric)
    optimizer = Proximal(keras.optimizers.Adam(learning_rate))
    model.compile(optimizer=optimizer, loss=loss, metrics=metrics)
    return model

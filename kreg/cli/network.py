"""The network ``kreg tune`` fits: an MLP whose penalty and dropout are tuned."""

import keras

from kreg.metrics import DataLoss

#: Hidden layer widths of the tuned network.
HIDDEN_UNITS = (64, 32)


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
    learning_rate: float = 3e-3,
    units: tuple[int, ...] = HIDDEN_UNITS,
    model_class: type = keras.Model,
) -> keras.Model:
    """Builds and compiles the MLP; every Dense kernel gets ``regularizer``.

    The penalty's object is shared by the layers (one strength), each saved
    model layer keeps its own copy. ``dropout_rate == 0`` adds no Dropout
    layer, so the unregularized model is the same shape without either.
    """
    inputs = keras.Input((width,), name="features")
    x = inputs
    for index, size in enumerate(units):
        x = keras.layers.Dense(
            size,
            activation="relu",
            kernel_regularizer=regularizer,
            name=f"hidden_{index + 1}",
        )(x)
        if dropout_rate > 0:
            x = keras.layers.Dropout(dropout_rate, name=f"dropout_{index + 1}")(x)
    if task == "regression":
        outputs = keras.layers.Dense(1, kernel_regularizer=regularizer, name="output")(
            x
        )
    elif n_classes == 2:
        outputs = keras.layers.Dense(
            1, activation="sigmoid", kernel_regularizer=regularizer, name="output"
        )(x)
    else:
        outputs = keras.layers.Dense(
            n_classes,
            activation="softmax",
            kernel_regularizer=regularizer,
            name="output",
        )(x)
    model = model_class(inputs, outputs, name="kreg_mlp")
    loss = loss_for(task, n_classes)
    metrics = [DataLoss(loss)]
    metric = metric_for(task, n_classes)
    if metric is not None:
        metrics.append(metric)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate), loss=loss, metrics=metrics
    )
    return model

"""The data loss as a metric, apart from the penalty."""

import keras
from keras import ops

from kreg._api import register
from kreg._validation import invalid_argument


@register
class DataLoss(keras.metrics.MeanMetricWrapper):
    """The loss function as a metric: the data loss, without any penalty.

    Keras folds the regularization penalty into ``loss`` and ``val_loss``, so
    ``val_loss`` grows with the strength even where the fit is as good:
    comparing it across strengths favours weak regularization. Compile with
    this metric and monitor ``val_data_loss`` instead. After ``evaluate``,
    ``loss == data_loss + kreg.penalty(model).total`` (no dropout at
    inference).

    Args:
        loss: the loss the model is compiled with: a name (``"mse"``), a
            ``keras.losses.Loss`` or a function ``fn(y_true, y_pred)``.
        name: the metric's name. Defaults to `"data_loss"`.
        dtype: the metric's dtype. Defaults to `None`.

    Example:

    >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(
    ...     1, kernel_regularizer=kreg.regularizers.L2(0.1))])
    >>> model.compile("sgd", "mse", metrics=[kreg.metrics.DataLoss("mse")])
    >>> logs = model.evaluate(np.ones((4, 3)), np.zeros((4, 1)), verbose=0,
    ...                       return_dict=True)
    >>> sorted(logs)
    ['data_loss', 'loss']
    """

    def __init__(self, loss="mse", name: str = "data_loss", dtype=None):
        try:
            fn = keras.losses.get(loss)
        except ValueError:
            fn = None
        if fn is None:
            raise invalid_argument(
                "DataLoss", "loss", "a Keras loss name, Loss or function", loss
            )
        self._loss = loss
        super().__init__(fn=fn, name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        # The compiled loss lines up labels of shape (n,) with predictions of
        # shape (n, 1); the plain function does not, so do what the loss does.
        y_true = ops.convert_to_tensor(y_true)
        y_pred = ops.convert_to_tensor(y_pred)
        if len(y_true.shape) == len(y_pred.shape) - 1 and y_pred.shape[-1] == 1:
            y_true = ops.expand_dims(y_true, -1)
        elif len(y_pred.shape) == len(y_true.shape) - 1 and y_true.shape[-1] == 1:
            y_true = ops.squeeze(y_true, -1)
        return super().update_state(y_true, y_pred, sample_weight=sample_weight)

    def get_config(self) -> dict:
        loss = self._loss
        if not isinstance(loss, str):
            loss = keras.losses.serialize(loss)
        return {"loss": loss, "name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("loss"), dict):
            config["loss"] = keras.losses.deserialize(config["loss"])
        return cls(**config)

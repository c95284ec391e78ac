"""Logs the penalty, the data losses, sparsity and weight norms every epoch."""

import numpy as np

from kreg import _compat
from kreg._validation import invalid_argument
from kreg.callbacks._base import Callback
from kreg.penalty import penalty


class PenaltyMonitor(Callback):
    """Adds regularization diagnostics to ``logs`` at the end of every epoch.

    Whatever a callback writes into ``logs`` reaches ``History``,
    ``CSVLogger``, ``TensorBoard`` and the callbacks after it, so these
    values need no more code. Put it first in ``callbacks=``, before an
    ``EarlyStopping`` that monitors ``val_data_loss``. Keys added:

    - ``"penalty"``: the weight penalty ``kreg.penalty(model).total`` at the
      end of the epoch (what Keras adds to the loss);
    - ``"val_data_loss"``: if not already logged (by
      :class:`kreg.metrics.DataLoss`) and ``val_loss`` is, ``val_loss -
      penalty``. Exact: validation runs at the end-of-epoch weights, whose
      penalty Keras adds to every batch; provided the only extra losses are
      weight penalties (an ``activity_regularizer`` or ``add_loss`` would
      stay in it);
    - ``"data_loss"``: if not already logged: with ``training_data``, the
      data loss of that data at the end-of-epoch weights in inference mode
      (``evaluate``'s loss minus the penalty; one more pass over it); else
      ``loss - penalty``, an approximation: ``loss`` averages the penalties
      of the weights along the epoch, not the final ones (close once
      training settles; compile with ``DataLoss`` for the exact running
      value);
    - ``"zero_fraction"``: the fraction of exactly-zero entries among the
      trainable weights with 2 or more dimensions (kernels, embeddings,
      filters; biases start at zero and are left out);
    - ``"weight_norm/<layer>"``: the L2 norm of each layer's own trainable
      weights, for every layer that has some;
    - ``"penalty/<layer>"``: each penalized layer's penalty, if
      ``per_layer=True``.

    Args:
        training_data: `None`, or data to measure ``data_loss`` on, as
            ``model.evaluate`` takes it: an ``(x, y)`` tuple of arrays or a
            ``tf.data.Dataset`` of ``(x, y)`` batches. Defaults to `None`.
        per_layer: also log the penalty per layer. Defaults to `True`.
        batch_size: batch size for ``training_data`` arrays. Defaults to `256`.

    Example:

    >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(
    ...     1, kernel_regularizer=kreg.regularizers.L1(0.1), name="out")])
    >>> model.compile("sgd", "mse")
    >>> x, y = np.ones((8, 2)), np.zeros((8, 1))
    >>> history = model.fit(x, y, validation_data=(x, y), epochs=1, verbose=0,
    ...                     callbacks=[kreg.callbacks.PenaltyMonitor()])
    >>> sorted(history.history)  # doctest: +NORMALIZE_WHITESPACE
    ['data_loss', 'loss', 'penalty', 'penalty/out', 'val_data_loss', 'val_loss',
     'weight_norm/out', 'zero_fraction']
    """

    def __init__(
        self, training_data=None, per_layer: bool = True, batch_size: int = 256
    ):
        super().__init__()
        if training_data is not None and not _looks_like_data(training_data):
            raise invalid_argument(
                "PenaltyMonitor",
                "training_data",
                "None, an (x, y) tuple or a tf.data.Dataset",
                type(training_data).__name__,
            )
        if not isinstance(per_layer, bool):
            raise invalid_argument("PenaltyMonitor", "per_layer", "a bool", per_layer)
        if (
            isinstance(batch_size, bool)
            or not isinstance(batch_size, int)
            or (batch_size < 1)
        ):
            raise invalid_argument(
                "PenaltyMonitor", "batch_size", "an integer >= 1", batch_size
            )
        self.training_data = training_data
        self.per_layer = per_layer
        self.batch_size = batch_size

    def on_train_begin(self, logs=None):
        pass  # no state across epochs

    def measure(self) -> dict:
        """The diagnostics for the model's current weights (no data losses)."""
        model = self.model
        report = penalty(model)
        values = {"penalty": report.total}
        if self.per_layer:
            for name, value in report.per_layer.items():
                values[f"penalty/{name}"] = value
        zeros = total = 0
        for variable in model.trainable_weights:
            if len(variable.shape) >= 2:
                array = np.asarray(variable.numpy())
                zeros += int(np.count_nonzero(array == 0))
                total += array.size
        values["zero_fraction"] = zeros / total if total else 0.0
        for layer in _compat.flatten_layers(model, include_self=False):
            own = _compat.own_trainable_variables(layer)
            if own:
                squares = sum(float(np.sum(np.square(v.numpy()))) for v in own)
                values[f"weight_norm/{layer.name}"] = float(np.sqrt(squares))
        return values

    def on_epoch_end(self, epoch, logs=None):
        if logs is None:
            return
        values = self.measure()
        total = values["penalty"]
        if "val_data_loss" not in logs and "val_loss" in logs:
            logs["val_data_loss"] = float(logs["val_loss"]) - total
        if "data_loss" not in logs:
            if self.training_data is not None:
                logs["data_loss"] = self._evaluate_loss() - total
            elif "loss" in logs:
                logs["data_loss"] = float(logs["loss"]) - total
        logs.update(values)

    def _evaluate_loss(self) -> float:
        data = self.training_data
        if isinstance(data, (tuple, list)):
            x, y = data[0], data[1]
            result = self.model.evaluate(
                x, y, batch_size=self.batch_size, verbose=0, return_dict=True
            )
        else:
            result = self.model.evaluate(data, verbose=0, return_dict=True)
        return float(result["loss"])


def _looks_like_data(data) -> bool:
    """Data ``evaluate`` can score: ``(x, y)`` or ``(x, y, sample_weight)`` of
    arrays, or a dataset of such batches; an array alone has no targets."""
    if isinstance(data, (tuple, list)):
        return len(data) in (2, 3) and all(
            hasattr(part, "shape") or isinstance(part, (list, dict))
            for part in data[:2]
        )
    if hasattr(data, "shape"):
        return False
    return hasattr(data, "__iter__") and not isinstance(data, (str, bytes, dict))

"""Stochastic weight averaging, with BatchNormalization statistics re-estimated."""

import keras
import numpy as np

from kreg import _compat
from kreg._validation import check_float, check_int, invalid_argument
from kreg.callbacks._base import Callback


class SWA(Callback):
    """Stochastic Weight Averaging (Izmailov et al. 2018).

    From epoch ``start_epoch`` on, every ``frequency`` epochs, the trainable
    weights at the end of the epoch enter a running average,
    ``w_swa <- (n * w_swa + w) / (n + 1)``. When training ends the average is
    swapped into the model, and the BatchNormalization statistics, which
    belong to the last weights and not to their average, are re-estimated:
    each BN layer's moving mean and variance are reset and set to the exact
    average of the batch statistics over one pass of ``bn_data`` in training
    mode (momentum ``(k - 1) / k`` at the ``k``-th batch), as PyTorch's
    ``torch.optim.swa_utils.update_bn`` does. Other non-trainable weights
    (dropout rates, schedules' variables) keep their last values.

    The paper trains with a constant or cyclical learning rate during
    averaging: ``learning_rate`` sets a constant one from ``start_epoch`` on
    (the optimizer's must be a variable, not a schedule), and the original is
    put back when training ends; with a cyclical schedule of cycle ``c``
    epochs, use ``frequency=c``. Keras 3 ships EMA (``use_ema=True`` in
    optimizers) but not SWA; TensorFlow Addons' SWA is no longer maintained.

    The model's BN layers need data for the re-estimation: if the model has
    any and ``bn_data`` is `None`, ``fit`` raises a ``ValueError`` at its
    start, not at its end. Layers that act in training mode (dropout, kreg's
    augmentation layers) also act during that pass, as in PyTorch. If
    training ends before ``start_epoch`` (early stopping), nothing is
    averaged and the weights are left as they are (``n_averaged == 0``). The
    average replaces whatever weights the model has when this callback's
    ``on_train_end`` runs: put it after an ``EarlyStopping`` that restores
    weights only if you want the average to win.

    Logs ``"swa_n"``, the number of weight sets averaged so far, every epoch.

    Args:
        start_epoch: first epoch (0-based) whose weights are averaged: an int,
            or a float in (0, 1), a fraction of the ``fit`` call's epochs
            (the paper starts at 0.75). Defaults to `0.75`.
        frequency: average every ``frequency`` epochs (a cyclical learning
            rate's cycle). Defaults to `1`.
        bn_data: data for BN re-estimation: an array (or tensor) of inputs, an
            ``(x, y)`` tuple, or a ``tf.data.Dataset`` of batches of ``x`` or
            ``(x, y, ...)``. Copies of the callback share it. Defaults to
            `None`.
        bn_batch_size: batch size when ``bn_data`` holds arrays. Defaults to
            `32`.
        learning_rate: constant learning rate from ``start_epoch`` on, or
            `None` to leave it alone. Defaults to `None`.
        verbose: 1 prints when it swaps the average in. Defaults to `0`.

    Attributes:
        n_averaged: number of weight sets in the average.
        final_weights: ``model.get_weights()`` just before the swap (the last
            iterate), or `None`.

    Example:

    >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(4),
    ...     keras.layers.BatchNormalization(), keras.layers.Dense(1)])
    >>> model.compile("sgd", "mse")
    >>> x, y = np.random.default_rng(0).normal(size=(32, 2)), np.zeros((32, 1))
    >>> swa = kreg.callbacks.SWA(start_epoch=2, bn_data=x)
    >>> history = model.fit(x, y, epochs=4, callbacks=[swa], verbose=0)
    >>> swa.n_averaged, history.history["swa_n"]
    (2, [0, 0, 1, 2])

    References:
        - Izmailov et al., "Averaging Weights Leads to Wider Optima and
          Better Generalization", UAI 2018, https://arxiv.org/abs/1803.05407
    """

    _shared_attributes = ("bn_data",)

    def __init__(
        self,
        start_epoch: int | float = 0.75,
        frequency: int = 1,
        bn_data=None,
        bn_batch_size: int = 32,
        learning_rate: float | None = None,
        verbose: int = 0,
    ):
        super().__init__()
        owner = "SWA"
        if isinstance(start_epoch, float):
            start_epoch = check_float(
                start_epoch,
                "start_epoch",
                owner,
                low=0.0,
                high=1.0,
                low_inclusive=False,
                high_inclusive=False,
            )
        elif isinstance(start_epoch, bool) or not isinstance(start_epoch, int):
            raise invalid_argument(
                owner,
                "start_epoch",
                "an integer >= 0 or a float in (0, 1)",
                start_epoch,
            )
        else:
            start_epoch = check_int(start_epoch, "start_epoch", owner, low=0)
        self.start_epoch = start_epoch
        self.frequency = check_int(frequency, "frequency", owner, low=1)
        if bn_data is not None and not _is_input_data(bn_data):
            raise invalid_argument(
                owner,
                "bn_data",
                "None, an array of inputs, an (x, y) tuple or a tf.data.Dataset",
                type(bn_data).__name__,
            )
        self.bn_data = bn_data
        self.bn_batch_size = check_int(bn_batch_size, "bn_batch_size", owner, low=1)
        self.learning_rate = (
            None
            if learning_rate is None
            else check_float(
                learning_rate, "learning_rate", owner, low=0.0, low_inclusive=False
            )
        )
        self.verbose = check_int(
            int(verbose) if isinstance(verbose, bool) else verbose,
            "verbose",
            owner,
            low=0,
        )
        self._reset()

    def _reset(self) -> None:
        self.n_averaged = 0
        self.final_weights = None
        self._average = None
        self._first = None
        self._saved_learning_rate = None

    def _bn_layers(self) -> list:
        return [
            layer
            for layer in _compat.flatten_layers(self.model, include_self=False)
            if isinstance(layer, keras.layers.BatchNormalization)
        ]

    def on_train_begin(self, logs=None):
        self._reset()
        if self._bn_layers() and self.bn_data is None:
            raise ValueError(
                "SWA: the model has BatchNormalization layers, whose statistics "
                "must be re-estimated for the averaged weights: pass "
                "`bn_data=` (the training inputs, or a tf.data.Dataset of them)."
            )
        if self.learning_rate is not None and not isinstance(
            _compat.learning_rate_of(self.model.optimizer), keras.Variable
        ):
            raise ValueError(
                "SWA: `learning_rate` needs an optimizer whose learning rate is a "
                "float (a variable), not a LearningRateSchedule."
            )
        if isinstance(self.start_epoch, float):
            total = (getattr(self, "params", None) or {}).get("epochs") or 0
            self._first = int(round(self.start_epoch * total))
        else:
            self._first = self.start_epoch

    def on_epoch_begin(self, epoch, logs=None):
        if self.learning_rate is not None and epoch == self._first:
            variable = _compat.learning_rate_of(self.model.optimizer)
            self._saved_learning_rate = float(variable.numpy())
            variable.assign(self.learning_rate)

    def on_epoch_end(self, epoch, logs=None):
        if epoch >= self._first and (epoch - self._first) % self.frequency == 0:
            weights = [np.asarray(v.numpy()) for v in self.model.trainable_weights]
            if self._average is None:
                self._average = [w.astype("float64") for w in weights]
            else:
                n = self.n_averaged
                self._average = [
                    a + (w - a) / (n + 1) for a, w in zip(self._average, weights)
                ]
            self.n_averaged += 1
        if logs is not None:
            logs["swa_n"] = self.n_averaged

    def on_train_end(self, logs=None):
        if self._saved_learning_rate is not None:
            _compat.learning_rate_of(self.model.optimizer).assign(
                self._saved_learning_rate
            )
        if self.n_averaged == 0:
            return
        self.final_weights = self.model.get_weights()
        for variable, average in zip(self.model.trainable_weights, self._average):
            variable.assign(average.astype(variable.dtype))
        self.update_batch_norm()
        if self.verbose > 0:
            print(f"SWA: averaged {self.n_averaged} weight sets and swapped them in.")

    def update_batch_norm(self) -> None:
        """Re-estimates every BN layer's statistics on ``bn_data`` (one pass)."""
        layers = self._bn_layers()
        if not layers:
            return
        momenta = [layer.momentum for layer in layers]
        for layer in layers:
            layer.moving_mean.assign(np.zeros(layer.moving_mean.shape))
            layer.moving_variance.assign(np.ones(layer.moving_variance.shape))
        try:
            for k, batch in enumerate(self._batches(), start=1):
                for layer in layers:
                    layer.momentum = (k - 1) / k
                self.model(batch, training=True)
        finally:
            for layer, momentum in zip(layers, momenta):
                layer.momentum = momentum

    def _batches(self):
        data = self.bn_data
        if isinstance(data, (tuple, list)):
            data = data[0]
        if hasattr(data, "shape") and hasattr(data, "__len__"):
            array = data
            for i in range(0, len(array), self.bn_batch_size):
                yield array[i : i + self.bn_batch_size]
            return
        for element in data:
            yield element[0] if isinstance(element, (tuple, list)) else element


def _is_input_data(data) -> bool:
    """Inputs ``_batches`` can iterate: an array or tensor of rows, an
    ``(x, y)`` tuple of them, or an iterable of batches (a ``tf.data.Dataset``,
    a generator)."""
    if isinstance(data, (tuple, list)):
        return len(data) in (1, 2, 3) and _is_input_data(data[0])
    if hasattr(data, "shape"):
        return len(getattr(data, "shape", ())) >= 1
    return hasattr(data, "__iter__") and not isinstance(data, (str, bytes, dict))

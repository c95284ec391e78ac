"""Early stopping on an unpenalized quantity, with Prechelt's stopping criteria."""

import math

import numpy as np
from keras import ops

from kreg import _compat
from kreg._validation import check_choice, check_float, check_int, invalid_argument
from kreg._vocabulary import metric_direction
from kreg.callbacks._base import DATA_LOSS_HINT, Callback, missing_key_error


class EarlyStopping(Callback):
    """Stops training when the monitored quantity stops improving.

    A drop-in for ``keras.callbacks.EarlyStopping`` (same arguments, same
    patience/baseline/``restore_best_weights`` logic), with three differences:

    - it watches ``"val_data_loss"`` by default, not ``"val_loss"``: Keras'
      ``val_loss`` includes the regularization penalty, which grows with the
      strength, so stopping on it stops on the penalty. ``val_data_loss``
      comes from compiling with ``metrics=[kreg.metrics.DataLoss(loss)]`` or
      from :class:`~kreg.callbacks.PenaltyMonitor` placed before this callback;
    - a monitored key missing from the logs raises a ``ValueError`` naming the
      keys that are there (Keras warns and never stops);
    - it adds Prechelt's (1998) criteria, which stop training as soon as one
      of the active criteria fires (``combine="any"``) or only when all fire
      at the same epoch (``combine="all"``). With ``E`` the monitored value
      (smoothed if ``smoothing`` is set), ``E_opt(t)`` its lowest value so
      far and ``E_tr`` the training counterpart (``train_monitor``):

      - ``GL(t) = 100 * (E(t) / E_opt(t) - 1)``, the generalization loss in
        percent. ``gl_alpha``: stop at the first epoch with ``GL(t) > alpha``.
      - Training progress over a strip of ``k = strip_length`` epochs ending
        at ``t``: ``P_k(t) = 1000 * (sum(E_tr over strip) / (k *
        min(E_tr over strip)) - 1)``. ``pq_alpha``: stop at the first strip
        end with ``GL(t) / P_k(t) > alpha``.
      - ``up_strips = s``: stop at the strip end that closes ``s`` successive
        strips each ending higher than the one before
        (``E(t) > E(t - k)``).

      Strips count monitored epochs from ``start_from_epoch``: epochs
      ``start_from_epoch + k - 1``, ``+ 2k - 1``, ... end a strip. GL and PQ
      need a positive, minimized quantity (a loss or an error rate).

    ``patience=None`` (the default) means Keras' ``patience=0`` when no
    Prechelt criterion is set, and no patience criterion when one is; give an
    integer to combine patience with them.

    Args:
        monitor: the key in ``logs`` to watch. Defaults to `"val_data_loss"`.
        min_delta: smallest change that counts as an improvement. Defaults
            to `0`.
        patience: epochs without improvement before stopping, or `None`
            (see above). Defaults to `None`.
        verbose: 1 prints when it stops and restores. Defaults to `0`.
        mode: `"min"`, `"max"` or `"auto"` (`"min"` for names with "loss" or
            "error", `"max"` for accuracy-like names or metrics whose
            direction is up, else an error). Defaults to `"auto"`.
        baseline: as in Keras: training stops after ``patience`` epochs that
            fail to beat it. Defaults to `None`.
        restore_best_weights: set the weights of the best epoch at the end of
            training (whether it stopped early or not). Defaults to `False`.
        start_from_epoch: epochs to wait before monitoring. Defaults to `0`.
        min_delta_mode: `"absolute"`: improving means beating the best by
            ``min_delta``; `"relative"`: by ``min_delta * abs(best)``.
            Defaults to `"absolute"`.
        smoothing: factor ``beta`` in [0, 1) of an exponential moving average
            ``s(t) = beta * s(t-1) + (1 - beta) * E(t)``, started at the first
            monitored value, applied before every criterion; the smoothed
            value is logged as ``"<monitor>_smoothed"``. Defaults to `0`
            (no smoothing).
        gl_alpha: threshold of GL, in percent, or `None`. Defaults to `None`.
        pq_alpha: threshold of PQ, or `None`. Defaults to `None`.
        up_strips: ``s`` of UP, or `None`. Defaults to `None`.
        strip_length: ``k``, epochs per training strip for PQ and UP.
            Defaults to `5` (Prechelt's choice).
        train_monitor: the training quantity for PQ; `None` means ``monitor``
            without its ``"val_"`` prefix. Defaults to `None`.
        combine: `"any"` or `"all"` of the active criteria. Defaults to
            `"any"`.

    Attributes:
        best: the best (smoothed) monitored value.
        best_epoch: the epoch (0-based, as Keras counts) of ``best``.
        stopped_epoch: the epoch at which it stopped, `0` if it did not
            (as in Keras).
        stop_reason: `None` if it did not stop, else the criteria that fired,
            joined by ``"+"``: ``"patience"``, ``"gl"``, ``"pq"``, ``"up"``.
        monitor_op: as in Keras, ``keras.ops.less`` when the monitored
            quantity is minimized, ``keras.ops.greater`` when it is maximized;
            `None` until the first monitored epoch of a fit.

    Example:

    >>> stop = kreg.callbacks.EarlyStopping(monitor="val_data_loss", gl_alpha=5)
    >>> stop.set_model(keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)]))
    >>> stop.on_train_begin()
    >>> for epoch, value in enumerate([1.0, 0.8, 0.82, 0.85]):
    ...     stop.on_epoch_end(epoch, {"val_data_loss": value})
    >>> stop.stopped_epoch, stop.stop_reason, stop.best_epoch  # 0.85/0.8 = +6.25%
    (3, 'gl', 1)

    References:
        - Prechelt, "Early Stopping - But When?", Neural Networks: Tricks of
          the Trade (1998), https://doi.org/10.1007/3-540-49430-8_3
    """

    def __init__(
        self,
        monitor: str = "val_data_loss",
        min_delta: float = 0.0,
        patience: int | None = None,
        verbose: int = 0,
        mode: str = "auto",
        baseline: float | None = None,
        restore_best_weights: bool = False,
        start_from_epoch: int = 0,
        *,
        min_delta_mode: str = "absolute",
        smoothing: float = 0.0,
        gl_alpha: float | None = None,
        pq_alpha: float | None = None,
        up_strips: int | None = None,
        strip_length: int = 5,
        train_monitor: str | None = None,
        combine: str = "any",
    ):
        super().__init__()
        name = "EarlyStopping"
        if not isinstance(monitor, str) or not monitor:
            raise invalid_argument(name, "monitor", "a non-empty string", monitor)
        self.monitor = monitor
        self.min_delta = check_float(min_delta, "min_delta", name, low=0.0)
        self.verbose = check_int(
            int(verbose) if isinstance(verbose, bool) else verbose,
            "verbose",
            name,
            low=0,
        )
        self.mode = check_choice(mode, "mode", name, ("auto", "min", "max"))
        self.baseline = (
            None if baseline is None else check_float(baseline, "baseline", name)
        )
        if not isinstance(restore_best_weights, bool):
            raise invalid_argument(
                name, "restore_best_weights", "a bool", restore_best_weights
            )
        self.restore_best_weights = restore_best_weights
        self.start_from_epoch = check_int(
            start_from_epoch, "start_from_epoch", name, low=0
        )
        self.min_delta_mode = check_choice(
            min_delta_mode, "min_delta_mode", name, ("absolute", "relative")
        )
        self.smoothing = check_float(
            smoothing, "smoothing", name, low=0.0, high=1.0, high_inclusive=False
        )
        self.gl_alpha = (
            None
            if gl_alpha is None
            else check_float(gl_alpha, "gl_alpha", name, low=0.0)
        )
        self.pq_alpha = (
            None
            if pq_alpha is None
            else check_float(pq_alpha, "pq_alpha", name, low=0.0)
        )
        self.up_strips = (
            None
            if up_strips is None
            else check_int(up_strips, "up_strips", name, low=1)
        )
        self.strip_length = check_int(strip_length, "strip_length", name, low=1)
        if train_monitor is not None and (
            not isinstance(train_monitor, str) or not train_monitor
        ):
            raise invalid_argument(
                name, "train_monitor", "None or a non-empty string", train_monitor
            )
        self.train_monitor = (
            monitor.removeprefix("val_") if train_monitor is None else train_monitor
        )
        self.combine = check_choice(combine, "combine", name, ("any", "all"))
        prechelt = (self.gl_alpha, self.pq_alpha, self.up_strips)
        self._uses_prechelt = any(c is not None for c in prechelt)
        if patience is None:
            self.patience = None if self._uses_prechelt else 0
        else:
            self.patience = check_int(patience, "patience", name, low=0)
        if self._uses_prechelt and self.mode == "max":
            raise invalid_argument(
                name,
                "mode",
                "'min' or 'auto' with gl_alpha, pq_alpha or up_strips (Prechelt's "
                "criteria are defined on a minimized, positive quantity)",
                mode,
            )
        self._reset()

    def _reset(self) -> None:
        self.wait = 0
        self.best = None
        self.best_epoch = 0
        self.best_weights = None
        self.stopped_epoch = 0
        self.stop_reason = None
        self.values = []  # the monitored (smoothed) values, one per epoch watched
        self._optimum = None  # E_opt: lowest value so far, for GL
        self._strip = []  # training values of the current strip, for PQ
        self._last_strip_end = None  # E at the previous strip end, for UP
        self._ups = 0
        self._smoothed = None
        self._minimize = None
        self.monitor_op = None

    def on_train_begin(self, logs=None):
        self._reset()

    def _direction(self) -> bool:
        """True to minimize. Resolved once per fit, as Keras does."""
        if self.mode != "auto":
            return self.mode == "min"
        declared = {}
        for metric in _flat_metrics(self._model):
            direction = _compat.declared_direction(metric)
            if direction is not None:
                declared.setdefault(metric.name, direction)
        direction = metric_direction(self.monitor, declared)
        if direction is None:
            raise ValueError(
                f"EarlyStopping cannot tell whether `{self.monitor}` should be "
                "minimized or maximized. Pass mode='min' or mode='max'."
            )
        return direction == "min"

    def _is_improvement(self, value: float, reference: float | None) -> bool:
        if reference is None:
            return True
        delta = self.min_delta
        if self.min_delta_mode == "relative":
            delta *= abs(reference)
        if self._minimize:
            return value < reference - delta
        return value > reference + delta

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        if self.monitor not in logs:
            raise missing_key_error("EarlyStopping", self.monitor, logs, DATA_LOSS_HINT)
        if epoch < self.start_from_epoch:
            return
        if self._minimize is None:
            self._minimize = self._direction()
            self.monitor_op = ops.less if self._minimize else ops.greater
            if self._uses_prechelt and not self._minimize:
                raise ValueError(
                    f"EarlyStopping: `{self.monitor}` is maximized, but "
                    "gl_alpha, pq_alpha and up_strips need a minimized quantity "
                    "(a loss or an error rate)."
                )
        current = _scalar(logs[self.monitor], self.monitor)
        if self.smoothing > 0:
            if self._smoothed is not None:
                current = (
                    self.smoothing * self._smoothed + (1 - self.smoothing) * current
                )
            self._smoothed = current
            logs[f"{self.monitor}_smoothed"] = current
        self.values.append(current)

        fired = []
        patience_fired = self._update_patience(epoch, current)
        if self.patience is not None and patience_fired:
            fired.append("patience")
        if self._uses_prechelt:
            fired.extend(self._prechelt(current, logs))
        active = (self.patience is not None) + sum(
            c is not None for c in (self.gl_alpha, self.pq_alpha, self.up_strips)
        )
        stop = bool(fired) if self.combine == "any" else len(fired) == active
        if stop:
            self.stopped_epoch = epoch
            self.stop_reason = "+".join(fired)
            self.model.stop_training = True

    def _update_patience(self, epoch: int, current: float) -> bool:
        """Keras' patience logic; returns whether patience ran out."""
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = self.model.get_weights()
            self.best_epoch = epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return False
        return self.patience is not None and self.wait >= self.patience and epoch > 0

    def _prechelt(self, current: float, logs: dict) -> list[str]:
        fired = []
        if current <= 0:
            raise ValueError(
                f"EarlyStopping: gl_alpha, pq_alpha and up_strips need a positive "
                f"`{self.monitor}`; received {current!r}."
            )
        self._optimum = (
            current if self._optimum is None else min(self._optimum, current)
        )
        generalization_loss = 100.0 * (current / self._optimum - 1.0)
        if self.gl_alpha is not None and generalization_loss > self.gl_alpha:
            fired.append("gl")
        if self.pq_alpha is not None:
            if self.train_monitor not in logs:
                raise missing_key_error(
                    "EarlyStopping (pq_alpha)", self.train_monitor, logs, DATA_LOSS_HINT
                )
            self._strip.append(float(logs[self.train_monitor]))
        if len(self.values) % self.strip_length != 0:
            return fired
        # End of a strip of k epochs.
        if self.pq_alpha is not None:
            strip = self._strip[-self.strip_length :]
            self._strip = []
            lowest = min(strip)
            if lowest <= 0:
                raise ValueError(
                    f"EarlyStopping: pq_alpha needs a positive `{self.train_monitor}`;"
                    f" received {lowest!r}."
                )
            progress = 1000.0 * (sum(strip) / (len(strip) * lowest) - 1.0)
            quotient = (
                generalization_loss / progress
                if progress > 0
                else (math.inf if generalization_loss > 0 else 0.0)
            )
            if quotient > self.pq_alpha:
                fired.append("pq")
        if self.up_strips is not None:
            previous = self._last_strip_end
            self._ups = (
                self._ups + 1 if previous is not None and current > previous else 0
            )
            if self._ups >= self.up_strips:
                fired.append("up")
        self._last_strip_end = current
        return fired

    def on_train_end(self, logs=None):
        if self.stop_reason is not None and self.verbose > 0:
            print(
                f"Epoch {self.stopped_epoch + 1}: early stopping ({self.stop_reason})"
            )
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print(
                    "Restoring model weights from the end of the best epoch: "
                    f"{self.best_epoch + 1}."
                )
            self.model.set_weights(self.best_weights)


def _scalar(value, monitor: str) -> float:
    """The monitored value as a float; a one-element array is one number."""
    array = np.asarray(value, dtype="float64")
    if array.size != 1:
        raise ValueError(
            f"EarlyStopping monitors one number, but `{monitor}` holds "
            f"{array.size} (a per-class metric? average it, e.g. "
            "keras.metrics.F1Score(average='macro'))."
        )
    return float(array.reshape(()))


def _flat_metrics(model) -> list:
    metrics = []
    for metric in getattr(model, "metrics", None) or []:
        inner = getattr(metric, "metrics", None)
        metrics.extend(inner if isinstance(inner, list) else [metric])
    return metrics

"""Early stopping member by member: a stopped member is frozen, the others go on."""

import copy

import keras
import numpy as np

from kreg._api import register
from kreg._validation import check_float, check_int, invalid_argument

_SCORED = ("member_data_loss", "member_val_data_loss")


@register
class MemberEarlyStopping(keras.callbacks.Callback):
    """Stops each member of a ``kreg.members.MemberModel`` on its own.

    At every epoch end it reads the vector ``logs[monitor]`` (one value per
    member, to minimize). A member whose value has not improved by more than
    ``min_delta`` for ``patience`` epochs is *stopped*: its entry of
    ``model.active`` is set to 0, so the train step leaves its weights exactly
    as they are (no update, not even Adam's momentum) while the others go
    on. ``fit`` ends when every member has stopped. With
    ``restore_best_weights``, each member gets back the weights of its best
    epoch at the end of training.

    Monitor ``"member_val_data_loss"`` to stop on held-out rows, or
    ``"member_data_loss"`` with a ``min_delta`` to stop a member when its
    training loss has converged. By default the value is the epoch's running
    mean from the training steps (dropout on, weights moving, as Keras'
    ``loss``); give ``data=(x, y, roles)`` to score every member at the end
    of each epoch in inference mode instead (``MemberModel.score``: one
    forward pass over ``x``), as Keras' ``validation_data`` does.

    Args:
        monitor: the vector in ``logs``. Defaults to `"member_val_data_loss"`.
        patience: epochs without improvement before a member stops, at least
            0. Defaults to `10`.
        min_delta: smallest decrease that counts as an improvement, non
            negative. Defaults to `0`.
        restore_best_weights: set each member's best weights at the end.
            Defaults to `True`.
        start_from_epoch: epochs during which no member stops. Defaults to
            `0`.
        data: `None`, or ``(x, y, roles)`` to score at each epoch end (see
            above). Defaults to `None`.

    Attributes:
        best: each member's best value, a numpy vector.
        best_epoch: the epoch of each member's best value.
        stopped_epoch: the epoch at which each member stopped, or -1.

    Example:

    >>> stop = kreg.members.MemberEarlyStopping(patience=5)
    >>> stop.patience
    5
    """

    def __init__(
        self,
        monitor: str = "member_val_data_loss",
        patience: int = 10,
        min_delta: float = 0.0,
        restore_best_weights: bool = True,
        start_from_epoch: int = 0,
        data=None,
    ):
        super().__init__()
        owner = "MemberEarlyStopping"
        if not isinstance(monitor, str) or not monitor:
            raise invalid_argument(owner, "monitor", "a non-empty string", monitor)
        self.monitor = monitor
        self.patience = check_int(patience, "patience", owner, low=0)
        self.min_delta = check_float(min_delta, "min_delta", owner, low=0.0)
        if not isinstance(restore_best_weights, bool):
            raise invalid_argument(
                owner, "restore_best_weights", "a bool", restore_best_weights
            )
        self.restore_best_weights = restore_best_weights
        self.start_from_epoch = check_int(
            start_from_epoch, "start_from_epoch", owner, low=0
        )
        if data is not None and (not isinstance(data, tuple) or len(data) != 3):
            raise invalid_argument(owner, "data", "None or (x, y, roles)", data)
        if data is not None and monitor not in _SCORED:
            raise invalid_argument(
                owner, "monitor", f"one of {sorted(_SCORED)} with data", monitor
            )
        self.data = data
        self._reset()

    def _reset(self):
        self.best = None
        self.best_epoch = None
        self.stopped_epoch = None
        self._wait = None
        self._best_weights = None

    def on_train_begin(self, logs=None):
        self._reset()
        members = self.model.members
        self.best = np.full(members, np.inf)
        self.best_epoch = np.full(members, -1)
        self.stopped_epoch = np.full(members, -1)
        self._wait = np.zeros(members, dtype=int)
        self.model.active.assign(np.ones(members, "float32"))

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.data is not None:
            train, validation = self.model.score(*self.data)
            logs = {
                **logs,
                "member_data_loss": train,
                "member_val_data_loss": validation,
            }
        if self.monitor not in logs:
            raise ValueError(
                f"MemberEarlyStopping monitors `{self.monitor}`, which is not in "
                f"the logs. Available keys: {sorted(logs)}."
            )
        current = np.asarray(logs[self.monitor], dtype=float).reshape(-1)
        active = np.asarray(self.model.active.numpy()) > 0
        # NaN (a member with no validation row, or diverged) never improves.
        improved = active & (current < self.best - self.min_delta)
        self.best[improved] = current[improved]
        self.best_epoch[improved] = epoch
        self._wait[improved] = 0
        self._wait[active & ~improved] += 1
        if self.restore_best_weights and improved.any():
            self._keep(improved)
        if epoch + 1 > self.start_from_epoch:
            # As Keras: stop after `patience` epochs without improvement.
            stop = active & ~improved & (self._wait >= self.patience)
            if stop.any():
                self.stopped_epoch[stop] = epoch
                still = active & ~stop
                self.model.active.assign(still.astype("float32"))
                active = still
        if not active.any():
            self.model.stop_training = True

    def _keep(self, members):
        values = [v.numpy() for v in self.model.trainable_variables]
        if self._best_weights is None:
            self._best_weights = [value.copy() for value in values]
            return
        for best, value in zip(self._best_weights, values):
            best[members] = value[members]

    def on_train_end(self, logs=None):
        if self.restore_best_weights and self._best_weights is not None:
            for variable, best in zip(
                self.model.trainable_variables, self._best_weights
            ):
                variable.assign(best)

    def get_config(self) -> dict:
        return {
            "monitor": self.monitor,
            "patience": self.patience,
            "min_delta": self.min_delta,
            "restore_best_weights": self.restore_best_weights,
            "start_from_epoch": self.start_from_epoch,
        }

    def __deepcopy__(self, memo):
        clone = copy.copy(self)
        clone._reset()
        clone.model = None
        return clone

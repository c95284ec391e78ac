"""A budget of epochs per member: each member stops after its own number."""

import keras
import numpy as np

from kreg._api import register
from kreg._validation import invalid_argument


@register
class MemberEpochBudget(keras.callbacks.Callback):
    """Freezes member ``m`` of a ``kreg.members.MemberModel`` after ``epochs[m]``.

    For members with no validation rows to stop on, such as the fits on all
    rows after a cross-validation that trains each strength for the folds'
    median epochs (as ``cv.glmnet`` and ``regularization_path``). Fit for
    ``max(epochs)`` epochs; ``fit`` ends when every member is spent.

    Args:
        epochs: one positive number of epochs per member.

    Example:

    >>> budget = kreg.members.MemberEpochBudget([3, 1, 2])
    >>> budget.epochs
    [3, 1, 2]
    """

    def __init__(self, epochs):
        super().__init__()
        ok = isinstance(epochs, (list, tuple, np.ndarray)) and len(epochs) > 0
        if not ok or not all(int(e) == e and e >= 1 for e in epochs):
            raise invalid_argument(
                "MemberEpochBudget", "epochs", "a non-empty list of ints >= 1", epochs
            )
        self.epochs = [int(e) for e in epochs]

    def on_train_begin(self, logs=None):
        if len(self.epochs) != self.model.members:
            raise ValueError(
                f"MemberEpochBudget has {len(self.epochs)} budgets for a model "
                f"of {self.model.members} members."
            )
        self.model.active.assign(np.ones(self.model.members, "float32"))

    def on_epoch_end(self, epoch, logs=None):
        active = np.asarray(self.epochs) > epoch + 1
        self.model.active.assign(active.astype("float32"))
        if not active.any():
            self.model.stop_training = True

    def get_config(self) -> dict:
        return {"epochs": self.epochs}

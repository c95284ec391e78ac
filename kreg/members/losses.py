"""The data loss of every row for every member, from one forward pass."""

import keras
from keras import ops

from kreg._validation import check_choice
from kreg._vocabulary import MODEL_TASKS, TASK_LOSSES

TASKS = MODEL_TASKS

#: The Keras loss each task's member is trained with, as ``tabular_model``.
LOSSES = TASK_LOSSES


def member_losses(task: str, y, predictions):
    """The per-row, per-member data loss, ``(batch, members)``.

    Each member's loss is the one its separate model would be compiled with
    (``LOSSES[task]``), on the same target (``y`` shared by all members) or on
    its own (``y`` with a member axis: each fold's own target scaling, say).

    Args:
        task: `"regression"`, `"binary"` or `"multiclass"`.
        y: targets, ``(batch, outputs)``, or ``(batch, members, outputs)``
            for one target per member (class indices ``(batch,)`` or
            ``(batch, 1)`` for `"multiclass"`).
        predictions: ``(batch, members, outputs)``, after the activation.

    Example:

    >>> y = np.array([[1.0], [0.0]], "float32")
    >>> p = np.array([[[1.0], [3.0]], [[0.0], [1.0]]], "float32")
    >>> kreg.members.member_losses("regression", y, p).numpy().tolist()
    [[0.0, 4.0], [0.0, 1.0]]
    """
    check_choice(task, "task", "member_losses", TASKS)
    predictions = ops.convert_to_tensor(predictions)
    members = predictions.shape[1]
    if task == "multiclass":
        labels = ops.cast(ops.reshape(y, (-1, 1)), "int32")
        labels = ops.repeat(labels, members, axis=1)
        return keras.losses.sparse_categorical_crossentropy(labels, predictions)
    y = ops.cast(ops.convert_to_tensor(y), predictions.dtype)
    if len(y.shape) == 1:
        y = ops.expand_dims(y, -1)
    if len(y.shape) == 2:
        y = ops.repeat(ops.expand_dims(y, 1), members, axis=1)
    if task == "binary":
        return keras.losses.binary_crossentropy(y, predictions)
    return ops.mean(ops.square(y - predictions), axis=-1)

"""kreg's shared words: task names and which way a metric improves.

One owner for each, so the CLI, the models, the Tuner and ``EarlyStopping``
cannot drift apart. Plain Python, below every Keras object of kreg.
"""

from kreg._validation import check_choice

#: The tasks of the models (the activation and loss of the output follow).
MODEL_TASKS = ("regression", "binary", "multiclass")

#: The output activation of a model of each task.
TASK_ACTIVATIONS = {
    "regression": "linear",
    "binary": "sigmoid",
    "multiclass": "softmax",
}

#: The Keras loss a model of each task is compiled with.
TASK_LOSSES = {
    "regression": "mse",
    "binary": "binary_crossentropy",
    "multiclass": "sparse_categorical_crossentropy",
}

#: The tasks the CLI and ``kreg.data`` speak of.
CLI_TASKS = ("classification", "regression")

#: Every task word accepted: the models' and the CLI's "classification",
#: binary or multiclass by the outputs.
TASK_WORDS = (*MODEL_TASKS, "classification")

#: An integer-valued target with at most this many values is taken for classes.
MAX_INTEGER_CLASSES = 20


def model_task(task: str, n_outputs: int, owner: str) -> str:
    """The model's task for a word of :data:`TASK_WORDS` and a number of outputs."""
    task = check_choice(task, "task", owner, TASK_WORDS)
    if task == "classification":
        return "binary" if n_outputs == 1 else "multiclass"
    return task


# Words of metric names, in the order they are tried: a name with "loss" or
# "error" in it is minimized even if it also names a maximized quantity
# ("accuracy_loss"); Keras' short names are matched whole.
_MIN_WORDS = ("loss", "error", "crossentropy", "hinge", "divergence")
_MIN_NAMES = ("mse", "mae", "mape", "msle", "rmse", "logcosh", "poisson")
_MAX_WORDS = ("acc", "auc", "precision", "recall", "f1", "iou", "r2", "psnr")


def metric_direction(name: str, metric_directions: dict | None = None) -> str | None:
    """Whether a logged metric is minimized (``"min"``) or maximized (``"max"``).

    Args:
        name: the name as logged, with or without the `val_` prefix.
        metric_directions: the direction each compiled metric declares
            (name -> `"min"`/`"max"`), consulted after the loss words.

    Returns:
        `"min"`, `"max"`, or `None` when the name says nothing.

    Example:

    >>> [metric_direction(n) for n in ("val_data_loss", "f1_score", "mse", "x")]
    ['min', 'max', 'min', None]
    """
    name = name.removeprefix("val_").lower()
    if any(word in name for word in _MIN_WORDS) or name in _MIN_NAMES:
        return "min"
    if metric_directions and name in metric_directions:
        return metric_directions[name]
    if any(word in name for word in _MAX_WORDS):
        return "max"
    return None

"""Which task a tabular target asks for, and how many outputs: one vocabulary.

``kreg tune`` says `"classification"` or `"regression"`; the models say
`"binary"`, `"multiclass"` or `"regression"`. Both are accepted everywhere,
and what is not given is read from the target, as the CLI does.
"""

import numpy as np

from kreg._validation import check_choice, invalid_argument

# The names and the CLI-to-model conversion live in kreg._vocabulary.
from kreg._vocabulary import (
    MAX_INTEGER_CLASSES,
    model_task,  # noqa: F401 - re-exported
)
from kreg._vocabulary import MODEL_TASKS as TASKS  # noqa: F401 - re-exported
from kreg._vocabulary import TASK_WORDS as WORDS


def resolve_task(
    y, task: str | None, n_outputs: int | None, owner: str
) -> tuple[str, int, np.ndarray]:
    """Reads ``task`` and ``n_outputs`` from ``y`` where not given; checks them.

    An integer-valued target with at most 20 values is classes (two values 0
    and 1: `"binary"`, else `"multiclass"` with labels ``0..k-1``); any other
    target is a regression. A mismatch (class labels 0..9 for one output, a
    binary task on labels other than 0/1) is one ``ValueError`` that says so.

    Returns:
        ``(task, n_outputs, y)``, ``y`` as class indices (int64, one column)
        for classification, else as given.

    Example:

    >>> from kreg.tuning.tasks import resolve_task
    >>> resolve_task(np.array([0, 2, 1, 2]), None, None, "f")[:2]
    ('multiclass', 3)
    >>> resolve_task(np.array([0.5, 1.25]), None, None, "f")[:2]
    ('regression', 1)
    """
    if task is not None:
        task = check_choice(task, "task", owner, WORDS)
    if n_outputs is not None and (
        isinstance(n_outputs, bool) or not isinstance(n_outputs, int | np.integer)
    ):
        raise invalid_argument(owner, "n_outputs", "an integer >= 1", n_outputs)
    if n_outputs is not None and n_outputs < 1:
        raise invalid_argument(owner, "n_outputs", "an integer >= 1", n_outputs)
    y = np.asarray(y)
    columns = 1 if y.ndim == 1 else int(np.prod(y.shape[1:]))
    labels = _labels(y) if columns == 1 else None
    if task is None:
        if labels is not None and len(np.unique(labels)) <= MAX_INTEGER_CLASSES:
            task = "classification"
        else:
            task = "regression"
    if task == "regression":
        n_outputs = columns if n_outputs is None else int(n_outputs)
        if n_outputs != columns:
            raise invalid_argument(
                owner,
                "n_outputs",
                f"{columns}, the columns of y, for a regression",
                n_outputs,
            )
        return task, n_outputs, y
    if labels is None:
        raise invalid_argument(
            owner,
            "y",
            f"class labels 0..k-1 (one column of whole numbers) for task='{task}' "
            "(for real values use task='regression')",
            _summary(y),
        )
    top = int(labels.max()) if len(labels) else 0
    if labels.min() < 0:
        raise invalid_argument(
            owner, "y", "class labels 0..k-1 (no negative labels)", _summary(y)
        )
    if task == "classification":
        task = "binary" if top <= 1 and n_outputs in (None, 1) else "multiclass"
    if n_outputs is None:
        n_outputs = 1 if task == "binary" else max(top + 1, 2)
    n_outputs = int(n_outputs)
    if task == "binary" and n_outputs != 1:
        raise invalid_argument(
            owner,
            "n_outputs",
            "1 for task='binary' (one sigmoid output; for a softmax over classes "
            "use task='multiclass')",
            n_outputs,
        )
    if task == "binary" and top > 1:
        raise invalid_argument(
            owner,
            "task",
            f"'multiclass' or 'classification' for y with class labels 0..{top} "
            "(task='binary' takes labels 0 and 1)",
            task,
        )
    if task == "multiclass" and top >= n_outputs:
        raise invalid_argument(
            owner,
            "n_outputs",
            f"at least {top + 1} for task='multiclass' (y holds class labels "
            f"0..{top}; leave n_outputs out to read it from y)",
            n_outputs,
        )
    return task, n_outputs, labels.reshape(-1, 1).astype("int64")


def _labels(y: np.ndarray) -> np.ndarray | None:
    """``y`` as whole numbers, or None where it holds other values."""
    flat = y.reshape(-1)
    if y.dtype.kind == "b":
        return flat.astype("int64")
    if y.dtype.kind in "iu":
        return flat.astype("int64")
    if (
        y.dtype.kind == "f"
        and np.all(np.isfinite(flat))
        and np.all(flat == np.round(flat))
    ):
        return flat.astype("int64")
    return None


def _summary(y: np.ndarray) -> str:
    values = np.unique(y.reshape(-1)) if y.size else np.array([])
    shown = ", ".join(
        f"{v:g}" if np.issubdtype(type(v), np.number) else repr(v) for v in values[:5]
    )
    more = " ..." if len(values) > 5 else ""
    return f"<array of {len(y)} rows, values {shown}{more}>"

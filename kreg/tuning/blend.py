"""Weights for averaging model families, from their out-of-fold predictions.

Choosing one family by cross-validation is noisy on a small table: six
families' CV losses often lie within each other's standard errors, and the
lowest is then the lowest by chance about as often as by merit. Averaging the
families instead removes most of that choice's variance. The weights come
from greedy ensemble selection with replacement (Caruana et al., "Ensemble
selection from libraries of models", ICML 2004; what auto-sklearn and
AutoGluon do): start from the family with the lowest out-of-fold loss, then
repeatedly add (again, possibly) the family whose addition lowers the loss of
the running average most. A family's weight is how often it was added. The
steps are few, so the weights are coarse, which is what keeps them from
fitting the out-of-fold rows' noise; a family that does not help is never
added, so on a linear table the average is the GLM alone.
"""

import numpy as np

from kreg._validation import check_choice, invalid_argument

#: The tasks of :func:`kreg.tuning.tabular_path`, with their data losses.
TASKS = ("regression", "binary", "multiclass")

#: Greedy steps: weights are multiples of 1 / STEPS.
STEPS = 20


def data_loss(task: str, y, predictions) -> float:
    """Mean data loss of predictions: MSE, or binary or categorical log loss.

    Args:
        task: `"regression"`, `"binary"` (one probability per row) or
            `"multiclass"` (a probability per class, ``y`` the class index).
        y: the targets, one per row (or a column).
        predictions: ``(rows, outputs)`` predictions.

    Example:

    >>> round(data_loss("binary", [1, 0], [[0.5], [0.5]]), 4)
    0.6931
    """
    task = check_choice(task, "task", "data_loss", TASKS)
    p = np.asarray(predictions, dtype="float64")
    y = np.asarray(y)
    if task == "regression":
        return float(np.mean((p.reshape(len(y), -1) - y.reshape(len(y), -1)) ** 2))
    # Keras' own clipping of probabilities in its log losses.
    p = np.clip(p, 1e-7, 1 - 1e-7)
    if task == "binary":
        y = y.reshape(-1).astype("float64")
        p = p.reshape(-1)
        return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
    labels = y.reshape(-1).astype(int)
    return float(-np.mean(np.log(p[np.arange(len(labels)), labels])))


def ensemble_selection(task: str, y, predictions, steps: int = STEPS) -> np.ndarray:
    """Weights of a greedy ensemble selection with replacement.

    Args:
        task: as in :func:`data_loss`.
        y: the targets of the rows predicted.
        predictions: one ``(rows, outputs)`` array per model, each row
            predicted by a model that did not train on it (out of fold).
            A model whose predictions hold a NaN is never chosen.
        steps: how many times a model is added, 1 to 1000 (the weights are
            multiples of ``1 / steps``). Defaults to 20.

    Returns:
        One weight per model, multiples of ``1 / steps`` summing to 1: the
        prefix of the greedy sequence with the lowest loss (so a model
        that does not lower the loss gets 0).

    Example:

    >>> y = np.array([0.0, 1.0, 2.0, 3.0])
    >>> under, over = y[:, None] - 1.0, y[:, None] + 1.0
    >>> ensemble_selection("regression", y, [under, over]).tolist()
    [0.5, 0.5]
    """
    if isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= 1000:
        raise invalid_argument(
            "ensemble_selection", "steps", "an integer in [1, 1000]", steps
        )
    predictions = [np.asarray(p, dtype="float64") for p in predictions]
    if not predictions:
        raise invalid_argument(
            "ensemble_selection", "predictions", "at least one array", predictions
        )
    finite = [bool(np.isfinite(p).all()) for p in predictions]
    if not any(finite):
        raise invalid_argument(
            "ensemble_selection",
            "predictions",
            "at least one array without NaN",
            "all hold NaN",
        )
    counts = np.zeros(len(predictions))
    total = np.zeros_like(predictions[finite.index(True)])
    best_loss, best_counts = np.inf, None
    for step in range(1, steps + 1):
        losses = [
            data_loss(task, y, (total + p) / step) if ok else np.inf
            for p, ok in zip(predictions, finite)
        ]
        # Ties go to the earlier model (the families' order: simplest first).
        added = int(np.argmin(losses))
        counts[added] += 1
        total += predictions[added]
        # Strictly lower: an equal loss adds a model for nothing.
        if losses[added] < best_loss - 1e-12:
            best_loss, best_counts = losses[added], counts.copy()
    return best_counts / best_counts.sum()

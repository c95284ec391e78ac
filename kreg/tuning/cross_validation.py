"""Input checks and k-fold splits (stratified for classification)."""

import numbers

import keras
import numpy as np
from sklearn import model_selection

from kreg._validation import invalid_argument


def check_data(x, y, owner: str, y_name: str = "y"):
    """Checks arrays for cross-validation before any training.

    ``x`` is an array or a list/dict of arrays (multi-input models), ``y`` an
    array. Rejects data that cannot be indexed by row (``tf.data``,
    generators), unequal lengths, NaN and infinities.

    Returns:
        ``(x, y, n)`` with numpy arrays (a 1-D ``y`` as one column) and the
        number of samples. ``y_name`` names ``y`` in errors (``sample_weight``
        when that is what is checked against ``x``).
    """
    if x is None or y is None:
        raise invalid_argument(
            owner, y_name if x is not None else "x", "an array", None
        )
    if hasattr(x, "element_spec") or hasattr(x, "__next__"):
        raise invalid_argument(
            owner,
            "x",
            "numpy arrays (k-fold needs rows it can index; a tf.data.Dataset or "
            "a generator cannot be split)",
            type(x).__name__,
        )

    def as_array(value, name):
        try:
            array = np.asarray(value)
        except (TypeError, ValueError) as error:
            raise invalid_argument(
                owner, name, "an array", type(value).__name__
            ) from error
        if array.ndim == 0:
            raise invalid_argument(
                owner, name, "an array with one row per sample", value
            )
        if array.dtype.kind in "fc" and not np.all(np.isfinite(array)):
            bad = int(np.size(array) - np.count_nonzero(np.isfinite(array)))
            raise invalid_argument(
                owner,
                name,
                "finite values (no NaN or infinity)",
                f"<array with {bad} non-finite value(s)>",
            )
        if array.dtype.kind == "O":
            raise invalid_argument(
                owner, name, "a numeric array", "<array of dtype object>"
            )
        return array

    x = keras.tree.map_structure(lambda a: as_array(a, "x"), x)
    y = as_array(y, y_name)
    lengths = {len(a) for a in keras.tree.flatten(x)}
    if len(lengths) != 1 or len(y) not in lengths:
        raise invalid_argument(
            owner,
            y_name,
            f"as many rows as x ({sorted(lengths)})",
            f"<array with {len(y)} rows>",
        )
    if y.ndim == 1:
        # One column: Keras' losses reconcile (n,) with (n, 1), but metrics
        # such as DataLoss("binary_crossentropy") do not.
        y = y[:, None]
    return x, y, len(y)


def take(x, index):
    """Rows ``index`` of an array or of a structure of arrays."""
    return keras.tree.map_structure(lambda a: a[index], x)


def class_labels(y) -> np.ndarray | None:
    """The class labels of ``y`` when it looks like classification, else None.

    Integer or Boolean targets (one column) and one-hot targets count as
    classification; floats do not.
    """
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] > 1:
        if (
            y.dtype.kind in "biuf"
            and np.all((y == 0) | (y == 1))
            and np.all(y.sum(axis=1) == 1)
        ):
            return np.argmax(y, axis=1)
        return None
    flat = y.reshape(len(y), -1)
    if flat.shape[1] != 1:
        return None
    if y.dtype.kind in "biu":
        return flat[:, 0]
    return None


def check_cv(cv, owner: str):
    """Accepts an integer >= 2 or a scikit-learn splitter."""
    if hasattr(cv, "split") and hasattr(cv, "get_n_splits"):
        return cv
    if not isinstance(cv, numbers.Integral) or isinstance(cv, bool) or cv < 2:
        raise invalid_argument(
            owner, "cv", "an integer >= 2 or a scikit-learn splitter", cv
        )
    return int(cv)


def make_splits(
    y, cv, *, stratify: str | bool = "auto", seed: int = 0, owner: str = "Tuner"
) -> list[tuple[np.ndarray, np.ndarray]]:
    """The (train, validation) row indices of each fold.

    ``cv`` is an integer (``StratifiedKFold`` for classification when
    ``stratify`` is ``"auto"`` or ``True``, else ``KFold``, both shuffled
    with ``seed``) or a scikit-learn splitter used as is.

    Example:

    >>> from kreg.tuning.cross_validation import make_splits
    >>> splits = make_splits(np.array([0, 1] * 5), 5, seed=0)
    >>> [len(v) for _, v in splits]
    [2, 2, 2, 2, 2]
    """
    cv = check_cv(cv, owner)
    n = len(y)
    if not isinstance(cv, int):
        return [
            (np.asarray(t), np.asarray(v))
            for t, v in cv.split(np.zeros((n, 1)), class_labels(y))
        ]
    if cv > n:
        raise invalid_argument(owner, "cv", f"at most the number of samples ({n})", cv)
    labels = class_labels(y) if stratify in ("auto", True) else None
    if stratify is True and labels is None:
        raise invalid_argument(
            owner,
            "stratify",
            "False or 'auto' for targets that are not class labels",
            True,
        )
    if labels is not None:
        _, counts = np.unique(labels, return_counts=True)
        if counts.min() < cv:
            raise invalid_argument(
                owner,
                "cv",
                f"at most the size of the smallest class ({int(counts.min())}) for "
                "stratified folds",
                cv,
            )
        splitter = model_selection.StratifiedKFold(cv, shuffle=True, random_state=seed)
        return list(splitter.split(np.zeros((n, 1)), labels))
    splitter = model_selection.KFold(cv, shuffle=True, random_state=seed)
    return list(splitter.split(np.zeros((n, 1))))


def fixed_splits(
    y, cv: int, *, stratify: bool, seed: int = 0, owner: str = "fixed_splits"
) -> model_selection.PredefinedSplit:
    """The folds of :func:`make_splits`, fixed as a scikit-learn splitter.

    The folds are drawn once on ``y`` (class labels when ``stratify``), so a
    model fitted on another encoding of the same target (0/1 floats in one
    column, say, which are not class labels) still gets stratified folds.

    Example:

    >>> from kreg.tuning.cross_validation import fixed_splits
    >>> splitter = fixed_splits(np.array([0, 1] * 3), 3, stratify=True)
    >>> splitter.test_fold.tolist()
    [2, 2, 1, 0, 0, 1]
    """
    splits = make_splits(y, cv, stratify=stratify, seed=seed, owner=owner)
    fold_of = np.empty(len(y), dtype=int)
    for fold, (_, rows) in enumerate(splits):
        fold_of[rows] = fold
    return model_selection.PredefinedSplit(fold_of)

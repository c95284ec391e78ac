"""Which rows each member trains on and which it is validated on."""

import numpy as np
from sklearn import model_selection

from kreg._validation import check_int, invalid_argument

#: A row the member does not see.
UNUSED = 0
#: A row of the member's training data: it enters the member's gradient.
TRAIN = 1
#: A row of the member's validation data: it is only scored.
VALIDATION = 2


def split_roles(splits, n_rows: int) -> np.ndarray:
    """The roles of the rows for members given by (train, validation) indices.

    Args:
        splits: a list of ``(train_rows, validation_rows)`` index arrays, one
            per member (scikit-learn's ``cv.split`` output).
        n_rows: the number of rows of the data.

    Returns:
        An int8 array ``(n_rows, members)`` of :data:`TRAIN`,
        :data:`VALIDATION` and :data:`UNUSED`; pass it to
        ``MemberModel.fit`` as ``sample_weight``.

    Example:

    >>> kreg.members.split_roles([([0, 1], [2]), ([1, 2], [0])], 3).tolist()
    [[1, 2], [1, 1], [2, 1]]
    """
    n_rows = check_int(n_rows, "n_rows", "split_roles", low=1)
    splits = list(splits)
    if not splits:
        raise invalid_argument("split_roles", "splits", "a non-empty list", splits)
    roles = np.zeros((n_rows, len(splits)), dtype="int8")
    for m, (train, validation) in enumerate(splits):
        if np.intersect1d(train, validation).size:
            raise invalid_argument(
                "split_roles",
                "splits",
                "training and validation rows apart in every member",
                f"<member {m} shares rows>",
            )
        roles[np.asarray(train, dtype=int), m] = TRAIN
        roles[np.asarray(validation, dtype=int), m] = VALIDATION
    return roles


def fold_roles(n_rows: int, folds: int, *, labels=None, seed: int = 0) -> np.ndarray:
    """k-fold roles: member ``j`` validates on fold ``j`` and trains on the rest.

    Args:
        n_rows: the number of rows.
        folds: the number of folds k, at least 2.
        labels: class labels to stratify on (``StratifiedKFold``), or `None`
            (``KFold``). Defaults to `None`.
        seed: the shuffling seed. Defaults to `0`.

    Returns:
        An int8 array ``(n_rows, folds)``.

    Example:

    >>> roles = kreg.members.fold_roles(10, 5)
    >>> (roles == kreg.members.VALIDATION).sum(axis=0).tolist()
    [2, 2, 2, 2, 2]
    """
    n_rows = check_int(n_rows, "n_rows", "fold_roles", low=1)
    folds = check_int(folds, "folds", "fold_roles", low=2)
    if labels is None:
        splitter = model_selection.KFold(folds, shuffle=True, random_state=seed)
        splits = splitter.split(np.zeros((n_rows, 1)))
    else:
        splitter = model_selection.StratifiedKFold(
            folds, shuffle=True, random_state=seed
        )
        splits = splitter.split(np.zeros((n_rows, 1)), np.asarray(labels))
    return split_roles(splits, n_rows)


def repeat_roles(roles: np.ndarray, times: int) -> np.ndarray:
    """The roles of ``times`` blocks of the same members, block after block.

    For folds x strengths: member ``i * k + j`` has strength ``i`` and fold
    ``j`` when ``roles`` holds the k folds.

    Example:

    >>> kreg.members.repeat_roles(np.array([[1, 2]], "int8"), 2).tolist()
    [[1, 2, 1, 2]]
    """
    times = check_int(times, "times", "repeat_roles", low=1)
    return np.tile(np.asarray(roles), (1, times))

"""Choosing the winner: the minimum, or glmnet's one-standard-error rule."""

from collections.abc import Sequence

import numpy as np

from kreg._validation import check_choice, invalid_argument

RULES = ("min", "1se")


def standard_error(scores: Sequence[float]) -> float:
    """The standard error of the mean of fold scores, ``std(ddof=1) / sqrt(k)``.

    As glmnet's ``cvsd``. 0 for a single score.

    Example:

    >>> round(kreg.tuning.standard_error([1.0, 2.0, 3.0]), 6)
    0.57735
    """
    scores = np.asarray(scores, dtype="float64")
    if scores.size < 2:
        return 0.0
    return float(np.std(scores, ddof=1) / np.sqrt(scores.size))


def select(
    means: Sequence[float],
    standard_errors: Sequence[float],
    levels: Sequence[float],
    *,
    rule: str = "min",
    direction: str = "min",
) -> int:
    """Index of the chosen candidate under the ``"min"`` or ``"1se"`` rule.

    ``"min"`` is the best mean score. ``"1se"`` (glmnet's ``lambda.1se``) is
    the most regularized candidate (highest ``level``) whose mean is within
    one standard error of the best: ``mean <= best + se_best`` (for
    ``direction="max"``, ``mean >= best - se_best``). Ties in level go to the
    better score.

    Args:
        means: mean cross-validation score per candidate (NaN = failed).
        standard_errors: standard error of each mean.
        levels: how strongly each candidate regularizes.
        rule: `"min"` or `"1se"`. Defaults to `"min"`.
        direction: `"min"` or `"max"`, the objective's direction. Defaults to
            `"min"`.

    Example:

    >>> kreg.tuning.select([1.0, 1.05, 1.5], [0.1, 0.1, 0.1], [0.0, 0.5, 1.0],
    ...                    rule="1se")
    1
    """
    rule = check_choice(rule, "rule", "select", RULES)
    direction = check_choice(direction, "direction", "select", ("min", "max"))
    means = np.asarray(means, dtype="float64")
    ses = np.asarray(standard_errors, dtype="float64")
    levels = np.asarray(levels, dtype="float64")
    if not (means.shape == ses.shape == levels.shape) or means.ndim != 1:
        raise invalid_argument(
            "select", "standard_errors", "as many values as means and levels", ses.shape
        )
    sign = 1.0 if direction == "min" else -1.0
    signed = np.where(np.isfinite(means), sign * means, np.inf)
    if signed.size == 0 or not np.isfinite(signed).any():
        raise invalid_argument(
            "select", "means", "at least one finite score", means.tolist()
        )
    best = int(np.argmin(signed))
    if rule == "min":
        return best
    threshold = signed[best] + np.nan_to_num(ses[best])
    eligible = np.flatnonzero(signed <= threshold + 1e-12)
    # Most regularized first, then the better score.
    return int(min(eligible, key=lambda i: (-levels[i], signed[i])))

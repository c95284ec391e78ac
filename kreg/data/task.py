"""Which task a target column asks for: classification or regression."""

import pandas as pd

# The tasks kreg tunes models for, and when an integer target is taken for
# classes: named in kreg._vocabulary, with the models' tasks.
from kreg._vocabulary import CLI_TASKS as TASKS  # noqa: F401 - re-exported
from kreg._vocabulary import MAX_INTEGER_CLASSES


def detect_task(target: pd.Series) -> str:
    """Guesses the task from the values of a target column.

    Text, boolean and categorical targets are classification; so is an
    integer-valued target with at most ``MAX_INTEGER_CLASSES`` (20) distinct
    values. Any other numeric target is regression. Missing values are
    ignored. Pass the task explicitly where the guess is wrong (a count with
    few values that should be regressed).

    Args:
        target: the target column.

    Returns:
        `"classification"` or `"regression"`.

    Example:

    >>> import pandas as pd
    >>> kreg.data.detect_task(pd.Series(["yes", "no", "yes"]))
    'classification'
    >>> kreg.data.detect_task(pd.Series([0, 1, 2, 1]))
    'classification'
    >>> kreg.data.detect_task(pd.Series([0.5, 1.25, 3.0]))
    'regression'
    """
    values = target.dropna()
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return "classification"
    integral = bool((values == values.round()).all())
    if integral and values.nunique() <= MAX_INTEGER_CLASSES:
        return "classification"
    return "regression"

"""Reading a table from CSV (or a DataFrame), checked before any training."""

import dataclasses
import os

import numpy as np
import pandas as pd

from kreg._validation import check_choice, invalid_argument
from kreg.data.task import TASKS, detect_task

_OWNER = "kreg tune"


@dataclasses.dataclass(frozen=True)
class Table:
    """A checked table: the features, the encoded target and the task.

    Attributes:
        name: where the table came from (a file name or a data set name).
        features: the feature columns, rows with a target only.
        target: the target column as read (same rows as ``features``).
        target_name: the target column's name.
        task: `"classification"` or `"regression"`.
        task_detected: True if the task was guessed from the target.
        y: the target as numbers: class indices (int64) for classification,
            float32 values for regression.
        classes: the class labels in index order (classification), else `None`.
        numeric_columns: feature columns taken as numbers.
        categorical_columns: feature columns taken as categories.
        dropped_rows: rows left out because their target was missing.
    """

    name: str
    features: pd.DataFrame
    target: pd.Series
    target_name: str
    task: str
    task_detected: bool
    y: np.ndarray
    classes: list | None
    numeric_columns: list[str]
    categorical_columns: list[str]
    dropped_rows: int

    def __len__(self) -> int:
        return len(self.features)


def _listed(names, limit: int = 12) -> str:
    shown = ", ".join(repr(str(n)) for n in list(names)[:limit])
    more = len(names) - limit
    return shown + (f" and {more} more" if more > 0 else "")


def _read_csv(path) -> pd.DataFrame:
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise invalid_argument(_OWNER, "data", "an existing CSV file", path)
    try:
        frame = pd.read_csv(path)
    except pd.errors.EmptyDataError:
        raise invalid_argument(
            _OWNER,
            "data",
            "a CSV file with a header and rows (the file is empty)",
            path,
        ) from None
    except (pd.errors.ParserError, UnicodeDecodeError) as error:
        reason = str(error).strip().splitlines()[0]
        raise invalid_argument(
            _OWNER, "data", f"a readable CSV file ({reason})", path
        ) from None
    if frame.shape[0] == 0:
        raise invalid_argument(
            _OWNER,
            "data",
            "a CSV file with rows (it has a header and no rows)",
            path,
        )
    return frame


def _check_column(series: pd.Series, role: str, source: str) -> None:
    name = series.name
    values = series.dropna()
    if values.empty:
        raise invalid_argument(
            _OWNER,
            "data",
            f"no empty column ({role} {name!r} holds only missing values"
            + ("" if role == "target" else f"; leave it out with --drop {name}")
            + ")",
            source,
        )
    if series.nunique(dropna=role != "target") <= 1:
        raise invalid_argument(
            _OWNER,
            "data",
            f"no constant column ({role} {name!r} holds the single value "
            f"{_plain(values.iloc[0])!r}"
            + ("" if role == "target" else f"; leave it out with --drop {name}")
            + ")",
            source,
        )


def load_table(
    data,
    target: str | None = None,
    *,
    task: str | None = None,
    drop=(),
    name: str | None = None,
) -> Table:
    """Reads and checks a table for tuning; raises ValueError naming any problem.

    Every check runs before any training, and each error is one line that
    names the problem: a missing file, an empty file, an unknown target or
    ``drop`` column, a column that is empty (only missing values) or constant,
    a text column with a different value in every row (an identifier), a
    non-numeric target for regression. Rows whose target is missing are left
    out (counted in ``dropped_rows``). Boolean and numeric columns are
    numbers; every other column is a category.

    Args:
        data: a path to a CSV file, or a pandas DataFrame.
        target: the target column. Defaults to `None` (the last column).
        task: `"classification"`, `"regression"` or `None` (guessed from the
            target with :func:`detect_task`). Defaults to `None`.
        drop: columns to leave out. Defaults to `()`.
        name: a name for reports. Defaults to `None` (the file name, or
            `"data"` for a DataFrame).

    Returns:
        A :class:`Table`.

    Example:

    >>> table = kreg.data.load_table(kreg.data.load_example(), "diagnosis")
    >>> table.task, table.classes, table.features.shape
    ('classification', ['benign', 'malignant'], (569, 30))
    """
    if isinstance(data, pd.DataFrame):
        frame = data.copy()
        source = name or "data"
        if frame.shape[0] == 0:
            raise invalid_argument(_OWNER, "data", "a table with rows", source)
    else:
        frame = _read_csv(data)
        source = os.fspath(data)
    name = name or os.path.basename(source)
    if task is not None:
        check_choice(task, "task", _OWNER, TASKS)
    columns = [str(c) for c in frame.columns]
    frame.columns = columns
    if target is None:
        target = columns[-1]
    if target not in columns:
        raise invalid_argument(
            _OWNER,
            "target",
            f"a column of {source} (one of {_listed(columns)})",
            target,
        )
    drop = list(drop)
    for column in drop:
        if column not in columns:
            raise invalid_argument(
                _OWNER,
                "drop",
                f"columns of {source} (one of {_listed(columns)})",
                column,
            )
    if target in drop:
        raise invalid_argument(_OWNER, "drop", "columns other than the target", target)
    target_column = frame[target]
    _check_column(target_column, "target", source)
    keep = target_column.notna().to_numpy()
    features = frame.drop(columns=[target, *drop])[keep].reset_index(drop=True)
    target_column = target_column[keep].reset_index(drop=True)
    if features.shape[1] == 0:
        raise invalid_argument(
            _OWNER, "data", "at least one feature column besides the target", source
        )
    numeric, categorical = [], []
    for column in features.columns:
        series = features[column]
        _check_column(series, "column", source)
        if pd.api.types.is_bool_dtype(series):
            features[column] = series.astype("float32")
            numeric.append(column)
        elif pd.api.types.is_numeric_dtype(series):
            numeric.append(column)
        else:
            values = series.dropna().astype(str)
            if len(values) > 20 and values.nunique() == len(values):
                raise invalid_argument(
                    _OWNER,
                    "data",
                    f"no identifier column (text column {column!r} has a different "
                    f"value in every row; leave it out with --drop {column})",
                    source,
                )
            categorical.append(column)
    detected = task is None
    if detected:
        task = detect_task(target_column)
    if task == "regression":
        if not pd.api.types.is_numeric_dtype(target_column) or (
            pd.api.types.is_bool_dtype(target_column)
        ):
            example = target_column.iloc[0]
            raise invalid_argument(
                _OWNER,
                "target",
                f"a numeric column for regression (column {target!r} holds text "
                f"such as {example!r}; use --task classification)",
                target,
            )
        y = target_column.to_numpy(dtype="float32")
        classes = None
    else:
        labels = target_column.astype(str) if _mixed(target_column) else target_column
        uniques = sorted(pd.unique(labels))
        classes = [_plain(c) for c in uniques]
        lookup = {value: index for index, value in enumerate(uniques)}
        y = labels.map(lookup).to_numpy(dtype="int64")
    return Table(
        name=name,
        features=features,
        target=target_column,
        target_name=target,
        task=task,
        task_detected=detected,
        y=y,
        classes=classes,
        numeric_columns=numeric,
        categorical_columns=categorical,
        dropped_rows=int((~keep).sum()),
    )


def _mixed(series: pd.Series) -> bool:
    return len({type(v) for v in series}) > 1


def _plain(value):
    """Numpy scalars to Python values, so labels go into JSON as they are."""
    return value.item() if isinstance(value, np.generic) else value

"""Reading a table from CSV (or a DataFrame), checked before any training."""

import csv
import dataclasses
import os

import numpy as np
import pandas as pd

from kreg._validation import check_choice, invalid_argument
from kreg.data.task import TASKS, detect_task

_OWNER = "kreg tune"

#: What to do with the few non-numeric cells of a mostly numeric column.
NON_NUMERIC = ("error", "missing")

#: The largest magnitude a float32 holds: a bigger number would become inf.
_FLOAT32_MAX = float(np.finfo(np.float32).max)


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
        constant_columns: feature columns left out because they hold a
            single value (they carry nothing to learn from).
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
    constant_columns: list[str] = dataclasses.field(default_factory=list)

    def __len__(self) -> int:
        return len(self.features)


def _listed(names, limit: int = 12) -> str:
    shown = ", ".join(repr(str(n)) for n in list(names)[:limit])
    more = len(names) - limit
    return shown + (f" and {more} more" if more > 0 else "")


def check_csv_path(path) -> str:
    """Returns ``path`` as a string; `InvalidArgumentError` unless it is a file.

    Cheap and free of TensorFlow, so the command line can say it before it
    spends seconds loading TensorFlow.
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise invalid_argument(_OWNER, "data", "an existing CSV file", path)
    return path


def _read_csv(path) -> pd.DataFrame:
    path = check_csv_path(path)
    try:
        with open(path, "rb") as f:
            head = f.read(1 << 13)
    except OSError as error:
        raise invalid_argument(
            _OWNER, "data", f"a readable CSV file ({error.strerror})", path
        ) from None
    if b"\0" in head:
        raise invalid_argument(
            _OWNER, "data", "a CSV text file (it holds binary data)", path
        )
    try:
        # The header as written: pandas would rename a repeated name to "a.1".
        with open(path, encoding="utf-8-sig", newline="") as f:
            header = next(csv.reader(f), [])
        frame = pd.read_csv(path)
    except pd.errors.EmptyDataError:
        raise invalid_argument(
            _OWNER,
            "data",
            "a CSV file with a header and rows (the file is empty)",
            path,
        ) from None
    except (
        pd.errors.ParserError,
        csv.Error,
        UnicodeDecodeError,
        ValueError,
        OSError,
    ) as error:
        reason = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise invalid_argument(
            _OWNER, "data", f"a readable CSV file ({reason})", path
        ) from None
    _check_names(header, path)
    if frame.shape[0] == 0:
        raise invalid_argument(
            _OWNER,
            "data",
            "a CSV file with rows (it has a header and no rows)",
            path,
        )
    return frame


def _check_names(names: list[str], source: str) -> None:
    seen, repeated = set(), []
    for name in names:
        if name in seen and name not in repeated:
            repeated.append(name)
        seen.add(name)
    if repeated:
        raise invalid_argument(
            _OWNER,
            "data",
            f"a header with distinct column names ({_listed(repeated)} "
            "appear more than once)",
            source,
        )


def _rows(positions, values, limit: int = 3) -> str:
    """``row 3 ('abc'), row 7 ('x')``: 1-based data rows, the header not counted."""
    shown = [f"row {p + 1} ({_plain(v)!r})" for p, v in zip(positions, values)]
    more = len(shown) - limit
    return ", ".join(shown[:limit]) + (f" and {more} more" if more > 0 else "")


def _numbers(frame: pd.DataFrame, non_numeric: str, source: str) -> pd.DataFrame:
    """Mostly numeric text columns: an error naming the bad cells, or NaN there.

    A column where more than half the values are numbers is a numeric column
    with a few stray cells (a typo, "n/a?"), never silently a category.
    """
    dtypes = frame.dtypes
    for column in frame.columns:
        if pd.api.types.is_numeric_dtype(dtypes[column]):
            continue
        series = frame[column]
        present = series.notna().to_numpy()
        if not present.any():
            continue
        numbers = pd.to_numeric(series.where(present), errors="coerce")
        bad = present & numbers.isna().to_numpy()
        if not bad.any() or bad.sum() * 2 >= present.sum():
            continue
        if non_numeric == "missing":
            frame[column] = numbers.astype("float64")
            continue
        positions = np.flatnonzero(bad)
        raise invalid_argument(
            _OWNER,
            "data",
            f"numbers in column {column!r}, as in most of its rows (not a number: "
            f"{_rows(positions, series.to_numpy()[positions])}; rows counted from 1 "
            "after the header); fix those cells, or pass --non-numeric-as-missing "
            "to read them as missing",
            source,
        )
    return frame


def _check_finite(values, role: str, source: str, only=None) -> None:
    """Rejects inf and numbers beyond float32 in a column or a frame of them
    (its columns ``only``, if given)."""
    frame = values.to_frame() if isinstance(values, pd.Series) else values
    block = frame.to_numpy(dtype="float64", na_value=np.nan)
    names = frame.columns
    if only is not None:
        picked = names.get_indexer(only)
        block, names = block[:, picked], names[picked]
    bad = np.isinf(block) | (np.abs(np.nan_to_num(block)) > _FLOAT32_MAX)
    if bad.any():
        column = int(np.flatnonzero(bad.any(axis=0))[0])
        positions = np.flatnonzero(bad[:, column])
        raise invalid_argument(
            _OWNER,
            "data",
            f"finite numbers within float32's range ({role} "
            f"{names[column]!r}: "
            f"{_rows(positions, block[positions, column])}; rows counted from 1 "
            "after the header)",
            source,
        )


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
    non_numeric: str = "error",
) -> Table:
    """Reads and checks a table for tuning; raises ValueError naming any problem.

    Every check runs before any training, and each error is one line that
    names the problem: a missing file, an empty file, an unknown target or
    ``drop`` column, a column that is empty (only missing values), a constant
    target, a text column with a different value in every row (an identifier), a
    non-numeric target for regression, repeated column names, infinite numbers
    (or numbers too large for float32), a binary file, and a mostly numeric
    column with a few cells that are not numbers (never silently read as a
    category). Rows whose target is missing are left out (counted in
    ``dropped_rows``); feature columns with a single value are left out
    (listed in ``constant_columns``). Boolean and numeric columns are numbers;
    every other column is a category.

    Args:
        data: a path to a CSV file, or a pandas DataFrame.
        target: the target column. Defaults to `None` (the last column).
        task: `"classification"`, `"regression"` or `None` (guessed from the
            target with :func:`detect_task`). Defaults to `None`.
        drop: columns to leave out. Defaults to `()`.
        name: a name for reports. Defaults to `None` (the file name, or
            `"data"` for a DataFrame).
        non_numeric: what a mostly numeric column's few non-numeric cells
            are: `"error"` (a ValueError naming the column and the first bad
            rows) or `"missing"` (read as missing values). Defaults to
            `"error"`.

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
    check_choice(non_numeric, "non_numeric", _OWNER, NON_NUMERIC)
    columns = [str(c) for c in frame.columns]
    _check_names(columns, source)
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
    frame = _numbers(frame, non_numeric, source)
    target_column = frame[target]
    _check_column(target_column, "target", source)
    if pd.api.types.is_numeric_dtype(target_column):
        _check_finite(target_column, "target", source)
    keep = target_column.notna().to_numpy()
    features = frame.drop(columns=[target, *drop])[keep].reset_index(drop=True)
    target_column = target_column[keep].reset_index(drop=True)
    if features.shape[1] == 0:
        raise invalid_argument(
            _OWNER, "data", "at least one feature column besides the target", source
        )
    constant = _constant(features)
    if constant:
        # Nothing to learn from a single value: left out, with a note in the run.
        features = features.drop(columns=constant)
        if features.shape[1] == 0:
            raise invalid_argument(
                _OWNER,
                "data",
                "at least one feature column that is not constant (constant: "
                f"{_listed(constant)})",
                source,
            )
    numeric, categorical = _types(frame, features, source)
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
        constant_columns=constant,
    )


def _types(frame: pd.DataFrame, features: pd.DataFrame, source: str):
    """Checks the feature columns; returns the numeric and the categorical ones.

    The numeric columns are checked as one array: a table of thousands of
    columns is checked in a blink, not column by column.
    """
    dtypes = features.dtypes
    numeric = [c for c in features.columns if pd.api.types.is_numeric_dtype(dtypes[c])]
    empty, constant = {}, {}
    if numeric:
        # select_dtypes, not features[numeric]: picking thousands of columns
        # by name is slow in pandas.
        block = _numeric(features).to_numpy(dtype="float64", na_value=np.nan)
        missing = np.isnan(block)
        empty = dict(zip(numeric, missing.all(axis=0)))
        with np.errstate(invalid="ignore"):
            low, high = (
                np.nanmin(np.where(missing, np.inf, block), axis=0),
                np.nanmax(np.where(missing, -np.inf, block), axis=0),
            )
        constant = dict(zip(numeric, (low == high) & ~missing.any(axis=0)))
    categorical = []
    for column in features.columns:
        if column in empty:
            if empty[column] or constant[column]:
                _check_column(features[column], "column", source)
            continue
        series = features[column]
        _check_column(series, "column", source)
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
    if numeric:
        _check_finite(_numeric(frame), "column", source, only=numeric)
        bools = [c for c in numeric if pd.api.types.is_bool_dtype(dtypes[c])]
        if bools:
            features[bools] = features[bools].astype("float32")
    return numeric, categorical


def _constant(features: pd.DataFrame) -> list[str]:
    """Feature columns holding one value in every row (missing counts as a
    value; a column of only missing values is an error, not constant)."""
    counts = features.nunique(dropna=False)
    filled = features.notna().any()
    return [c for c in features.columns if counts[c] <= 1 and filled[c]]


def _numeric(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.select_dtypes(include=["number", "bool"])


def _mixed(series: pd.Series) -> bool:
    return len({type(v) for v in series}) > 1


def _plain(value):
    """Numpy scalars to Python values, so labels go into JSON as they are."""
    return value.item() if isinstance(value, np.generic) else value

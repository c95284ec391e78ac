"""The table of ``kreg tune``: read, checked, split into fitted and held-out rows."""

import math

import numpy as np
from sklearn.model_selection import train_test_split

from kreg._validation import invalid_argument
from kreg.cli.hypermodel import TabularHyperModel
from kreg.cli.settings import Settings
from kreg.data import EXAMPLE_TARGET, load_example, load_table

_OWNER = "kreg tune"


def load_data(settings: Settings):
    """Reads and checks the table, then splits off the held-out test rows
    (none unless ``--test-size`` asks: then every row is fitted on)."""
    if settings.data is None:
        target = settings.target or EXAMPLE_TARGET
        table = load_table(
            load_example(),
            target,
            task=settings.task,
            drop=settings.drop,
            name="breast_cancer (scikit-learn)",
        )
    else:
        table = load_table(
            settings.data,
            settings.target,
            task=settings.task,
            drop=settings.drop,
            non_numeric="missing" if settings.non_numeric_as_missing else "error",
        )
    rows = np.arange(len(table))
    stratify = None
    held_out = settings.test_size is not None
    split = " and a test split" if held_out else ""
    if table.task == "classification":
        counts = np.bincount(table.y, minlength=len(table.classes))
        smallest = int(counts.argmin())
        needed = (
            math.ceil(settings.cv / (1 - settings.test_size)) + 1
            if held_out
            else settings.cv
        )
        if counts[smallest] < needed:
            raise invalid_argument(
                _OWNER,
                "data",
                f"at least {needed} rows of each class for {settings.cv}-fold "
                f"cross-validation{split} (class "
                f"{table.classes[smallest]!r} of {table.target_name!r} has "
                f"{counts[smallest]})",
                table.name,
            )
        stratify = table.y
    elif len(table) < 2 * settings.cv + 2 * held_out:
        raise invalid_argument(
            _OWNER,
            "data",
            f"at least {2 * settings.cv + 2 * held_out} rows for {settings.cv}-fold "
            f"cross-validation{split} (it has {len(table)})",
            table.name,
        )
    if not held_out:
        return table, rows, rows[:0]
    train, test = train_test_split(
        rows,
        test_size=settings.test_size,
        random_state=settings.seed,
        stratify=stratify,
    )
    return table, np.sort(train), np.sort(test)


def hypermodel(table, train) -> TabularHyperModel:
    """The search's hypermodel over the training rows of the table."""
    return TabularHyperModel(
        table.features.iloc[train].reset_index(drop=True),
        table.y[train],
        table.task,
        len(table.classes) if table.classes else None,
        numeric=table.numeric_columns,
        categorical=table.categorical_columns,
    )

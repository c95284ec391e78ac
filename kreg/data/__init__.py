"""Tabular data for ``kreg tune``: the embedded example, CSV reading, preprocessing."""

from kreg.data.embedded import EXAMPLE_NAME, EXAMPLE_TARGET, load_example
from kreg.data.preprocessing import make_preprocessor, output_names, output_width
from kreg.data.table import Table, load_table
from kreg.data.task import TASKS, detect_task

__all__ = [
    "EXAMPLE_NAME",
    "EXAMPLE_TARGET",
    "TASKS",
    "Table",
    "detect_task",
    "load_example",
    "load_table",
    "make_preprocessor",
    "output_names",
    "output_width",
]

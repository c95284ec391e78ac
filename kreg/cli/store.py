"""The run folder: what ``kreg tune`` keeps there, written so nothing is half-done.

Every file is written to a temporary name in the same folder and then moved
into place with ``os.replace`` (atomic on POSIX and Windows), so an
interrupted run leaves each file either old or new, never truncated.
"""

import contextlib
import json
import os
import tempfile

import pandas as pd

from kreg._files import default_mode

RUN_FILE = "run.json"
TRIALS_FILE = "trials.csv"
FINAL_FILE = "final.json"
SEARCH_DIR = "search"
PLOTS_DIR = "plots"


@contextlib.contextmanager
def atomic_path(path: str, suffix: str = ""):
    """Yields a temporary path beside ``path``; moves it into place on success."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    handle, temporary = tempfile.mkstemp(
        prefix=".tmp-", suffix=suffix or os.path.splitext(path)[1], dir=folder
    )
    os.close(handle)
    try:
        yield temporary
        os.chmod(temporary, default_mode())
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def write_text(path: str, text: str) -> None:
    with atomic_path(path) as temporary, open(temporary, "w", encoding="utf-8") as f:
        f.write(text)


def write_json(path: str, data) -> None:
    write_text(path, json.dumps(data, indent=2, sort_keys=False) + "\n")


def read_json(path: str):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def write_csv(path: str, frame: pd.DataFrame) -> None:
    with atomic_path(path) as temporary:
        frame.to_csv(temporary, index=False)


def remove_temporaries(folder: str) -> list[str]:
    """Deletes what a killed run left half-written: ``.tmp-*`` and ``*.tmp``.

    Only under the folder's lock: no other process is writing there then.
    Returns the paths removed.
    """
    removed = []
    for root, _, files in os.walk(folder):
        for name in files:
            if name.startswith(".tmp-") or name.endswith(".tmp"):
                path = os.path.join(root, name)
                with contextlib.suppress(FileNotFoundError):
                    os.remove(path)
                    removed.append(path)
    return removed


def is_run(folder: str) -> bool:
    """Whether ``folder`` holds a kreg run (its ``run.json``)."""
    return os.path.isfile(os.path.join(folder, RUN_FILE))

"""A λ path's finished strengths on disk, so an interrupted path resumes.

Each strength of each fit of a path (a fold, or the final fit on all rows)
is one file, written to a temporary name and moved into place (atomic), as
soon as that strength is fitted: a run killed with ``kill -9`` loses at most
the strength it was fitting. The file holds the strength's results row, the
model's weights and the optimizer's state, so the next strength starts
exactly where the interrupted run would have. It is a ``.npz`` of plain
arrays (the row as JSON text), read with ``allow_pickle=False``: no pickle,
so a file planted in a shared run folder cannot run code.
"""

import hashlib
import io
import json
import os
import shutil
import tempfile
import zipfile

import numpy as np

from kreg._files import default_mode

_META = "meta.json"


class PathCheckpoint:
    """The finished strengths of one path, in ``folder``.

    Args:
        folder: where the files go (created as needed).
        listener: called as ``listener(key, index, row)`` after each
            strength is saved (a progress bar), or `None`.
    """

    def __init__(self, folder, listener=None):
        self.folder = os.fspath(folder)
        self.listener = listener

    def start(self, grid, n_rows: int, extra: str = "") -> None:
        """Keeps what is there if it belongs to this very path, else clears it.

        A path with another grid (more strengths, say) or other rows shares
        no strength with the stored one.
        """
        meta = {
            "grid": [float(s) for s in np.asarray(grid).ravel()],
            "rows": int(n_rows),
            "extra": hashlib.sha256(extra.encode()).hexdigest(),
        }
        path = os.path.join(self.folder, _META)
        if os.path.isfile(path):
            try:
                with open(path, encoding="utf-8") as f:
                    stored = json.load(f)
            except (OSError, ValueError):
                stored = None
            if _same(stored, meta):
                return
            shutil.rmtree(self.folder, ignore_errors=True)
        os.makedirs(self.folder, exist_ok=True)
        _atomic_write(path, json.dumps(meta).encode())

    def done(self, key: str) -> list[dict]:
        """The saved strengths of fit ``key``, in fit order (contiguous from 0)."""
        out = []
        while True:
            path = self._file(key, len(out))
            if not os.path.isfile(path):
                return out
            try:
                out.append(_read(path))
            except (OSError, EOFError, ValueError, KeyError, zipfile.BadZipFile):
                return out  # cannot be half-written; a damaged one is refitted

    def save(self, key: str, index: int, row, weights, optimizer_state) -> None:
        """Saves the ``index``-th strength of fit ``key``."""
        arrays = {"row": np.asarray(json.dumps([_plain(v) for v in row]))}
        for name, values in (("weights", weights), ("optimizer", optimizer_state)):
            values = [np.asarray(v) for v in values]
            arrays[f"{name}_count"] = np.asarray(len(values))
            arrays.update({f"{name}_{i}": v for i, v in enumerate(values)})
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        os.makedirs(os.path.join(self.folder, key), exist_ok=True)
        _atomic_write(self._file(key, index), buffer.getvalue())
        if self.listener is not None:
            self.listener(key, index, row)

    def _file(self, key: str, index: int) -> str:
        return os.path.join(self.folder, key, f"strength_{index:03d}.npz")


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value


def _read(path: str) -> dict:
    with np.load(path, allow_pickle=False) as data:
        entry = {"row": json.loads(str(data["row"]))}
        for name in ("weights", "optimizer"):
            count = int(data[f"{name}_count"])
            entry[name] = [data[f"{name}_{i}"] for i in range(count)]
    return entry


def _same(stored, meta) -> bool:
    # λ_max comes from a fit, so a rerun's grid may differ in the last digits.
    try:
        return (
            stored["rows"] == meta["rows"]
            and stored["extra"] == meta["extra"]
            and len(stored["grid"]) == len(meta["grid"])
            and np.allclose(stored["grid"], meta["grid"], rtol=1e-4, atol=0)
        )
    except (KeyError, TypeError):
        return False


def _atomic_write(path: str, data: bytes) -> None:
    folder = os.path.dirname(path)
    handle, temporary = tempfile.mkstemp(prefix=".tmp-", dir=folder)
    try:
        with os.fdopen(handle, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(temporary, default_mode())  # mkstemp made it 0600
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)

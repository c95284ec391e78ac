"""A λ path's finished strengths on disk, so an interrupted path resumes.

Each strength of each fit of a path (a fold, or the final fit on all rows)
is one file, written to a temporary name and moved into place (atomic), as
soon as that strength is fitted: a run killed with ``kill -9`` loses at most
the strength it was fitting. The file holds the strength's results row, the
model's weights and the optimizer's state, so the next strength starts
exactly where the interrupted run would have.
"""

import hashlib
import json
import os
import pickle
import shutil
import tempfile

import numpy as np

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
                with open(path, "rb") as f:
                    out.append(pickle.load(f))
            except (OSError, EOFError, pickle.UnpicklingError):
                return out  # cannot be half-written; a damaged one is refitted

    def save(self, key: str, index: int, row, weights, optimizer_state) -> None:
        """Saves the ``index``-th strength of fit ``key``."""
        entry = {
            "row": row,
            "weights": [np.asarray(w) for w in weights],
            "optimizer": [np.asarray(v) for v in optimizer_state],
        }
        os.makedirs(os.path.join(self.folder, key), exist_ok=True)
        _atomic_write(self._file(key, index), pickle.dumps(entry))
        if self.listener is not None:
            self.listener(key, index, row)

    def _file(self, key: str, index: int) -> str:
        return os.path.join(self.folder, key, f"strength_{index:03d}.pkl")


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
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)

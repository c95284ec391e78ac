"""The run folder's lock: one ``kreg tune`` or ``kreg report`` at a time.

An exclusive :mod:`filelock` lock (``flock`` on POSIX) on ``.lock`` in the
folder, held for the whole command. The kernel drops it when its process
ends, however it ends, so the lock of a killed run is simply taken by the
next one. The holder writes its pid into the file, for the message of the
command that finds the folder in use.
"""

import os

import filelock

from kreg._files import default_mode
from kreg._validation import invalid_argument

LOCK_FILE = ".lock"


class FolderInUse(ValueError):
    """The run folder is locked by another live process (exit code 2)."""


class RunLock:
    """Holds the lock of ``folder`` while in a ``with`` block.

    Args:
        folder: the run folder (it must exist).
        owner: the command, for the message (``"kreg tune"``).
    """

    def __init__(self, folder: str, owner: str):
        self.folder = folder
        self.owner = owner
        self.path = os.path.join(folder, LOCK_FILE)
        self._lock = filelock.FileLock(self.path, mode=default_mode())

    def __enter__(self) -> "RunLock":
        try:
            self._lock.acquire(blocking=False)
        except filelock.Timeout:
            raise FolderInUse(
                str(
                    invalid_argument(
                        self.owner,
                        "out" if self.owner == "kreg tune" else "folder",
                        "a run folder no other kreg command is using (process "
                        f"{_holder(self.path)} holds its lock; wait for it to end, "
                        "or stop it)",
                        self.folder,
                    )
                )
            ) from None
        with open(self.path, "w", encoding="utf-8") as f:
            f.write(f"{os.getpid()}\n")
        return self

    def __exit__(self, *exc_info) -> None:
        self._lock.release()


def _holder(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as f:
            pid = f.read().strip()
    except OSError:
        pid = ""
    return pid if pid.isdigit() else "(pid not yet written)"

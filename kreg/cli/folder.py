"""The run folder of ``kreg tune``: a new folder, or a run to resume."""

import hashlib
import os
import tempfile

from kreg._validation import invalid_argument
from kreg.cli import store
from kreg.cli.lock import LOCK_FILE
from kreg.cli.settings import Settings

_OWNER = "kreg tune"


class UsageError(ValueError):
    """Bad input: a command line, data or folder that cannot run (exit code 2)."""


def fingerprint(path: str | None) -> str | None:
    """SHA-256 of the data file (None if it is gone: loading then says so)."""
    if path is None:
        return "embedded"
    if not os.path.isfile(path):
        return None
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def open_run(out: str, settings: Settings, given: set[str]):
    """Returns the settings to run with, whether the run resumes, and whether
    it is already finished with these very settings."""
    if store.is_run(out):
        try:
            stored_run = store.read_json(os.path.join(out, store.RUN_FILE))
            stored = Settings.from_dict(stored_run["settings"])
        except (ValueError, KeyError, TypeError):
            raise UsageError(
                str(
                    invalid_argument(
                        _OWNER, "out", "a run folder with a readable run.json", out
                    )
                )
            ) from None
        conflicts = settings.conflicts(stored, given)
        if conflicts:
            raise UsageError(
                str(
                    invalid_argument(
                        _OWNER,
                        "out",
                        "a new folder, or the same settings to resume this run "
                        f"(differs: {'; '.join(conflicts)})",
                        out,
                    )
                )
            )
        before = stored.to_dict()
        for name in given:
            setattr(stored, name, getattr(settings, name))
        finished = stored_run.get("status") == "finished" and before == stored.to_dict()
        digest = fingerprint(stored.data)
        if digest is not None and digest != stored_run.get("data_sha256"):
            raise invalid_argument(
                _OWNER,
                "data",
                f"the data the run in {out} started with (the file changed since)",
                stored.data,
            )
        return stored, True, finished
    if os.path.exists(out) and (
        not os.path.isdir(out) or set(os.listdir(out)) - {LOCK_FILE}
    ):
        raise UsageError(
            str(
                invalid_argument(
                    _OWNER,
                    "out",
                    "a new or empty folder, or a kreg run folder to resume",
                    out,
                )
            )
        )
    check_new_folder(out)
    return settings, False, False


def check_new_folder(out: str) -> None:
    """Raises unless ``out`` can be made: its nearest existing parent is a
    folder we can write in. Probed with a temporary folder, removed at once."""
    parent = os.path.dirname(os.path.abspath(out))
    while not os.path.exists(parent):
        parent = os.path.dirname(parent)
    if not os.path.isdir(parent):
        raise invalid_argument(
            _OWNER, "out", f"a folder path ({parent} is a file)", out
        )
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".kreg-probe-", dir=parent))
    except OSError as error:
        raise invalid_argument(
            _OWNER,
            "out",
            f"a folder that can be created ({parent}: {error.strerror})",
            out,
        ) from None

"""A search's files: JSON written atomically, the keys that tie a saved
trial or fold to its data and hyperparameters, and the check of a project
to resume."""

import hashlib
import json
import os

import keras
import numpy as np


def _derive_seed(seed: int, trial_id, fold: int) -> int:
    digest = hashlib.sha256(f"{seed}/{trial_id}/{fold}".encode()).hexdigest()
    return int(digest[:8], 16)


def _data_key(x, y, splits) -> str:
    digest = hashlib.sha256()
    for array in [*keras.tree.flatten(x), y]:
        digest.update(str(array.shape).encode())
        digest.update(np.ascontiguousarray(array).tobytes()[:1_000_000])
    for _, val in splits:
        digest.update(np.asarray(val).tobytes())
    return digest.hexdigest()[:16]


def _trial_key(values: dict, data_key: str) -> str:
    text = json.dumps(values, sort_keys=True, default=str) + data_key
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _write_json(path: str, value) -> None:
    # Write then rename: a kill leaves the old file or the new one, never half.
    with open(path + ".tmp", "w") as f:
        json.dump(value, f)
    os.replace(path + ".tmp", path)


def _read_json(path: str):
    if not os.path.exists(path):
        return None
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def check_project(project_dir: str) -> None:
    """Raises a clear error when a project folder to resume cannot be read."""
    if not os.path.isdir(project_dir):
        return
    files = [os.path.join(project_dir, "oracle.json")]
    for entry in sorted(os.listdir(project_dir)):
        path = os.path.join(project_dir, entry)
        if entry.startswith("trial_") and os.path.isdir(path):
            files.append(os.path.join(path, "trial.json"))
            files.append(os.path.join(path, "cv.json"))
        elif entry.endswith(".json"):
            files.append(path)
    for path in files:
        if not os.path.exists(path):
            continue
        try:
            with open(path) as f:
                json.load(f)
        except (OSError, ValueError, UnicodeDecodeError) as error:
            raise ValueError(
                f"Cannot resume the tuning project in {project_dir!r}: {path!r} is "
                f"corrupt ({error}). Pass overwrite=True to start afresh, or "
                "another project_name."
            ) from error
    trial_dirs = [e for e in os.listdir(project_dir) if e.startswith("trial_")]
    if trial_dirs and not os.path.exists(files[0]):
        raise ValueError(
            f"Cannot resume the tuning project in {project_dir!r}: it has trial "
            "folders but no oracle.json. Pass overwrite=True to start afresh, or "
            "another project_name."
        )

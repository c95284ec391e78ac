"""The search: ``kreg.tuning.Tuner`` (k-fold CV per trial) with a live record.

After every trial ``trials.csv`` is rewritten from the tuner's own results,
so the file always matches what a resumed search knows.
"""

import json
import math
import os

import keras
import numpy as np

from kreg import tuning
from kreg.cli import store, trials

#: What the search minimizes: the validation data loss, never the penalized
#: ``val_loss`` (which grows with the strength).
OBJECTIVE = "val_data_loss"

#: Early-stopping patience of every fit, in epochs.
PATIENCE = 6

#: Failed trials in a row the search tolerates. The CLI's own search space
#: has corners that diverge (the largest learning rate with the weakest
#: penalty): such a trial fails with a note and the search goes on, however
#: many come in a row; a run where every trial fails ends with one error.
TOLERATED_FAILURES = 1_000_000


class FoldProgress(keras.callbacks.Callback):
    """Tells the progress bar when a fold's fit ends.

    The tuner deep-copies callbacks for every fit; each copy shares the one
    progress bar.
    """

    def __init__(self, progress):
        super().__init__()
        self.progress = progress

    def __deepcopy__(self, memo):
        return FoldProgress(self.progress)

    def on_train_end(self, logs=None):
        self.progress.fold_done()


class RunTuner(tuning.Tuner):
    """``kreg.tuning.Tuner`` that keeps ``trials.csv`` and the progress bar."""

    def __init__(self, *args, out: str | None, progress, **kwargs):
        kwargs.setdefault("max_consecutive_failed_trials", TOLERATED_FAILURES)
        super().__init__(*args, **kwargs)
        self.out = out  # None: keep no trials.csv (the baseline's search)
        self.progress = progress

    def on_trial_begin(self, trial):
        super().on_trial_begin(trial)
        self.progress.trial_begin(trial.trial_id)

    def on_trial_end(self, trial):
        super().on_trial_end(trial)
        if trial.status in ("FAILED", "INVALID"):
            self.progress.note(f"trial {trial.trial_id} failed: {failure(trial)}")
        records = collect(self)
        if self.out is not None:
            write_trials(self.out, records)
        record = next((r for r in records if r["trial_id"] == trial.trial_id), None)
        if record is not None:
            self.progress.trial_done(record)


def failure(trial) -> str:
    """The last line of a failed trial's message (KerasTuner keeps a traceback)."""
    lines = [line for line in str(trial.message or "").splitlines() if line.strip()]
    if not lines:
        return "no message"
    last = lines[-1]
    # "keras_tuner.src.errors.FailedTrialError: Trial 3: ..." -> "Trial 3: ..."
    head, _, rest = last.partition(": ")
    return rest if rest and "Error" in head.split(".")[-1] else last


def collect(tuner: tuning.Tuner) -> list[dict]:
    """One record per finished trial, from the tuner's cross-validation results."""
    records = []
    for row in tuner.cv_results():
        if not math.isfinite(row["mean"]):
            continue
        trial_dir = tuner.get_trial_dir(row["trial_id"])
        summary = _read(os.path.join(trial_dir, "cv.json")) or {}
        epochs = summary.get("epochs") or [row["epochs"] or 1]
        result = {
            "score": row["mean"],
            "score_se": row["standard_error"],
            "fold_scores": row["fold_scores"],
            "epochs": max(1, int(round(float(np.median(epochs))))),
            "level": row["level"],
        }
        result.update(_fold_accuracy(trial_dir, len(row["fold_scores"])))
        record = trials.make_record(row["trial_id"], row["hyperparameters"], result)
        records.append(record)
    return records


def write_trials(out: str, records: list[dict]) -> None:
    store.write_csv(os.path.join(out, store.TRIALS_FILE), trials.to_frame(records))


def _fold_accuracy(trial_dir: str, folds: int) -> dict:
    """Mean and standard error of the validation accuracy at each fold's best epoch."""
    values = []
    for fold in range(folds):
        done = _read(os.path.join(trial_dir, f"fold_{fold}.json"))
        if not done or "history" not in done:
            return {}
        log = done["history"][done["best_epoch"]]
        if "val_accuracy" not in log:
            return {}
        values.append(log["val_accuracy"])
    if not values:
        return {}
    return {
        "accuracy": float(np.mean(values)),
        "accuracy_se": tuning.standard_error(values),
    }


def _read(path: str):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None

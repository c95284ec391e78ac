"""What a trial records: each fold's score from its logs, the trial's summary
over the folds (``cv.json`` and the oracle's metrics), and what is read back
from them: its row of :meth:`Tuner.cv_results`, the epochs of its refit."""

import os

import keras_tuner
import numpy as np
from keras_tuner.engine.trial import TrialStatus

from kreg.tuning import selection
from kreg.tuning.tuner.store import _read_json


def _best_epoch(values, direction: str) -> tuple[int, float]:
    """The best epoch of a fold's objective values, and its value: non-finite
    values never win; when none is finite, the last epoch with NaN."""
    values = np.asarray(values, dtype="float64")
    finite = np.where(np.isfinite(values), values, np.nan)
    if np.all(np.isnan(finite)):
        best_epoch, score = len(values) - 1, float("nan")
    elif direction == "min":
        best_epoch = int(np.nanargmin(finite))
        score = float(finite[best_epoch])
    else:
        best_epoch = int(np.nanargmax(finite))
        score = float(finite[best_epoch])
    return best_epoch, score


def _fold_result(history: list[dict], objective, key: str) -> dict:
    """A finished fold (saved as ``fold_<k>.json``): its score at its best
    epoch, from the per-epoch logs ``history``."""
    values = [log.get(objective.name) for log in history]
    if not values or values[-1] is None:
        raise keras_tuner.errors.FatalValueError(
            f"The objective {objective.name!r} is not in the fit logs "
            f"({sorted(history[-1]) if history else []}); compile the model with "
            "a metric of that name, or pass `loss=` to the Tuner so that it "
            "adds kreg.metrics.DataLoss."
        )
    best_epoch, score = _best_epoch(values, objective.direction)
    return {
        "key": key,
        "score": score,
        "best_epoch": best_epoch,
        "epochs_run": len(history),
        "history": history,
    }


def _trial_summary(trial, folds: list[dict], objective, tuner_id) -> tuple:
    """The trial's ``cv.json`` and the metrics it reports to the oracle (the
    mean of the fold scores, their standard error, each fold's score)."""
    scores = [f["score"] for f in folds]
    if not np.all(np.isfinite(scores)):
        raise keras_tuner.errors.FailedTrialError(
            f"Trial {trial.trial_id}: a fold gave a non-finite "
            f"{objective.name} (the fit diverged): {scores}"
        )
    name = objective.name
    mean = float(np.mean(scores))
    se = selection.standard_error(scores)
    best_epochs = [f["best_epoch"] + 1 for f in folds]
    summary = {
        "trial_id": trial.trial_id,
        "objective": name,
        "direction": objective.direction,
        "mean": mean,
        "standard_error": se,
        "fold_scores": scores,
        "epochs": best_epochs,
        "epochs_run": [f["epochs_run"] for f in folds],
        "hyperparameters": trial.hyperparameters.values,
        "tuner_id": tuner_id,
    }
    metrics = {name: mean, f"{name}_se": se, "epochs": float(np.mean(best_epochs))}
    for fold, score in enumerate(scores):
        metrics[f"{name}_fold_{fold}"] = score
    return summary, metrics


def _cv_row(trial, name: str, k: int | None, level) -> dict:
    """One trial's fold scores, mean, standard error, epochs and level (NaN
    means while unfinished or failed); ``k`` folds, or `None` to count them."""
    metrics = trial.metrics
    done = trial.status == TrialStatus.COMPLETED
    if k is None:
        k = sum(1 for m in metrics.metrics if m.startswith(f"{name}_fold_"))
    fold_scores = [
        float(metrics.get_last_value(f"{name}_fold_{i}")) if done else None
        for i in range(k)
    ]
    return {
        "trial_id": trial.trial_id,
        "status": trial.status,
        "hyperparameters": dict(trial.hyperparameters.values),
        "mean": float(metrics.get_last_value(name)) if done else float("nan"),
        "standard_error": float(metrics.get_last_value(f"{name}_se"))
        if done
        else float("nan"),
        "fold_scores": fold_scores,
        "epochs": float(metrics.get_last_value("epochs")) if done else None,
        "level": float(level(trial.hyperparameters)),
    }


def _refit_epochs(trial, trial_dir: str) -> int:
    """The median over the folds of their best epochs (from ``cv.json``, else
    the mean the oracle holds)."""
    summary = _read_json(os.path.join(trial_dir, "cv.json"))
    if summary is not None:
        return int(round(float(np.median(summary["epochs"]))))
    return int(round(trial.metrics.get_last_value("epochs")))

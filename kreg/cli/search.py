"""The search: KerasTuner oracles with k-fold cross-validation in every trial."""

import math

import keras
import keras_tuner
import numpy as np
from sklearn.model_selection import KFold, StratifiedKFold

from kreg.tuning.search_space import regularization_level

#: What the search minimizes: the validation data loss, never the penalized
#: ``val_loss`` (which grows with the strength).
OBJECTIVE = "val_data_loss"


def make_splitter(task: str, cv: int, seed: int):
    """Stratified k-fold for classification, shuffled k-fold for regression."""
    if task == "classification":
        return StratifiedKFold(cv, shuffle=True, random_state=seed)
    return KFold(cv, shuffle=True, random_state=seed)


def make_oracle(kind: str, trials: int, epochs: int, seed: int):
    """A KerasTuner oracle that minimizes :data:`OBJECTIVE`."""
    objective = keras_tuner.Objective(OBJECTIVE, direction="min")
    if kind == "random":
        return keras_tuner.oracles.RandomSearchOracle(
            objective=objective, max_trials=trials, seed=seed
        )
    if kind == "bayesian":
        return keras_tuner.oracles.BayesianOptimizationOracle(
            objective=objective,
            max_trials=trials,
            num_initial_points=max(2, min(trials // 2, 4)),
            seed=seed,
        )
    return keras_tuner.oracles.HyperbandOracle(
        objective=objective, max_epochs=epochs, factor=3, seed=seed
    )


def fold_result(history: keras.callbacks.History) -> dict:
    """Best epoch of one fold fit: its validation data loss, accuracy, epoch."""
    logs = history.history
    losses = np.asarray(logs[OBJECTIVE], dtype="float64")
    best = int(np.nanargmin(losses)) if np.isfinite(losses).any() else len(losses) - 1
    result = {"score": float(losses[best]), "epochs": best + 1}
    if "val_accuracy" in logs:
        result["accuracy"] = float(logs["val_accuracy"][best])
    return result


def summarize(folds: list[dict]) -> dict:
    """Mean and standard error over the folds of one trial."""
    scores = np.array([f["score"] for f in folds], dtype="float64")
    n = len(scores)
    se = float(scores.std(ddof=1) / math.sqrt(n)) if n > 1 else 0.0
    summary = {
        "score": float(scores.mean()),
        "score_se": se,
        "epochs": int(round(float(np.mean([f["epochs"] for f in folds])))),
        "fold_scores": [float(s) for s in scores],
    }
    if all("accuracy" in f for f in folds):
        accuracy = np.array([f["accuracy"] for f in folds], dtype="float64")
        summary["accuracy"] = float(accuracy.mean())
        summary["accuracy_se"] = (
            float(accuracy.std(ddof=1) / math.sqrt(n)) if n > 1 else 0.0
        )
    return summary


class CrossValidatedTuner(keras_tuner.Tuner):
    """Runs every trial as a k-fold cross-validation over row indices.

    ``x`` passed to ``search`` is the column of row indices of the training
    table; the hypermodel's ``fit`` fits the preprocessing on each fold's
    training rows. ``on_result`` is called with each finished trial's record.
    """

    def __init__(self, oracle, hypermodel, *, splitter, labels, on_fold=None, **kwargs):
        super().__init__(oracle, hypermodel, **kwargs)
        self.splitter = splitter
        self.labels = labels
        self.on_fold = on_fold
        self.records: dict[str, dict] = {}

    def run_trial(self, trial, x, y, **kwargs):
        hp = trial.hyperparameters
        fit_kwargs = dict(kwargs)
        if "tuner/epochs" in hp.values:
            fit_kwargs["epochs"] = hp.values["tuner/epochs"]
            fit_kwargs["initial_epoch"] = 0
        folds = []
        splits = list(self.splitter.split(np.zeros(len(y)), self.labels))
        for index, (train, valid) in enumerate(splits):
            model = self.hypermodel.build(hp)
            history = self.hypermodel.fit(
                hp,
                model,
                x[train],
                y[train],
                validation_data=(x[valid], y[valid]),
                **fit_kwargs,
            )
            folds.append(fold_result(history))
            if self.on_fold is not None:
                self.on_fold(trial.trial_id, index + 1, len(splits))
        summary = summarize(folds)
        summary["level"] = regularization_level(hp)
        self.records[trial.trial_id] = summary
        return {OBJECTIVE: summary["score"]}

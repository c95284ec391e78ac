"""``kreg tune --path``: kreg's default for tables, cross-validated λ paths.

``kreg.tuning.tabular_path`` fits, for each of its default candidates (the
linear model with the lasso and with two elastic nets, a 32-unit net with the
lasso on its inputs), the λ path from λ_max (every input switched off) to
λ_max / 1000 with warm starts, cross-validated on the training rows with
``--cv`` folds (stratified for classification), as ``cv.glmnet``; the net is
kept only where it beats the linear models by more than one standard error.
The preprocessing is fitted on all the training rows (as glmnet standardizes
before its folds). Each candidate's strength becomes one row of
``trials.csv``. The min and 1se strengths of the chosen candidate are the
path's final fit on all the training rows; those are the saved models.
"""

import math
import os

import joblib
import numpy as np
from sklearn.model_selection import KFold, PredefinedSplit, StratifiedKFold

from kreg import regularizers, tuning
from kreg.cli import store, trials
from kreg.cli.evaluation import held_out_scores, save_model
from kreg.cli.search import PATIENCE, write_trials
from kreg.cli.sparsity import layer_sparsity


def run_path(out, settings, hypermodel, table, train, test, progress) -> dict:
    """Fits the paths; writes ``trials.csv``; returns the ``min``/``1se`` entries."""
    fitted, scale, [(x, y), (x_test, _)] = hypermodel.prepare(
        np.arange(len(train)), test, features=table.features, y=table.y
    )
    # The folds are fixed here, stratified on the class labels: the targets
    # the net is fitted on are floats (binary cross-entropy), not labels.
    splitter = (
        StratifiedKFold(settings.cv, shuffle=True, random_state=settings.seed)
        if table.task == "classification"
        else KFold(settings.cv, shuffle=True, random_state=settings.seed)
    )
    fold_of = np.empty(len(train), dtype=int)
    for fold, (_, rows) in enumerate(splitter.split(x, table.y[train])):
        fold_of[rows] = fold
    candidates = tuning.default_candidates()
    progress.note(
        f"fitting {len(candidates)} cross-validated λ paths of {settings.trials} "
        f"strengths ({settings.cv} folds + a final fit each): "
        + ", ".join(_label(*c) for c in candidates)
    )
    found = tuning.tabular_path(
        x,
        y,
        **hypermodel.shape,
        candidates=candidates,
        cv=PredefinedSplit(fold_of),
        n_strengths=settings.trials,
        epochs=settings.epochs,
        patience=PATIENCE,
        seed=settings.seed,
    )
    records = []
    for number, ((units, regularizer), path) in enumerate(
        zip(found.candidates, found.paths)
    ):
        kind, ratio = _kind(regularizer)
        for index, strength in enumerate(path.strengths):
            values = {
                "regularizer_on": True,
                "regularizer_kind": kind,
                "regularizer_strength": float(strength),
                "dropout_rate": 0.0,
            }
            if ratio is not None:
                values["regularizer_l1_ratio"] = ratio
            result = {
                "score": float(path.val_data_loss[index]),
                "score_se": float(path.val_standard_error[index]),
                "epochs": int(path.epochs[index]),
                # The 1se rule's "most regularized" is the largest λ.
                "level": math.log(float(strength)),
                "fold_scores": [float(s) for s in path.fold_val_data_loss[:, index]],
            }
            trial_id = f"{_label(units, regularizer)}-{index:02d}"
            record = trials.make_record(trial_id, values, result)
            records.append(record)
            progress.trial_done(record)
        if number == found.chosen:
            chosen_records = records[-len(path.strengths) :]
    write_trials(out, records)
    found.path.plot(
        os.path.join(out, store.PLOTS_DIR, "path.png"),
        title=f"λ path of {_label(*found.candidates[found.chosen])} (chosen)",
    )
    joblib.dump(fitted, os.path.join(out, "preprocessor.joblib"))
    models = {}
    for rule in ("min", "1se"):
        index = found.best(rule)
        record = chosen_records[index]
        if rule == "1se" and models["min"]["trial_id"] == record["trial_id"]:
            models[rule] = {**models["min"], "rule": rule}
            continue
        model = found.best_model(rule)
        sparsity = layer_sparsity(model)
        models[rule] = {
            "rule": rule,
            "trial_id": record["trial_id"],
            "settings": record["settings"],
            "regularizer": record["regularizer"],
            "strength": float(found.path.strengths[index]),
            "dropout": 0.0,
            "units": found.units,
            "cv_score": record["score"],
            "cv_se": record["score_se"],
            "cv_accuracy": None,
            "cv_accuracy_se": None,
            "epochs": int(found.path.epochs[index]),
            "test": held_out_scores(table, model, x_test, test, scale),
            "sparsity": sparsity,
            "active_inputs": sparsity[0]["inputs"] - sparsity[0]["inputs_off"],
            "model": f"model_{rule}.keras",
        }
        save_model(model, scale, os.path.join(out, f"model_{rule}.keras"))
    return models


def _kind(regularizer) -> tuple[str, float | None]:
    if isinstance(regularizer, str):
        return regularizer, None
    if isinstance(regularizer, regularizers.ElasticNet):
        return "elastic_net", float(regularizer.l1_ratio)
    return type(regularizer).__name__, None


def _label(units, regularizer) -> str:
    kind, ratio = _kind(regularizer)
    model = "linear" if units == 0 else f"net{units}"
    return f"{model}-{kind}" + (f"-{ratio:g}" if ratio is not None else "")

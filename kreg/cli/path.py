"""``kreg tune --path``: the λ path of a group lasso over the input features.

``kreg.tuning.regularization_path`` fits the network on the grid from λ_max
(every input switched off) to λ_max / 1000, warm-started (from the weakest
strength up, since the net has a hidden layer), on part of the training rows,
and scores each λ on the rest. The preprocessing is fitted on the
fitting part only. Each strength becomes one row of ``trials.csv``. The
chosen strengths (min and 1se) are then fitted afresh on the same rows, with
early stopping on the same validation rows, for their learning curves; those
fits are the saved models.
"""

import math
import os

import joblib
import keras
import numpy as np
from sklearn.model_selection import train_test_split

from kreg import regularizers, tuning
from kreg.callbacks import EarlyStopping
from kreg.cli import store, trials
from kreg.cli.evaluation import held_out_scores, save_model, write_history
from kreg.cli.search import PATIENCE, write_trials
from kreg.cli.sparsity import layer_sparsity

#: Share of the training rows the path is scored on.
VALIDATION_SHARE = 0.25

KIND = "group_lasso"

#: The first strength when λ_max cannot be computed (the search's largest).
FALLBACK = 0.1


def run_path(out, settings, hypermodel, table, train, test, progress) -> dict:
    """Fits the path; writes ``trials.csv``; returns the ``min``/``1se`` entries."""
    rows = np.arange(len(train))
    stratify = table.y[train] if table.task == "classification" else None
    fit_rows, val_rows = train_test_split(
        rows,
        test_size=VALIDATION_SHARE,
        random_state=settings.seed,
        stratify=stratify,
    )
    fitted, scale, [(x, y), (x_val, y_val), (x_test, _)] = hypermodel.prepare(
        fit_rows, train[val_rows], test, features=table.features, y=table.y
    )
    progress.note(
        f"fitting the λ path: {settings.trials} strengths of {KIND} on the input "
        f"features, {len(fit_rows)} rows to fit, {len(val_rows)} to score"
    )

    def build(regularizer):
        return hypermodel.network(regularizer)

    arguments = dict(
        regularizer=KIND,
        n_strengths=settings.trials,
        validation_data=(x_val, y_val),
        epochs=settings.epochs,
        patience=PATIENCE,
        seed=settings.seed,
    )
    try:
        path = tuning.regularization_path(build, x, y, **arguments)
    except ValueError as error:
        if "cannot compute λ_max" not in str(error):
            raise
        # With every input weight at 0 a ReLU layer whose biases are <= 0
        # passes no gradient, so λ_max has no closed form; start at the
        # search space's strongest setting instead.
        progress.note(f"λ_max has no closed form here; the path starts at {FALLBACK}")
        path = tuning.regularization_path(
            build, x, y, max_strength=FALLBACK, **arguments
        )
    records = []
    for index, strength in enumerate(path.strengths):
        values = {
            "regularizer_on": True,
            "regularizer_kind": KIND,
            "regularizer_strength": float(strength),
            "dropout_rate": 0.0,
        }
        result = {
            "score": float(path.val_data_loss[index]),
            "score_se": float(path.val_standard_error[index]),
            "epochs": int(path.epochs[index]),
            # The 1se rule's "most regularized" is the largest λ.
            "level": math.log(float(strength)),
        }
        record = trials.make_record(f"{index:02d}", values, result)
        records.append(record)
        progress.trial_done(record)
    write_trials(out, records)
    path.plot(os.path.join(out, store.PLOTS_DIR, "path.png"))
    joblib.dump(fitted, os.path.join(out, "preprocessor.joblib"))
    models = {}
    for rule in ("min", "1se"):
        index = path.best(rule)
        strength = float(path.strengths[index])
        record = records[index]
        if rule == "1se" and models["min"]["trial_id"] == record["trial_id"]:
            models[rule] = {**models["min"], "rule": rule}
            continue
        # The chosen λ, fitted afresh on the same rows with early stopping on
        # the same validation rows: the learning curves of the winner.
        progress.note(f"fitting the {rule} choice (λ={strength:.2e}) for its curves")
        keras.utils.set_random_seed(settings.seed)
        model = build(regularizers.GroupLasso(strength, groups="inputs"))
        history = model.fit(
            x,
            y,
            validation_data=(x_val, y_val),
            epochs=settings.epochs,
            batch_size=32,
            verbose=0,
            callbacks=[EarlyStopping(patience=PATIENCE, restore_best_weights=True)],
        )
        write_history(out, rule, history)
        sparsity = layer_sparsity(model)
        models[rule] = {
            "rule": rule,
            "trial_id": record["trial_id"],
            "settings": record["settings"],
            "regularizer": KIND,
            "strength": strength,
            "dropout": 0.0,
            "cv_score": record["score"],
            "cv_se": record["score_se"],
            "cv_accuracy": None,
            "cv_accuracy_se": None,
            "epochs": len(history.history["loss"]),
            "test": held_out_scores(table, model, x_test, test, scale),
            "sparsity": sparsity,
            "active_inputs": sparsity[0]["inputs"] - sparsity[0]["inputs_off"],
            "model": f"model_{rule}.keras",
            "history": f"history_{rule}.csv",
            "watched": "validation rows (early stopping)",
        }
        save_model(model, scale, os.path.join(out, f"model_{rule}.keras"))
    return models

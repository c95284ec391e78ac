"""Scoring a fitted network on the held-out rows, and saving it."""

import math
import os

import numpy as np
import pandas as pd

from kreg.cli import store
from kreg.cli.export import inference_model
from kreg.cli.sparsity import layer_sparsity


def held_out_scores(table, model, x_test, test, scale) -> dict | None:
    """Test scores: log loss and accuracy, or RMSE and R² in the target's
    units; None when no row is held out."""
    if len(test) == 0:
        return None
    # A direct call, not predict(): no tf.function retraced per new model.
    prediction = np.asarray(model(x_test, training=False))
    y = table.y[test]
    if table.task == "regression":
        prediction = prediction.reshape(-1) * scale[1] + scale[0]
        residual = y - prediction
        total = np.sum((y - y.mean()) ** 2)
        return {
            "rmse": float(np.sqrt(np.mean(residual**2))),
            "r2": float(1 - np.sum(residual**2) / total) if total > 0 else math.nan,
        }
    if prediction.shape[-1] == 1:
        p1 = np.clip(prediction.reshape(-1), 1e-7, 1 - 1e-7)
        probabilities = np.stack([1 - p1, p1], axis=1)
    else:
        probabilities = np.clip(prediction, 1e-7, 1.0)
    picked = probabilities[np.arange(len(y)), y]
    return {
        "log_loss": float(-np.mean(np.log(picked))),
        "accuracy": float(np.mean(probabilities.argmax(axis=1) == y)),
    }


def refit(run, name: str, model, epochs) -> tuple[dict | None, list[dict]]:
    """Fits ``model`` on every training row of ``run`` for the CV epoch count
    (the test rows, if any, watched but never fitted on); saves it and its
    history. Returns its test scores and its sparsity."""
    prepared = run.prepared()
    history = model.fit(
        prepared.x,
        prepared.y,
        validation_data=(prepared.x_test, prepared.y_test) if len(run.test) else None,
        epochs=max(int(epochs), 1),
        batch_size=32,
        verbose=0,
    )
    write_history(run.out, name, history)
    scores = held_out_scores(
        run.table, model, prepared.x_test, run.test, prepared.scale
    )
    save_model(model, prepared.scale, prepared.fitted, run.file(f"model_{name}.keras"))
    return scores, layer_sparsity(model)


def save_model(model, scale, fitted, path: str) -> None:
    """Saves ``model`` behind its preprocessing, raw columns in (atomically).

    See :mod:`kreg.cli.export`: no pickle, no kreg class in the file.
    """
    with store.atomic_path(path) as temporary:
        inference_model(model, fitted, scale).save(temporary)


def write_history(out: str, name: str, history) -> None:
    """``history_<name>.csv``: per epoch the logs, and the penalty apart.

    The penalty is ``loss - data_loss``: Keras' training loss is the data loss
    plus every weight penalty, both averaged over the epoch's batches.
    """
    logs = pd.DataFrame(history.history)
    logs.insert(0, "epoch", np.arange(1, len(logs) + 1))
    logs["penalty"] = logs["loss"] - logs["data_loss"]
    store.write_csv(os.path.join(out, f"history_{name}.csv"), logs)

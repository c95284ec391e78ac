"""One fold of a trial, fitted on its own (the Tuner's default)."""

import os

from kreg.tuning import cross_validation
from kreg.tuning.tuner.fold_checkpoint import _FoldCheckpoint
from kreg.tuning.tuner.objective import early_stopping
from kreg.tuning.tuner.store import _derive_seed, _read_json, _write_json
from kreg.tuning.tuner.trials import _fold_result


def run_fold(
    tuner,
    trial,
    fold,
    train,
    val,
    x,
    y,
    sample_weight,
    *,
    trial_dir,
    key,
    epochs,
    batch_size,
    callbacks,
    verbose,
    fit_kwargs,
):
    """Fits fold ``fold`` of ``trial`` on its training rows, resuming from its
    checkpoint, and returns its record (read back if the fold is done)."""
    done_path = os.path.join(trial_dir, f"fold_{fold}.json")
    done = _read_json(done_path)
    if done is not None and done.get("key") == key:
        return done
    state_dir = os.path.join(trial_dir, f"fold_{fold}_state")
    seed = _derive_seed(tuner.seed, trial.trial_id, fold)
    model = tuner._build_model(trial.hyperparameters, seed)
    stopper = None
    if tuner.patience is not None:
        stopper = early_stopping(
            tuner.objective.name, tuner.objective.direction, tuner.patience
        )
    checkpoint = _FoldCheckpoint(state_dir, key, stopper)
    initial_epoch = checkpoint.restore_weights(model)
    fold_callbacks = tuner._deepcopy_callbacks(callbacks)
    fold_callbacks += [c for c in (stopper, checkpoint) if c is not None]
    x_val, y_val = cross_validation.take(x, val), y[val]
    validation = (x_val, y_val)
    train_weight = None
    if sample_weight is not None:
        validation = (x_val, y_val, sample_weight[val])
        train_weight = sample_weight[train]
    # KerasTuner's hook: a hypermodel may prepare each fold's data in its
    # own fit (kreg tune fits its preprocessing on the fold's rows).
    tuner.hypermodel.fit(
        trial.hyperparameters,
        model,
        cross_validation.take(x, train),
        y[train],
        sample_weight=train_weight,
        validation_data=validation,
        epochs=epochs,
        initial_epoch=initial_epoch,
        batch_size=batch_size,
        callbacks=fold_callbacks,
        verbose=verbose,
        **fit_kwargs,
    )
    result = _fold_result(checkpoint.logs, tuner.objective, key)
    _write_json(done_path, result)
    checkpoint.clear()
    return result

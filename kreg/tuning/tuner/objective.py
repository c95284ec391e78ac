"""What a search optimizes: the objective (its direction inferred from its
name) and the oracle that proposes trials."""

import keras
import keras_tuner

from kreg import _compat
from kreg._validation import check_int, invalid_argument
from kreg._vocabulary import metric_direction
from kreg.callbacks import EarlyStopping

#: Names accepted for ``oracle=``, with the KerasTuner oracle each builds.
ORACLES = {
    "random": keras_tuner.oracles.RandomSearchOracle,
    "bayesian": keras_tuner.oracles.BayesianOptimizationOracle,
    "hyperband": keras_tuner.oracles.HyperbandOracle,
    "grid": keras_tuner.oracles.GridSearchOracle,
}

DEFAULT_OBJECTIVE = "val_data_loss"


def early_stopping(monitor: str, mode: str, patience: int) -> keras.callbacks.Callback:
    """kreg's early stopping on an unpenalized quantity, best weights restored."""
    return EarlyStopping(
        monitor=monitor, mode=mode, patience=patience, restore_best_weights=True
    )


def make_objective(objective, owner: str = "Tuner") -> keras_tuner.Objective:
    """A KerasTuner objective; the default is the unpenalized ``val_data_loss``."""
    if objective is None:
        return keras_tuner.Objective(DEFAULT_OBJECTIVE, direction="min")
    if isinstance(objective, keras_tuner.Objective):
        return objective
    if not isinstance(objective, str) or not objective:
        raise invalid_argument(
            owner, "objective", "a metric name or a keras_tuner.Objective", objective
        )
    direction = metric_direction(objective)
    if direction is not None:
        return keras_tuner.Objective(objective, direction=direction)
    raise invalid_argument(
        owner,
        "objective",
        "a name whose direction is known (ending in loss, error, accuracy, auc...) "
        'or a keras_tuner.Objective(name, direction="min" or "max")',
        objective,
    )


def _make_oracle(
    oracle, objective, *, max_trials, max_epochs, seed, max_failed, owner
) -> keras_tuner.Oracle:
    """The oracle named by ``oracle`` (or the given one, its objective and seed
    set), scoring ``objective``."""
    # KerasTuner's oracles read a seed of 0 as "none" (`seed or
    # random.randint(1, 10000)`), so seed=0 would draw other trials in
    # every process: the oracle gets seed + 1, the folds and fits seed.
    oracle_seed = None if seed is None else seed + 1
    if isinstance(oracle, keras_tuner.Oracle):
        if seed is not None:
            _compat.seed_oracle(oracle, oracle_seed)
        if _compat.is_default_objective(oracle.objective):
            oracle.objective = make_objective(objective)
        elif objective is not None:
            oracle.objective = make_objective(objective)
        oracle.max_consecutive_failed_trials = max_failed
    elif isinstance(oracle, str) and oracle in ORACLES:
        obj = make_objective(objective)
        if oracle == "hyperband":
            max_epochs = check_int(
                10 if max_epochs is None else max_epochs,
                "max_epochs",
                owner,
                low=1,
            )
            oracle = ORACLES[oracle](
                objective=obj,
                max_epochs=max_epochs,
                seed=oracle_seed,
                max_consecutive_failed_trials=max_failed,
            )
        else:
            max_trials = check_int(max_trials, "max_trials", owner, low=1)
            oracle = ORACLES[oracle](
                objective=obj,
                max_trials=max_trials,
                seed=oracle_seed,
                max_consecutive_failed_trials=max_failed,
            )
    else:
        listed = ", ".join(repr(k) for k in ORACLES)
        raise invalid_argument(
            owner, "oracle", f"one of {listed} or a keras_tuner.Oracle", oracle
        )
    if _compat.is_multi_objective(oracle.objective):
        raise invalid_argument(owner, "objective", "a single objective", objective)
    return oracle

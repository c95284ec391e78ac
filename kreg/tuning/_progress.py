"""One line per finished trial, as Keras prints one line per epoch."""

import keras_tuner
from keras_tuner.engine.trial import TrialStatus


def _number(value) -> str:
    if isinstance(value, bool) or not isinstance(value, float):
        return str(value)
    return f"{value:.4g}"


def trial_line(oracle: keras_tuner.Oracle, trial, seconds: float) -> str:
    """``Trial 3/8 - 4s - val_data_loss: 0.1234 ± 0.0056 - best: ... - hp``."""
    # A distributed worker's oracle is KerasTuner's OracleClient, which knows
    # no trials: the worker then names the trial instead of counting them.
    trials = getattr(oracle, "trials", None)
    if trials is None:
        done = f"{trial.trial_id} (id)"
    else:
        ended = (TrialStatus.COMPLETED, TrialStatus.FAILED, TrialStatus.INVALID)
        done = sum(t.status in ended for t in trials.values())
    planned = getattr(oracle, "max_trials", None)
    parts = [f"Trial {done}/{planned}" if planned else f"Trial {done}"]
    parts.append(f"{seconds:.0f}s")
    name = oracle.objective.name
    if trial.status == TrialStatus.COMPLETED and trial.metrics.exists(name):
        score = trial.metrics.get_last_value(name)
        text = f"{name}: {score:.4g}"
        if trial.metrics.exists(f"{name}_se"):
            text += f" ± {trial.metrics.get_last_value(f'{name}_se'):.2g}"
        parts.append(text)
        best = oracle.get_best_trials(1) if trials is not None else None
        if best and best[0].score is not None:
            parts.append(f"best: {best[0].score:.4g} (trial {best[0].trial_id})")
    else:
        message = (getattr(trial, "message", None) or "").strip().splitlines()
        reason = message[-1] if message else ""
        parts.append(f"{str(trial.status).lower()}" + (f": {reason}" if reason else ""))
    values = {
        key: value
        for key, value in trial.hyperparameters.values.items()
        if not key.startswith("tuner/")
    }
    if values:
        parts.append(", ".join(f"{k}={_number(v)}" for k, v in values.items()))
    return " - ".join(parts)

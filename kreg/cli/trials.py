"""Trial records: one row of ``trials.csv`` per finished trial, and the choice.

The choice is :func:`kreg.tuning.select`, as glmnet: ``min`` is the trial
with the lowest mean cross-validated score; ``1se`` is the most regularized
trial (highest :func:`kreg.tuning.regularization_level`) whose mean score is
within one standard error of the best.
"""

import json
import math

import pandas as pd

from kreg import tuning

BASE_COLUMNS = [
    "trial_id",
    "regularizer",
    "strength",
    "l1_ratio",
    "dropout",
    "level",
    "score",
    "score_se",
    "accuracy",
    "accuracy_se",
    "epochs",
    "settings",
    "hyperparameters",
]


def hp_summary(values: dict) -> dict:
    """The penalty kind, strength, l1 ratio and dropout rate from hp values."""
    on = values.get("regularizer_on", True)
    kind = values.get("regularizer_kind") if on else None
    strength = values.get("regularizer_strength") if on else None
    if on and kind is None and strength is not None:
        kind = "penalty"
    return {
        "regularizer": kind or "none",
        "strength": strength if strength is not None else math.nan,
        "l1_ratio": values.get("regularizer_l1_ratio", math.nan) if on else math.nan,
        "dropout": float(values.get("dropout_rate", 0.0) or 0.0),
    }


def describe(summary: dict) -> str:
    """Short text for a setting: ``"group_lasso λ=3.2e-03, dropout 0.2"``."""
    if summary["regularizer"] == "none":
        text = "no penalty"
    else:
        text = f"{summary['regularizer']} λ={summary['strength']:.2e}"
        if not math.isnan(summary.get("l1_ratio", math.nan)):
            text += f" (l1_ratio {summary['l1_ratio']:.1f})"
    return text + f", dropout {summary['dropout']:.1f}"


def make_record(trial_id: str, values: dict, result: dict) -> dict:
    """One trial's row: its settings, CV score ± se, fold scores."""
    summary = hp_summary(values)
    record = {
        "trial_id": trial_id,
        **summary,
        "level": result.get("level", math.nan),
        "score": result["score"],
        "score_se": result["score_se"],
        "accuracy": result.get("accuracy", math.nan),
        "accuracy_se": result.get("accuracy_se", math.nan),
        "epochs": result["epochs"],
        "settings": describe(summary),
        "hyperparameters": json.dumps(values, sort_keys=True),
    }
    for index, score in enumerate(result.get("fold_scores", [])):
        record[f"fold_{index + 1}"] = score
    return record


def to_frame(records: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(records)
    if frame.empty:
        return pd.DataFrame(columns=BASE_COLUMNS)
    folds = sorted(
        (c for c in frame.columns if c.startswith("fold_")),
        key=lambda c: int(c.split("_")[1]),
    )
    return frame[BASE_COLUMNS + folds]


def from_frame(frame: pd.DataFrame) -> list[dict]:
    records = []
    for row in frame.to_dict("records"):
        row["trial_id"] = str(row["trial_id"])
        row["settings"] = str(row["settings"])
        records.append(row)
    return records


def read_trials(path: str) -> list[dict]:
    frame = pd.read_csv(path, dtype={"trial_id": str})
    return from_frame(frame)


def choose(records: list[dict]) -> dict:
    """The ``min`` and ``1se`` records among finished trials, by
    :func:`kreg.tuning.select` (ties go to the smaller trial id; a trial
    with no level counts as level 0)."""
    finite = sorted(
        (r for r in records if math.isfinite(r["score"])), key=lambda r: r["trial_id"]
    )
    if not finite:
        return {}
    scores = [r["score"] for r in finite]
    errors = [r["score_se"] for r in finite]
    levels = [_level(r) for r in finite]
    return {
        rule: finite[tuning.select(scores, errors, levels, rule=rule)]
        for rule in ("min", "1se")
    }


def _level(record: dict) -> float:
    level = record.get("level", math.nan)
    return level if math.isfinite(level) else 0.0

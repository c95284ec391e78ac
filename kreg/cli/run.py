"""The run record of ``kreg tune``, and the entries of ``final.json``.

Every stage (checking the folder, loading the table, the search or the λ
paths, the refits, the baseline, the report) reads and writes one
:class:`Run` instead of passing its pieces along by position.
"""

import dataclasses
import math
import os
from typing import Any, TextIO

import numpy as np

from kreg.cli import store
from kreg.cli.report import score_label
from kreg.cli.settings import Settings


@dataclasses.dataclass
class Prepared:
    """The preprocessing fitted on every training row, and its arrays.

    Attributes:
        fitted: the fitted preprocessor (``kreg.data.make_preprocessor``).
        scale: ``(mean, std)`` of a regression target, or `None`.
        x: the training rows' features.
        y: their target, as the network is fitted on it.
        x_test: the held-out rows' features (no rows: none held out).
        y_test: their target.
    """

    fitted: Any
    scale: tuple[float, float] | None
    x: np.ndarray
    y: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


@dataclasses.dataclass
class Run:
    """One ``kreg tune`` run: what every stage reads and writes.

    Attributes:
        out: the run folder.
        settings: the settings it runs with (the stored ones on a resume).
        stream: where progress lines go (stderr).
        resumed: whether the folder held this run already.
        finished: whether that run is finished with these very settings.
        status: ``run.json``'s status: ``"new"``, ``"running"``, ``"finished"``.
        table: the checked table (`None` for a finished run).
        train: row indices fitted on (cross-validation and the final fits).
        test: row indices held out for the test score (often none).
        hypermodel: the search's hypermodel over the training rows.
        progress: the progress lines of the search or the paths.
        models: ``final.json``'s models by name: ``min``, ``1se``,
            ``unregularized``.
        summary: what else ``final.json`` holds (the paths' families).
    """

    out: str
    settings: Settings
    stream: TextIO
    resumed: bool = False
    finished: bool = False
    status: str = "new"
    table: Any = None
    train: np.ndarray | None = None
    test: np.ndarray | None = None
    hypermodel: Any = None
    progress: Any = None
    models: dict[str, dict] = dataclasses.field(default_factory=dict)
    summary: dict = dataclasses.field(default_factory=dict)
    _prepared: Prepared | None = dataclasses.field(default=None, repr=False)

    def file(self, *names: str) -> str:
        """A path inside the run folder."""
        return os.path.join(self.out, *names)

    @property
    def metric(self) -> str:
        """What the CV and test scores are (``"log loss"``, ``"MSE"``)."""
        return score_label(self.table.task)

    def prepared(self) -> Prepared:
        """The preprocessing fitted on every training row (once per run)."""
        if self._prepared is None:
            fitted, scale, [(x, y), (x_test, y_test)] = self.hypermodel.prepare(
                np.arange(len(self.train)),
                self.test,
                features=self.table.features,
                y=self.table.y,
            )
            self._prepared = Prepared(fitted, scale, x, y, x_test, y_test)
        return self._prepared

    def final(self) -> dict:
        """``final.json`` before the best model is named."""
        return {"metric": self.metric, "models": self.models, **self.summary}


def result_entry(
    rule: str,
    record: dict,
    *,
    test: dict | None,
    sparsity: list[dict],
    family: str | None = None,
    units: int | None = None,
    fitted_rows: int | None = None,
    selected_inputs: list[str] | None = None,
    ensemble: bool | None = None,
    saved: str | None = None,
) -> dict:
    """One model of ``final.json``: the trial record it was chosen as, its
    test scores and sparsity, and its files.

    A model of a λ path names its ``family`` (with its ``units``, the rows it
    was fitted on and the inputs it uses) and has no history file; a model of
    a search (or the unregularized baseline) has one. A path's model also
    says whether it is the fold ensemble (``ensemble``) and what was saved.
    """
    path = family is not None
    entry = {"rule": rule, "trial_id": record["trial_id"]}
    if path:
        entry["family"] = family
    entry.update(
        settings=f"{family}, {record['settings']}" if path else record["settings"],
        regularizer=record["regularizer"],
        strength=finite(record["strength"]),
        dropout=record["dropout"],
    )
    if path:
        entry["units"] = units
    entry.update(
        cv_score=record["score"],
        cv_se=record["score_se"],
        cv_accuracy=finite(record.get("accuracy")),
        cv_accuracy_se=finite(record.get("accuracy_se")),
        epochs=int(record["epochs"]),
    )
    if path:
        entry["fitted_rows"] = int(fitted_rows)
    entry.update(test=test, sparsity=sparsity)
    if path:
        entry["active_inputs"] = len(selected_inputs)
        entry["selected_inputs"] = selected_inputs
    entry["model"] = f"model_{rule}.keras"
    if path:
        entry["ensemble"] = bool(ensemble)
        entry["saved"] = saved
    else:
        entry["history"] = f"history_{rule}.csv"
    return entry


def finite(value) -> float | None:
    """``value`` as a float, or `None` when missing or not finite (JSON)."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def complete(run: Run) -> dict:
    """Copies the model of ``--rule`` to ``best_model.keras``; writes
    ``final.json``."""
    final = run.final()
    best = final["models"][run.settings.rule]
    with store.atomic_path(run.file("best_model.keras")) as temporary:
        with (
            open(run.file(best["model"]), "rb") as f_in,
            open(temporary, "wb") as f_out,
        ):
            f_out.write(f_in.read())
    final["best_model"] = {"file": "best_model.keras", "rule": run.settings.rule}
    store.write_json(run.file(store.FINAL_FILE), final)
    return final

"""The named state of a λ path's fits: its options, each fit over the
strengths, each fitted strength."""

import dataclasses
from collections.abc import Callable

import keras
import numpy as np

from kreg._validation import check_float, check_int, check_seed
from kreg.tuning.path.grid import _check_strengths


@dataclasses.dataclass
class _Options:
    """The checked arguments of :func:`regularization_path` that shape the fits
    (``direction``, ``stopping`` and ``batch_size`` may still be automatic)."""

    build: Callable
    template: keras.regularizers.Regularizer
    loss: object
    optimizer: object
    epochs: int
    batch_size: int | None
    patience: int
    warm_patience: int
    min_delta: float
    warm_start: bool
    direction: str
    stopping: str
    tol: float
    sparsity_tol: float
    keep_weights: bool
    seed: int
    verbose: object
    engine: str = "sequential"  # how a cross-validation trains its folds


@dataclasses.dataclass
class _Record:
    """One fitted strength: a row of the result, and of a checkpoint file
    (:meth:`row`, in this field order)."""

    strength: float
    train_data_loss: float
    val_data_loss: float
    val_standard_error: float
    penalty: float
    sparsity: float
    active_inputs: int
    epochs: int
    seconds: float
    phase_epochs: tuple
    # Per phase, the epochs up to the weights kept (the best ones, with early
    # stopping): what the final fit of a cross-validated path trains.
    kept_epochs: tuple

    def row(self) -> tuple:
        return tuple(getattr(self, f.name) for f in dataclasses.fields(self))

    @classmethod
    def from_row(cls, row) -> "_Record":
        row = list(row)
        if len(row) == 10:  # saved before kept_epochs: all the epochs were kept
            row.append(row[9])
        return cls(*row)


@dataclasses.dataclass
class _Fit:
    """One path over the strengths on one set of rows (a fold, the final fit
    on all rows, or the training part of a validation split).

    ``x_check, y_check``: the rows each strength stops on and is scored on,
    or `None` (a fixed budget of epochs per strength). ``key``: the fit's name
    in the checkpoint, or `None`. ``records`` and ``kept`` (the weights, with
    ``keep_weights``) are in fit order; ``saved``: how many of the records
    this call has written to the checkpoint.
    """

    x: object
    y: np.ndarray
    x_check: object = None
    y_check: object = None
    key: str | None = None
    records: list = dataclasses.field(default_factory=list)
    kept: list = dataclasses.field(default_factory=list)
    first_new: int = 0
    saved: int = 0


@dataclasses.dataclass
class _Numbers:
    """The checked numeric arguments of :func:`regularization_path` (one
    checker for every engine, so that each gives the same messages)."""

    n_strengths: int
    min_ratio: float
    strengths: np.ndarray | None
    max_strength: float | None
    epochs: int
    batch_size: int | None
    patience: int
    warm_patience: int
    min_delta: float
    seed: int
    sparsity_tol: float
    tol: float


def _check_numbers(
    owner,
    *,
    n_strengths,
    min_ratio,
    strengths,
    max_strength,
    epochs,
    batch_size,
    patience,
    warm_patience,
    min_delta,
    seed,
    sparsity_tol,
    tol,
) -> _Numbers:
    """Checks the numeric arguments of a λ path; ``warm_patience`` None is
    ``patience``."""
    patience = check_int(patience, "patience", owner, low=0)
    if warm_patience is None:
        warm_patience = patience
    return _Numbers(
        n_strengths=check_int(n_strengths, "n_strengths", owner, low=1),
        min_ratio=check_float(
            min_ratio, "min_ratio", owner, low=0.0, high=1.0, low_inclusive=False
        ),
        strengths=None if strengths is None else _check_strengths(strengths, owner),
        max_strength=None
        if max_strength is None
        else check_float(
            max_strength, "max_strength", owner, low=0.0, low_inclusive=False
        ),
        epochs=check_int(epochs, "epochs", owner, low=1),
        batch_size=None
        if batch_size is None
        else check_int(batch_size, "batch_size", owner, low=1),
        patience=patience,
        warm_patience=check_int(warm_patience, "warm_patience", owner, low=0),
        min_delta=check_float(min_delta, "min_delta", owner, low=0.0),
        seed=check_seed(seed, owner),
        sparsity_tol=check_float(sparsity_tol, "sparsity_tol", owner, low=0.0),
        tol=check_float(tol, "tol", owner, low=0.0, low_inclusive=False),
    )

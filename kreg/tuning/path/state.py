"""The named state of a λ path's fits: its options, each fit over the
strengths, each fitted strength."""

import dataclasses
from collections.abc import Callable

import keras
import numpy as np


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

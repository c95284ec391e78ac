"""kreg: regularization for Keras 3, with cross-validated tuning of its strength."""

from kreg import (
    callbacks,
    layers,
    metrics,
    ops,
    optimizers,
    regularizers,
    tuning,
    uncertainty,
)
from kreg.penalty import PenaltyReport, penalty
from kreg.regularize import RegularizeReport, regularize

__version__ = "0.1.0"

__all__ = [
    "PenaltyReport",
    "RegularizeReport",
    "callbacks",
    "layers",
    "metrics",
    "ops",
    "optimizers",
    "penalty",
    "regularize",
    "regularizers",
    "tuning",
    "uncertainty",
]

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
from kreg.prune import PruneReport, prune, relax
from kreg.regularize import RegularizeReport, regularize
from kreg.sparsity import LayerSparsity, SparsityReport, sparsity

__version__ = "0.1.0"

__all__ = [
    "PenaltyReport",
    "PruneReport",
    "LayerSparsity",
    "RegularizeReport",
    "SparsityReport",
    "callbacks",
    "layers",
    "metrics",
    "ops",
    "optimizers",
    "penalty",
    "prune",
    "regularize",
    "regularizers",
    "relax",
    "sparsity",
    "tuning",
    "uncertainty",
]

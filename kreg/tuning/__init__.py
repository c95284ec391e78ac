"""Tuning how much to regularize: search spaces, cross-validation, the λ path."""

from kreg.tuning.blend import ensemble_selection
from kreg.tuning.hypermodel import HyperModel
from kreg.tuning.member_path import member_path
from kreg.tuning.models import tabular_hypermodel, tabular_model
from kreg.tuning.path import RegularizationPath, regularization_path
from kreg.tuning.search_space import (
    augmentation_strength,
    dropout_rate,
    regularization_level,
    regularizer,
    weight_decay,
)
from kreg.tuning.selection import select, standard_error
from kreg.tuning.tabular_path import TabularPath, default_candidates, tabular_path
from kreg.tuning.tuner import Tuner

__all__ = [
    "HyperModel",
    "RegularizationPath",
    "TabularPath",
    "Tuner",
    "augmentation_strength",
    "default_candidates",
    "dropout_rate",
    "ensemble_selection",
    "member_path",
    "regularization_level",
    "regularization_path",
    "regularizer",
    "select",
    "standard_error",
    "tabular_hypermodel",
    "tabular_model",
    "tabular_path",
    "weight_decay",
]

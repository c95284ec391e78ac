"""kreg's cross-validating KerasTuner tuner: ``cross_validated`` holds the
:class:`Tuner`, ``objective`` the objective and the oracle, ``fold_checkpoint``
the per-epoch state of a fold, ``store`` the search's files and keys."""

from kreg.tuning.tuner.cross_validated import Tuner
from kreg.tuning.tuner.objective import (
    DEFAULT_OBJECTIVE,
    ORACLES,
    early_stopping,
    make_objective,
)
from kreg.tuning.tuner.store import check_project

__all__ = [
    "DEFAULT_OBJECTIVE",
    "ORACLES",
    "Tuner",
    "check_project",
    "early_stopping",
    "make_objective",
]

"""The regularization path, as glmnet fits it: the grid and λ_max (`grid`),
the fit of each strength (`solver`), the driver over folds and strengths
(`driver`), the result and its plot (`result`)."""

from kreg.tuning.path.driver import DIRECTIONS, STOPPING, regularization_path
from kreg.tuning.path.result import RegularizationPath

__all__ = ["DIRECTIONS", "STOPPING", "RegularizationPath", "regularization_path"]

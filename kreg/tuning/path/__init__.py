"""The regularization path, as glmnet fits it.

``driver`` holds :func:`regularization_path` (its arguments and their
checks), ``run`` the fits over folds and strengths (``state`` their named
state), ``grid`` the strengths and λ_max, ``solver`` how each strength is
fitted (step size, curvature, phases, convergence), ``model`` what the path
asks of the user's model, ``result`` the :class:`RegularizationPath` and its
plot; ``stacked`` the same path with its folds and all-rows fit as members of
one stacked model (``stack``: that model; ``stack_steps``: its fit).
"""

from kreg.tuning.path.driver import DIRECTIONS, STOPPING, regularization_path
from kreg.tuning.path.result import RegularizationPath

__all__ = ["DIRECTIONS", "STOPPING", "RegularizationPath", "regularization_path"]

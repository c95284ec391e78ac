"""When a GLM's fit at one strength has converged: its weights have settled."""

import numpy as np

#: Default ``tol`` of a GLM fitted by proximal gradient (its default
#: optimizer): it has converged when over one epoch (``FULL_BATCH_STEPS``
#: steps) no weight and no momentum moved by more than ``tol`` times its
#: largest weight, or 1 if larger. The per-epoch change bounds the distance to
#: the solution only up to the rate of convergence: on breast cancer's most
#: ill-conditioned fold, 1e-5 stopped 1e-2 short of the lasso, 1e-6 at 6e-5,
#: 1e-7 at 8e-6; 1e-7 is about one float32 rounding of a weight near 1, where
#: a fixed point may still flicker.
CONVERGENCE_TOL = 1e-6

#: Other models at ``stopping="convergence"`` (a user's optimizer): the change
#: of the penalized objective over ``patience`` epochs, in units of the null
#: model's loss, under which a strength has converged.
OBJECTIVE_TOL = 1e-5

# The unit of weight changes when every weight is smaller: on standardized
# data (inputs, and a regression's target) a weight of 1 is an effect of one
# standard deviation, and at a strong strength the weights are near 0, where
# a relative change would read float noise (an intercept of 1e-9) as motion.
SCALE_FLOOR = 1.0


def relative_change(before: list, after: list, weights: int) -> np.ndarray:
    """Each member's largest change between ``before`` and ``after`` (lists
    of arrays of shape ``(members, ...)``: its ``weights`` first, then its
    momentum, in units of the step), in units of its largest weight in
    ``after`` or ``SCALE_FLOOR``; ``(members,)``.

    The momentum counts: proximal gradient with momentum thresholds by the
    velocity's step ``lr / (1 - momentum)`` (``kreg.optimizers.Proximal``), so
    a weight at 0 whose gradient exceeds the strength leaves 0 only once its
    velocity has built up (about 20 steps at momentum 0.9): weights that did
    not move over an epoch while the velocity still grows are not settled.
    """
    change = np.max(
        [np.abs(a - b).reshape(len(a), -1).max(axis=1) for a, b in zip(after, before)],
        axis=0,
    )
    scale = np.max(
        [np.abs(a).reshape(len(a), -1).max(axis=1) for a in after[:weights]], axis=0
    )
    return change / np.maximum(scale, SCALE_FLOOR)


def settled(before: list, after: list, weights: int, tol: float) -> np.ndarray:
    """Whether each member settled: :func:`relative_change` at most ``tol``."""
    return relative_change(before, after, weights) <= tol


class SettledStopping:
    """Ends one strength of a single GLM's path (``regularization_path``)
    when its weights and momentum settled over an epoch (see
    :func:`relative_change`); its last weights are kept. The stopper
    ``_StrengthSteps`` drives (``set_model``, ``on_train_begin``,
    ``on_epoch_end``, ``on_train_end``, ``best_epoch``)."""

    def __init__(self, tol: float):
        self.tol = tol
        self.model = None
        self.best_epoch = 0
        self.previous = None

    def set_model(self, model):
        self.model = model

    def _state(self) -> list:
        # The momentum: the optimizer's arrays (its step count and rate are
        # scalars), each weight as a member axis of one.
        weights = [np.array(v)[None] for v in self.model.trainable_variables]
        slots = [
            np.array(v)[None] for v in self.model.optimizer.variables if len(v.shape)
        ]
        return weights + slots

    def on_train_begin(self, logs=None):
        self.best_epoch = 0
        self.previous = self._state()

    def on_epoch_end(self, epoch, logs=None):
        state = self._state()
        weights = len(self.model.trainable_variables)
        self.best_epoch = epoch
        if settled(self.previous, state, weights, self.tol)[0]:
            self.model.stop_training = True
        self.previous = state

    def on_train_end(self, logs=None):
        pass

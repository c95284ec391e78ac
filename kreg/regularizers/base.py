"""The base class of kreg's regularizers: a strength held in a variable."""

import keras
import numpy as np
from keras import ops

from kreg._validation import check_float, invalid_argument


class Regularizer(keras.regularizers.Regularizer):
    """Base class for kreg regularizers.

    The strength lives in a non-trainable ``keras.Variable``, so a callback or a
    tuner can change it while training runs, with no recompiling and no
    retracing of the train function::

        reg.strength = 1e-3          # validated, then assigned into the variable
        reg.strength.assign(1e-3)    # the same, unvalidated

    Subclasses implement :meth:`penalty`, the penalty without the strength, and
    extend :meth:`get_config`. ``reg_a + reg_b`` builds a
    :class:`~kreg.regularizers.Sum`.

    **One strength per member.** Given a list of strengths, the regularizer
    serves a stacked weight whose first axis indexes independent models
    (``kreg.layers.StackedDense``): the penalty is
    ``sum_m strength[m] * penalty(w[m])``, each member's slice penalized
    alone (a group of the group lasso never spans two members), and
    ``kreg.optimizers.Proximal`` thresholds each member with its own
    strength. The strengths live in one variable of shape ``(members,)``, so
    ``reg.strength = [...]`` changes them with no retracing.

    Args:
        strength: non-negative strength (λ), or a non-empty list of them, one
            per member of a stacked weight. Defaults to `0.01`.
        penalty_factor: optional per-weight factors, as glmnet's
            ``penalty.factor``: an array broadcastable to the weight's shape
            (numpy rules), or a scalar. A factor of 0 leaves a weight
            unpenalized. Defaults to `None` (all factors 1).
    """

    def __init__(self, strength: float = 0.01, penalty_factor=None):
        name = type(self).__name__
        strength = _check_strength(strength, name)
        self.penalty_factor = _check_factor(penalty_factor, name)
        # float32 whatever the policy: casting at call time keeps mixed precision
        # models exact in the strength and lets one variable serve any dtype.
        self._strength = keras.Variable(
            strength, trainable=False, dtype="float32", name="strength"
        )

    @property
    def strength(self) -> keras.Variable:
        """The strength variable (read with ``float(reg.strength)``)."""
        return self._strength

    @strength.setter
    def strength(self, value) -> None:
        value = _check_strength(value, type(self).__name__, self.members)
        self._strength.assign(value)

    @property
    def members(self) -> int | None:
        """The number of per-member strengths, or `None` for one strength."""
        shape = tuple(self._strength.shape)
        return shape[0] if shape else None

    def penalty(self, x):
        """The penalty of ``x`` without the strength factor."""
        raise NotImplementedError  # abstract: each subclass defines its penalty

    def member_penalties(self, x):
        """The penalty of each member's slice ``x[m]``, a vector ``(members,)``.

        Subclasses override it with one vectorized expression; this default
        loops over the members in the traced graph.
        """
        return ops.stack([self.penalty(x[m]) for m in range(x.shape[0])])

    def factor_shape(self, shape) -> tuple:
        """The shape ``penalty_factor`` must broadcast to, for a weight of ``shape``.

        One factor per weight: the weight's shape (one member's slice for a
        stacked weight). The group lassos override it: one per group.
        """
        return tuple(shape[1:] if self.members is not None else shape)

    def check_factor_shape(self, shape) -> None:
        """Raises a ValueError naming ``penalty_factor`` if it does not fit ``shape``.

        Called with the weight's static shape, before the penalty, so a
        wrong factor reads as such rather than as a backend's
        ``Incompatible shapes``.
        """
        if self.penalty_factor is None or any(d is None for d in shape):
            return
        target = self.factor_shape(tuple(int(d) for d in shape))
        try:
            fits = np.broadcast_shapes(self.penalty_factor.shape, target) == target
        except ValueError:
            fits = False
        if not fits:
            raise invalid_argument(
                type(self).__name__,
                "penalty_factor",
                f"a scalar or an array broadcastable to {target} (the factors "
                f"of a weight of shape {tuple(shape)})",
                f"<array of shape {self.penalty_factor.shape}>",
            )

    def __call__(self, x):
        self.check_factor_shape(tuple(x.shape))
        strength = ops.cast(self._strength, x.dtype)
        if self.members is None:
            return strength * ops.cast(self.penalty(x), x.dtype)
        if len(x.shape) < 1 or x.shape[0] != self.members:
            raise ValueError(
                f"{type(self).__name__} has {self.members} strengths, one per "
                "member, so it penalizes a stacked weight whose first axis has "
                f"{self.members} members. Received a weight of shape "
                f"{tuple(x.shape)}."
            )
        penalties = ops.cast(self.member_penalties(x), x.dtype)
        return ops.sum(strength * penalties)

    def _factor(self, dtype):
        if self.penalty_factor is None:
            return None
        return ops.convert_to_tensor(self.penalty_factor, dtype=dtype)

    def get_config(self) -> dict:
        strength = self._strength.numpy()
        config = {"strength": strength.tolist() if strength.ndim else float(strength)}
        if self.penalty_factor is not None:
            config["penalty_factor"] = self.penalty_factor.tolist()
        return config

    def __add__(self, other):
        from kreg.regularizers.sum import Sum

        if not isinstance(other, keras.regularizers.Regularizer):
            return NotImplemented
        return Sum([self, other])

    def __deepcopy__(self, memo):
        # KerasTuner deep-copies objects per trial; a fresh variable per copy
        # keeps trials from sharing (and changing) one strength.
        return type(self).from_config(self.get_config())

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


def _check_strength(value, owner: str, members: int | None = -1):
    """A float, or a list of floats (one per member), all non-negative.

    ``members`` is that of the variable to assign into: `None` takes one
    float only; a count takes a float (for every member) or a list that
    long; -1 (a new regularizer) takes either.
    """
    if isinstance(value, (list, tuple, np.ndarray)) and np.ndim(value) == 1:
        if members is None or (members != -1 and len(value) != members):
            expected = (
                "a non-negative finite float"
                if members is None
                else f"a non-negative finite float or a list of {members} of them"
            )
            raise invalid_argument(owner, "strength", expected, value)
        expected = "a non-empty list of non-negative finite floats"
        if len(value) == 0:
            raise invalid_argument(owner, "strength", expected, value)
        for item in value:
            try:
                check_float(item, "strength", owner, low=0.0)
            except ValueError:
                raise invalid_argument(owner, "strength", expected, value) from None
        return [float(item) for item in value]
    number = check_float(value, "strength", owner, low=0.0)
    return number if members in (None, -1) else [number] * members


def _check_factor(factor, owner: str):
    if factor is None:
        return None
    try:
        raw = np.asarray(factor)
        # Numbers only: "0.1" and True would convert, but are not factors.
        array = np.asarray(raw, dtype="float32") if raw.dtype.kind in "fiu" else None
    except (TypeError, ValueError, OverflowError):
        array = None
    if (
        array is None
        or array.size == 0  # [] would silently switch the penalty off
        or not np.all(np.isfinite(array))
        or np.any(array < 0)
    ):
        raise invalid_argument(
            owner,
            "penalty_factor",
            "None or a non-empty array of non-negative finite floats",
            factor,
        )
    return array

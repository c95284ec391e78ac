"""The base class of kreg's regularizers: a strength held in a variable.

It also defines the penalty protocol: what the optimizer, the λ path and
``prune`` ask a penalty (its prox, its λ_max, how it slices), so that adding a
penalty is one file that subclasses :class:`Regularizer`.
"""

import dataclasses
from typing import Any

import keras
import numpy as np
from keras import ops

from kreg._validation import check_float, invalid_argument
from kreg.ops.penalties import (
    group_axes,
    group_axis,
    group_factor_for_weights,
    group_size,
)
from kreg.regularizers.sum import Sum

#: glmnet's stand-in ``l1_ratio`` for λ_max when a penalty has no L1 part:
#: no finite strength zeroes a ridge weight, so its path starts where an
#: elastic net with this ratio would.
RIDGE_RATIO = 1e-3


@dataclasses.dataclass(frozen=True)
class ProximalCoefficients:
    """A penalty in the form whose prox :class:`kreg.optimizers.Proximal` takes.

    ``sum(l1 * |w|) + sum(l2 * w**2) + sum_g group_g * ||w_g||_2``, the
    strength included. Each coefficient is a tensor broadcastable to the
    weight (``group`` constant inside each group), or `None` when that part
    is absent. The terms of a ``Sum`` add, coefficient by coefficient; the
    prox of the total is closed form (the elastic-net prox, then group
    soft-thresholding) as long as one grouping is used.

    Attributes:
        l1: the L1 coefficient per weight.
        l2: the quadratic coefficient per weight (no ½).
        group: the group-norm coefficient, per weight.
        groups: `"units"` or `"inputs"`, the grouping of ``group``.
    """

    l1: Any = None
    l2: Any = None
    group: Any = None
    groups: str | None = None


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

    **The penalty protocol.** What kreg needs to know about a penalty lives in
    its class, and the rest of kreg asks it: :attr:`kind`, :attr:`label` and
    :attr:`description` name it (the registry of kinds, the CLI, the tabular
    path's families); :meth:`proximal` gives
    ``kreg.optimizers.Proximal`` its prox; :meth:`lambda_max` gives the λ path
    its start; :meth:`sliced` gives ``kreg.prune`` the penalty of a pruned
    weight. A subclass that changes :meth:`penalty` overrides these too.

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

    #: The name of the kind in ``kreg.regularizers.kinds.KINDS`` (what the λ
    #: path and the search space take), or `None` for a penalty built only
    #: from an object.
    kind: str | None = None

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

    # -- the penalty protocol ------------------------------------------------
    @property
    def label(self) -> str:
        """A short name: the kind, with the setting that tells two apart
        (``"l1"``, ``"elastic_net-0.5"``)."""
        return self.kind or type(self).__name__

    @property
    def description(self) -> str:
        """The penalty in one line of plain text (``"elastic net, l1_ratio 0.5"``)."""
        return self.label

    def proximal(self, shape, dtype) -> ProximalCoefficients | None:
        """The penalty of a weight of ``shape`` in the form whose prox
        ``kreg.optimizers.Proximal`` takes, the strength included; `None` when
        the penalty is smooth (or unknown) and stays in the gradient.

        Called when the train step is traced: read the strength from its
        variable, so a new strength takes effect with no retracing. With one
        strength per member, axis 0 of ``shape`` indexes members.
        """
        return None

    def lambda_max(self, gradient) -> float | None:
        """The smallest strength at which all-zero weights are optimal.

        ``gradient`` is the gradient of the data loss with respect to the
        penalized weight (one model's, not a stacked one) at zero. The λ path
        starts its grid there; `None` when no finite strength zeroes the
        weight.
        """
        raise NotImplementedError(
            f"{type(self).__name__} defines no lambda_max, which the λ path "
            "needs (see kreg.regularizers.Regularizer.lambda_max)."
        )

    def sliced(self, shape, rows, cols) -> "Regularizer":
        """The same penalty for a weight of ``shape`` cut to ``rows`` (its
        inputs, axis -2) and ``cols`` (its units, the last axis; the only axis
        of a bias), as ``kreg.prune`` cuts kernels. This default slices
        per-weight factors."""
        config = self.get_config()
        factor = self.penalty_factor
        if factor is not None and factor.size > 1:
            full = np.broadcast_to(factor, shape)
            if len(shape) >= 2:
                full = full[..., rows, :][..., cols]
            else:
                full = full[cols]
            config["penalty_factor"] = full.tolist()
        return type(self).from_config(config)

    def _strength_for(self, shape, dtype):
        """The strength, cast, and shaped to scale each member's slice."""
        strength = ops.cast(self.strength, dtype)
        if self.members is not None:
            strength = ops.reshape(strength, (-1,) + (1,) * (len(shape) - 1))
        return strength

    def get_config(self) -> dict:
        strength = self._strength.numpy()
        config = {"strength": strength.tolist() if strength.ndim else float(strength)}
        if self.penalty_factor is not None:
            config["penalty_factor"] = self.penalty_factor.tolist()
        return config

    def __add__(self, other):
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


def elementwise_bound(gradient, factor) -> float:
    """``max_j |g_j| / f_j`` over the weights with a positive factor: λ_max of
    ``sum(f * |w|)``."""
    g = np.asarray(gradient, "float64")
    f = (
        np.ones_like(g)
        if factor is None
        else np.broadcast_to(np.asarray(factor, "float64"), g.shape)
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(f > 0, np.abs(g) / f, 0.0)
    return float(np.max(ratio))


def group_bound(gradient, groups: str, factor) -> float:
    """``max_g ||g_g||_2 / (sqrt(p_g) f_g)``: λ_max of the group lasso."""
    g = np.asarray(gradient, "float64")
    axes, f, p = group_factors(g, groups, factor)
    norms = np.sqrt(np.sum(g**2, axis=axes, keepdims=True))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(f > 0, norms / (np.sqrt(p) * f), 0.0)
    return float(np.max(ratio))


def group_factor_shape(shape, groups: str) -> tuple:
    """The shape of one factor per group of a weight of ``shape`` (of rank >= 2)."""
    return (shape[group_axis(groups)],)


def kept_groups(groups: str, rows, cols):
    """The groups that stay when ``Regularizer.sliced`` cuts a weight to
    ``rows`` (inputs) and ``cols`` (units)."""
    return cols if groups == "units" else rows


def group_parts(reg: Regularizer, groups: str, shape, dtype) -> tuple:
    """The parts of the prox of ``reg``'s group term for a weight of
    ``shape``: its strength, its per-group factor broadcast to the weight
    (1.0 without factors) and ``sqrt(p_g)``."""
    factor = group_factor_for_weights(reg._factor(dtype), shape, groups)
    factor = 1.0 if factor is None else factor
    scale = float(group_size(shape, groups, reg.members is not None)) ** 0.5
    return reg._strength_for(shape, dtype), factor, scale


def group_factors(g, groups: str, factor):
    """The group axes of ``g``, its per-group factors shaped to broadcast
    against it (ones when ``factor`` is None) and the group size."""
    axes = group_axes(g.ndim, groups)
    shape = [1 if i in axes else s for i, s in enumerate(g.shape)]
    p = float(np.prod([g.shape[i] for i in axes]))
    if factor is None:
        return axes, np.ones(shape), p
    factor = np.asarray(factor, "float64")
    f = np.broadcast_to(factor.reshape([-1 if s != 1 else 1 for s in shape]), shape)
    return axes, f, p


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

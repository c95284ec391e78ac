"""Adaptive lasso: per-weight (or per-group) factors from a first fit."""

import numpy as np

from kreg._api import register
from kreg._validation import (
    FLOAT32_MAX,
    check_choice,
    check_float,
    invalid_argument,
)
from kreg.ops.penalties import (
    GROUP_SPECS,
    group_axes,
    group_lasso_penalty,
    l1_penalty,
)
from kreg.regularizers.base import (
    ProximalCoefficients,
    Regularizer,
    elementwise_bound,
    group_bound,
    group_factor_shape,
    group_parts,
    kept_groups,
)

#: An estimate of exactly 0 (a weight or group the first fit dropped) counts
#: as this fraction of the largest one: Zou's factor is infinite there, which
#: would make the penalty and its gradient NaN at a zero weight.
ZERO_ESTIMATE = 1e-6


@register
class AdaptiveLasso(Regularizer):
    """Adaptive lasso: ``strength * sum_j |w_j| / |b_j|**gamma``.

    ``b`` is a first fit's weight (the ``estimate``: a lasso, ridge or
    unpenalized fit of the same layer). A weight the first fit found large is
    penalized little and a small one much, so the second fit keeps the large
    weights nearly unbiased and drops the small ones: Zou's oracle
    properties, where the lasso selects too many inputs. With
    ``groups="inputs"`` or ``"units"`` it is the adaptive group lasso
    ``strength * sum_g sqrt(p_g) ||w_g||_2 / ||b_g||_2**gamma`` (a
    ``GroupLasso`` with one factor per group), which selects the inputs of a
    net. ``kreg.optimizers.Proximal`` gives exact zeros (soft-thresholding
    with one threshold per weight, or group soft-thresholding).

    A weight (group) whose estimate is exactly 0 gets the factor of an
    estimate ``1e-6`` times the largest: it stays at zero unless the strength
    is a millionth of the rest's (Zou's factor is infinite there).

    Args:
        strength: non-negative strength (λ), or a list of them, one per
            member of a stacked weight. Defaults to `0.01`.
        estimate: the first fit's weight, broadcastable to the weight (one
            member's, for a stacked weight); with ``groups``, the first fit's
            kernel, or its group norms (a vector, one per unit or input).
        gamma: the power of the factors, > 0. Defaults to `1.0`.
        groups: `None` (one factor per weight), `"units"` or `"inputs"` (one
            per group). Defaults to `None`.

    Example:

    >>> reg = kreg.regularizers.AdaptiveLasso(0.1, estimate=[2.0, -0.5])
    >>> w = np.array([1.0, -1.0], "float32")
    >>> round(float(reg(w)), 6)  # 0.1 * (1 / 2 + 1 / 0.5)
    0.25
    >>> reg.penalty_factor.tolist()
    [0.5, 2.0]

    References:
        Zou, "The adaptive lasso and its oracle properties", JASA 2006. Wang
        & Leng, "A note on adaptive group lasso", Comput. Stat. Data Anal.
        2008.
    """

    def __init__(
        self,
        strength: float = 0.01,
        estimate=None,
        gamma: float = 1.0,
        groups: str | None = None,
    ):
        owner = type(self).__name__
        self.gamma = check_float(gamma, "gamma", owner, low=0.0, low_inclusive=False)
        self.groups = (
            None
            if groups is None
            else check_choice(groups, "groups", owner, GROUP_SPECS)
        )
        self.estimate = _check_estimate(estimate, self.groups, owner)
        magnitude = _magnitude(self.estimate, self.groups)
        # Floored magnitudes: their factors are the penalty's (see sliced).
        self._magnitude = np.maximum(magnitude, ZERO_ESTIMATE * magnitude.max())
        with np.errstate(over="ignore", divide="ignore"):
            factor = self._magnitude.astype("float64") ** -self.gamma
        if not np.all(factor <= FLOAT32_MAX):
            raise invalid_argument(
                owner,
                "gamma",
                "a power for which the factors 1 / |estimate|**gamma are finite "
                "in float32",
                gamma,
            )
        super().__init__(strength, factor)

    @property
    def label(self) -> str:
        return "adaptive_lasso" if self.groups is None else "adaptive_group_lasso"

    @property
    def description(self) -> str:
        if self.groups is None:
            return f"adaptive lasso, gamma {self.gamma:g}"
        return f"adaptive group lasso over {self.groups}, gamma {self.gamma:g}"

    def penalty(self, x):
        factor = self._factor(x.dtype)
        if self.groups is None:
            return l1_penalty(x, factor)
        return group_lasso_penalty(x, self.groups, factor)

    def member_penalties(self, x):
        factor = self._factor(x.dtype)
        if self.groups is None:
            return l1_penalty(x, factor, members=True)
        return group_lasso_penalty(x, self.groups, factor, members=True)

    def factor_shape(self, shape) -> tuple:
        if self.groups is None or len(shape) < 2:
            return super().factor_shape(shape)
        return group_factor_shape(shape, self.groups)

    def check_factor_shape(self, shape) -> None:
        # The factors come from the estimate: name the argument the user gave.
        try:
            super().check_factor_shape(shape)
        except ValueError:
            what = "kernel or group norms" if self.groups else "weight"
            raise invalid_argument(
                type(self).__name__,
                "estimate",
                f"the first fit's {what} for a weight of shape {tuple(shape)}",
                f"<array of shape {self.estimate.shape}>",
            ) from None

    def proximal(self, shape, dtype) -> ProximalCoefficients:
        if self.groups is None:
            strength = self._strength_for(shape, dtype)
            return ProximalCoefficients(l1=strength * self._factor(dtype))
        strength, factor, scale = group_parts(self, self.groups, shape, dtype)
        return ProximalCoefficients(group=strength * scale * factor, groups=self.groups)

    def lambda_max(self, gradient) -> float:
        """``max_j |g_j| |b_j|^gamma``, or with groups
        ``max_g ||g_g||_2 ||b_g||_2^gamma / sqrt(p_g)``."""
        if self.groups is None:
            return elementwise_bound(gradient, self.penalty_factor)
        return group_bound(gradient, self.groups, self.penalty_factor)

    def sliced(self, shape, rows, cols) -> "AdaptiveLasso":
        # The kept (floored) magnitudes: each kept weight keeps its factor,
        # since the floor can only fall when the largest estimate is cut.
        magnitude = self._magnitude
        if self.groups is not None:
            kept = magnitude[kept_groups(self.groups, rows, cols)]
        elif len(shape) >= 2:
            kept = np.broadcast_to(magnitude, shape)[..., rows, :][..., cols]
        else:
            kept = np.broadcast_to(magnitude, shape)[cols]
        return type(self).from_config({**self.get_config(), "estimate": kept.tolist()})

    def get_config(self) -> dict:
        config = super().get_config()
        config.pop("penalty_factor")  # computed from the estimate
        return {
            **config,
            "estimate": self.estimate.tolist(),
            "gamma": self.gamma,
            "groups": self.groups,
        }


def _check_estimate(estimate, groups, owner: str) -> np.ndarray:
    expected = "a non-empty array of finite floats, not all zero"
    if groups is not None:
        expected += " (with groups: a kernel of rank >= 2, or a vector of group norms)"
    try:
        raw = np.asarray(estimate)
        array = np.asarray(raw, "float32") if raw.dtype.kind in "fiu" else None
    except (TypeError, ValueError, OverflowError):
        array = None
    if (
        array is None
        or array.size == 0
        or not np.all(np.isfinite(array))
        or not np.any(array != 0)
        or (groups is not None and array.ndim == 0)
    ):
        raise invalid_argument(owner, "estimate", expected, estimate)
    return array


def _magnitude(estimate: np.ndarray, groups) -> np.ndarray:
    """``|b_j|``, or per group ``||b_g||_2`` (a vector given is the norms)."""
    if groups is None or estimate.ndim == 1:
        return np.abs(estimate)
    axes = group_axes(estimate.ndim, groups)
    return np.sqrt(np.sum(np.square(estimate, dtype="float64"), axis=axes)).astype(
        "float32"
    )

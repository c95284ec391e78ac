"""Group lasso and sparse group lasso: switch off whole units or input features."""

import numpy as np
from keras import ops

from kreg._api import register
from kreg._validation import check_choice, check_float
from kreg.ops.penalties import (
    GROUP_SPECS,
    group_factor_for_weights,
    group_lasso_penalty,
    l1_penalty,
)
from kreg.regularizers.base import (
    ProximalCoefficients,
    Regularizer,
    group_bound,
    group_factor_shape,
    group_factors,
    group_parts,
    kept_groups,
)


@register
class GroupLasso(Regularizer):
    """Group lasso: ``strength * sum_g f_g * sqrt(p_g) * ||w_g||_2``.

    A group is every weight of one output unit (``groups="units"``: a column
    of a Dense kernel, a filter of a Conv kernel) or of one input feature
    (``groups="inputs"``: a row of a Dense kernel, an input channel of a Conv
    kernel). ``p_g`` is the group's size. With ``kreg.optimizers.Proximal``
    whole groups reach exactly zero, so units or input features switch off.

    Args:
        strength: non-negative strength (λ). Defaults to `0.01`.
        groups: `"units"` or `"inputs"`. Defaults to `"units"`.
        penalty_factor: one non-negative factor per group (a vector as long as
            the number of units or inputs), or a scalar. A factor of 0 leaves a
            group unpenalized. Defaults to `None`.

    Example:

    >>> reg = kreg.regularizers.GroupLasso(0.1, groups="inputs")
    >>> w = np.array([[3.0, 4.0], [0.0, 0.0]], "float32")  # 2 inputs x 2 units
    >>> round(float(reg(w)), 5)  # 0.1 * sqrt(2) * 5
    0.70711
    >>> layer = keras.layers.Dense(8, kernel_regularizer=reg)

    References:
        Yuan & Lin, "Model selection and estimation in regression with grouped
        variables", JRSS-B 2006. Scardapane et al., "Group sparse
        regularization for deep neural networks", https://arxiv.org/abs/1607.00485
    """

    kind = "group_lasso"

    def __init__(
        self, strength: float = 0.01, groups: str = "units", penalty_factor=None
    ):
        super().__init__(strength, penalty_factor)
        self.groups = check_choice(groups, "groups", type(self).__name__, GROUP_SPECS)

    @property
    def description(self) -> str:
        return f"group lasso over {self.groups}"

    def penalty(self, x):
        return group_lasso_penalty(x, self.groups, self._factor(x.dtype))

    def factor_shape(self, shape) -> tuple:
        if len(shape) < 2:
            return tuple(shape)  # no groups: the penalty itself will say so
        return group_factor_shape(shape, self.groups)

    def member_penalties(self, x):
        factor = self._factor(x.dtype)
        return group_lasso_penalty(x, self.groups, factor, members=True)

    def proximal(self, shape, dtype) -> ProximalCoefficients:
        strength, factor, scale = group_parts(self, self.groups, shape, dtype)
        return ProximalCoefficients(group=strength * scale * factor, groups=self.groups)

    def lambda_max(self, gradient) -> float:
        """``max_g ||g_g||_2 / (sqrt(p_g) f_g)`` (Yuan & Lin's KKT bound)."""
        return group_bound(gradient, self.groups, self.penalty_factor)

    def sliced(self, shape, rows, cols) -> "GroupLasso":
        # One factor per group: keep those of the kept units or inputs.
        config = self.get_config()
        factor = self.penalty_factor
        if factor is not None and factor.size > 1:
            kept = kept_groups(self.groups, rows, cols)
            config["penalty_factor"] = np.asarray(factor).ravel()[kept].tolist()
        return type(self).from_config(config)

    def get_config(self) -> dict:
        return {**super().get_config(), "groups": self.groups}


@register
class SparseGroupLasso(GroupLasso):
    """Sparse group lasso: group lasso plus an L1 term inside the groups.

    ``strength * ((1 - l1_ratio) * sum_g f_g sqrt(p_g) ||w_g||_2
    + l1_ratio * sum_g f_g ||w_g||_1)``, as Simon et al. (2013) with
    ``l1_ratio`` as their α. It switches off whole groups and single weights
    inside the groups that stay.

    Args:
        strength: non-negative strength (λ). Defaults to `0.01`.
        l1_ratio: weight of the L1 term, in [0, 1]. Defaults to `0.5`.
        groups: `"units"` or `"inputs"`. Defaults to `"units"`.
        penalty_factor: one non-negative factor per group, or a scalar.
            Defaults to `None`.

    Example:

    >>> reg = kreg.regularizers.SparseGroupLasso(0.1, l1_ratio=0.5)
    >>> w = np.array([[3.0, 0.0], [4.0, 0.0]], "float32")
    >>> round(float(reg(w)), 5)  # 0.1 * (0.5 * sqrt(2) * 5 + 0.5 * 7)
    0.70355

    References:
        Simon, Friedman, Hastie & Tibshirani, "A sparse-group lasso", JCGS 2013.
    """

    kind = "sparse_group_lasso"

    def __init__(
        self,
        strength: float = 0.01,
        l1_ratio: float = 0.5,
        groups: str = "units",
        penalty_factor=None,
    ):
        super().__init__(strength, groups, penalty_factor)
        self.l1_ratio = check_float(
            l1_ratio, "l1_ratio", "SparseGroupLasso", low=0.0, high=1.0
        )

    @property
    def label(self) -> str:
        return f"sparse_group_lasso-{self.l1_ratio:g}"

    @property
    def description(self) -> str:
        return f"sparse group lasso over {self.groups}, l1_ratio {self.l1_ratio:g}"

    def penalty(self, x):
        return self._sparse_group(x, members=False)

    def member_penalties(self, x):
        return self._sparse_group(x, members=True)

    def _sparse_group(self, x, members: bool):
        factor = self._factor(x.dtype)
        weight_factor = group_factor_for_weights(factor, x.shape, self.groups)
        group_term = group_lasso_penalty(x, self.groups, factor, members)
        l1_term = l1_penalty(x, weight_factor, members)
        return (1.0 - self.l1_ratio) * group_term + self.l1_ratio * ops.cast(
            l1_term, group_term.dtype
        )

    def proximal(self, shape, dtype) -> ProximalCoefficients:
        strength, factor, scale = group_parts(self, self.groups, shape, dtype)
        return ProximalCoefficients(
            l1=strength * self.l1_ratio * factor,
            group=strength * (1.0 - self.l1_ratio) * scale * factor,
            groups=self.groups,
        )

    def lambda_max(self, gradient) -> float:
        """Per group, the smallest λ with
        ``||S(g_g, λ α f_g)||_2 <= λ (1 - α) sqrt(p_g) f_g`` (soft-thresholding
        ``S``, ``α = l1_ratio``), by bisection; the largest over the groups."""
        g = np.asarray(gradient, "float64")
        axes, f, p = group_factors(g, self.groups, self.penalty_factor)
        with np.errstate(divide="ignore", invalid="ignore"):
            return _sparse_group_bound(g, axes, f, p, self.l1_ratio)

    def get_config(self) -> dict:
        return {**super().get_config(), "l1_ratio": self.l1_ratio}


def _sparse_group_bound(g, axes, f, p, alpha) -> float:
    if alpha >= 1.0:
        return float(np.max(np.abs(g) / np.maximum(f, 1e-300)))

    def zero_ok(lam):
        shrunk = np.maximum(np.abs(g) - lam * alpha * f, 0.0)
        return (
            np.sqrt(np.sum(shrunk**2, axis=axes, keepdims=True))
            <= lam * (1 - alpha) * np.sqrt(p) * f
        )

    high = np.max(np.abs(g)) / np.maximum(
        np.min(f[f > 0]) if np.any(f > 0) else 1.0, 1e-300
    )
    high = high / min(alpha, 1 - alpha) + 1.0
    low = 0.0
    for _ in range(80):
        mid = 0.5 * (low + high)
        if np.all(zero_ok(mid)):
            high = mid
        else:
            low = mid
    return float(high)

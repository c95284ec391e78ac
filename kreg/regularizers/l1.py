"""L1 (lasso) penalty."""

from kreg._api import register
from kreg.ops.penalties import l1_penalty
from kreg.regularizers.base import (
    ProximalCoefficients,
    Regularizer,
    elementwise_bound,
)


@register
class L1(Regularizer):
    """L1 penalty: ``strength * sum(factor * |w|)``.

    Numerically identical to ``keras.regularizers.L1(strength)`` (the drop-in
    replacement), with the strength in a variable and optional per-weight
    penalty factors. With a plain optimizer the weights hover around zero;
    ``kreg.optimizers.Proximal`` makes them exactly zero.

    Args:
        strength: non-negative strength (λ). Defaults to `0.01`.
        penalty_factor: per-weight factors, broadcastable to the weight. A
            factor of 0 leaves a weight unpenalized. Defaults to `None`.

    Example:

    >>> reg = kreg.regularizers.L1(0.1)
    >>> round(float(reg(np.array([1.0, -2.0], "float32"))), 6)
    0.3
    >>> layer = keras.layers.Dense(4, kernel_regularizer=reg)
    """

    kind = "l1"

    @property
    def description(self) -> str:
        return "lasso (L1)"

    def penalty(self, x):
        return l1_penalty(x, self._factor(x.dtype))

    def member_penalties(self, x):
        return l1_penalty(x, self._factor(x.dtype), members=True)

    def proximal(self, shape, dtype) -> ProximalCoefficients:
        factor = self._factor(dtype)
        factor = 1.0 if factor is None else factor
        return ProximalCoefficients(l1=self._strength_for(shape, dtype) * factor)

    def lambda_max(self, gradient) -> float:
        """``max_j |g_j| / f_j``: glmnet's λ_max of the lasso."""
        return elementwise_bound(gradient, self.penalty_factor)

"""L2 (ridge, weight decay) penalty."""

from kreg._api import register
from kreg.ops.penalties import l2_penalty
from kreg.regularizers.base import RIDGE_RATIO, Regularizer, elementwise_bound


@register
class L2(Regularizer):
    """L2 penalty: ``strength * sum(factor * w**2)``, with no 1/2.

    Numerically identical to ``keras.regularizers.L2(strength)`` (the drop-in
    replacement), with the strength in a variable and optional per-weight
    penalty factors. With Adam, an L2 penalty is not decoupled weight decay
    (Loshchilov & Hutter); use the optimizer's ``weight_decay`` for that.

    Args:
        strength: non-negative strength (λ). Defaults to `0.01`.
        penalty_factor: per-weight factors, broadcastable to the weight. A
            factor of 0 leaves a weight unpenalized. Defaults to `None`.

    Example:

    >>> reg = kreg.regularizers.L2(0.1)
    >>> round(float(reg(np.array([1.0, -2.0], "float32"))), 6)
    0.5
    >>> reg.strength = 0.2  # takes effect at the next training step
    """

    kind = "l2"

    @property
    def description(self) -> str:
        return "ridge (L2)"

    def penalty(self, x):
        return l2_penalty(x, self._factor(x.dtype))

    def member_penalties(self, x):
        return l2_penalty(x, self._factor(x.dtype), members=True)

    # proximal: None (the base's). A smooth penalty stays in the gradient.

    def lambda_max(self, gradient) -> float:
        """No finite strength zeroes a ridge weight: as glmnet, the λ_max of
        an elastic net with ``l1_ratio=1e-3``, ``max_j |g_j| / f_j / 1e-3``,
        stands in, so that a path has somewhere to start."""
        return elementwise_bound(gradient, self.penalty_factor) / RIDGE_RATIO

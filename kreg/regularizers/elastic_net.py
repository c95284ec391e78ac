"""Elastic-net penalty in the glmnet / scikit-learn parameterization."""

from kreg._api import register
from kreg._validation import check_float
from kreg.ops.penalties import elastic_net_penalty
from kreg.regularizers.base import (
    RIDGE_RATIO,
    ProximalCoefficients,
    Regularizer,
    elementwise_bound,
)


@register
class ElasticNet(Regularizer):
    """Elastic net, exactly as glmnet and scikit-learn parameterize it.

    ``strength * (l1_ratio * sum(f * |w|) + (1 - l1_ratio) / 2 * sum(f * w**2))``

    ``l1_ratio=1`` is the lasso (``L1(strength)``); ``l1_ratio=0`` is ridge with a
    ½, i.e. ``L2(strength / 2)``. Note that scikit-learn's data term is
    ``1/(2n) ||y - Xw||²`` while Keras' ``"mse"`` is ``1/n ||y - Xw||²``: the
    same fit needs ``strength = 2 * alpha``.

    Args:
        strength: non-negative overall strength (λ, scikit-learn's ``alpha``).
            Defaults to `0.01`.
        l1_ratio: mixing in [0, 1] (glmnet's α). Defaults to `0.5`.
        penalty_factor: per-weight factors, broadcastable to the weight. A
            factor of 0 leaves a weight unpenalized. Defaults to `None`.

    Example:

    >>> reg = kreg.regularizers.ElasticNet(0.1, l1_ratio=0.5)
    >>> w = np.array([1.0, -2.0], "float32")
    >>> round(float(reg(w)), 6)  # 0.1 * (0.5 * 3 + 0.25 * 5)
    0.275
    """

    kind = "elastic_net"

    def __init__(
        self, strength: float = 0.01, l1_ratio: float = 0.5, penalty_factor=None
    ):
        super().__init__(strength, penalty_factor)
        self.l1_ratio = check_float(
            l1_ratio, "l1_ratio", "ElasticNet", low=0.0, high=1.0
        )

    def penalty(self, x):
        return elastic_net_penalty(x, self.l1_ratio, self._factor(x.dtype))

    def member_penalties(self, x):
        factor = self._factor(x.dtype)
        return elastic_net_penalty(x, self.l1_ratio, factor, members=True)

    @property
    def label(self) -> str:
        return f"elastic_net-{self.l1_ratio:g}"

    @property
    def description(self) -> str:
        return f"elastic net, l1_ratio {self.l1_ratio:g}"

    def proximal(self, shape, dtype) -> ProximalCoefficients:
        factor = self._factor(dtype)
        factor = 1.0 if factor is None else factor
        strength = self._strength_for(shape, dtype)
        return ProximalCoefficients(
            l1=strength * self.l1_ratio * factor,
            l2=strength * (1.0 - self.l1_ratio) / 2.0 * factor,
        )

    def lambda_max(self, gradient) -> float:
        """``max_j |g_j| / f_j / l1_ratio``, with glmnet's ``l1_ratio`` of at
        least 1e-3 (a ridge has no λ_max: see ``L2.lambda_max``)."""
        bound = elementwise_bound(gradient, self.penalty_factor)
        return bound / max(self.l1_ratio, RIDGE_RATIO)

    def get_config(self) -> dict:
        return {**super().get_config(), "l1_ratio": self.l1_ratio}

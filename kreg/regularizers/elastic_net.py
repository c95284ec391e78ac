"""Elastic-net penalty in the glmnet / scikit-learn parameterization."""

from kreg._api import register
from kreg._validation import check_float
from kreg.ops.penalties import elastic_net_penalty
from kreg.regularizers.base import Regularizer


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

    def get_config(self) -> dict:
        return {**super().get_config(), "l1_ratio": self.l1_ratio}

"""Pure functions under kreg's layers, regularizers and optimizers (``keras.ops``)."""

from kreg.ops.penalties import (
    group_lasso_penalty,
    group_norms,
    l1_penalty,
    l2_penalty,
)

__all__ = [
    "group_lasso_penalty",
    "group_norms",
    "l1_penalty",
    "l2_penalty",
]

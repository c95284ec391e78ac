"""Penalties for ``kernel_regularizer=`` and friends, with strengths in variables."""

from kreg.regularizers.adaptive_lasso import AdaptiveLasso
from kreg.regularizers.base import Regularizer
from kreg.regularizers.elastic_net import ElasticNet
from kreg.regularizers.group_lasso import GroupLasso, SparseGroupLasso
from kreg.regularizers.l1 import L1
from kreg.regularizers.l2 import L2
from kreg.regularizers.sum import Sum

__all__ = [
    "AdaptiveLasso",
    "ElasticNet",
    "GroupLasso",
    "L1",
    "L2",
    "Regularizer",
    "SparseGroupLasso",
    "Sum",
]

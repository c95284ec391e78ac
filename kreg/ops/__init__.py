"""Pure functions under kreg's layers, regularizers and optimizers (``keras.ops``)."""

from kreg.ops.augmentation import feature_noise, mixup, swap_noise
from kreg.ops.dropout import (
    concrete_dropout,
    concrete_dropout_regularizer,
    drop_block,
    drop_block_gamma,
    drop_block_mask,
    drop_connect,
    drop_path,
    dropout,
    keep_mask,
    locked_dropout,
)
from kreg.ops.penalties import (
    elastic_net_penalty,
    group_lasso_penalty,
    group_norms,
    l1_penalty,
    l2_penalty,
)
from kreg.ops.proximal import (
    elastic_net_prox,
    group_soft_threshold,
    soft_threshold,
    sparse_group_prox,
)

__all__ = [
    "feature_noise",
    "mixup",
    "swap_noise",
    "elastic_net_prox",
    "group_soft_threshold",
    "soft_threshold",
    "sparse_group_prox",
    "concrete_dropout",
    "concrete_dropout_regularizer",
    "drop_block",
    "drop_block_gamma",
    "drop_block_mask",
    "drop_connect",
    "drop_path",
    "dropout",
    "keep_mask",
    "locked_dropout",
    "elastic_net_penalty",
    "group_lasso_penalty",
    "group_norms",
    "l1_penalty",
    "l2_penalty",
]

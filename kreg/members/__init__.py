"""Many models in one fit: folds, strengths and ensemble members side by side."""

from kreg.members.budget import MemberEpochBudget
from kreg.members.early_stopping import MemberEarlyStopping
from kreg.members.losses import member_losses
from kreg.members.model import MemberModel
from kreg.members.roles import (
    TRAIN,
    UNUSED,
    VALIDATION,
    fold_roles,
    repeat_roles,
    split_roles,
)
from kreg.members.split import member_ensemble, member_weights, split_members
from kreg.members.strengths import member_regularizer, stack_regularizer
from kreg.members.tabular import stacked_tabular_model

__all__ = [
    "MemberEarlyStopping",
    "MemberEpochBudget",
    "MemberModel",
    "TRAIN",
    "UNUSED",
    "VALIDATION",
    "fold_roles",
    "member_ensemble",
    "member_losses",
    "member_regularizer",
    "member_weights",
    "repeat_roles",
    "split_members",
    "split_roles",
    "stack_regularizer",
    "stacked_tabular_model",
]

"""A regularizer for a stack of members, and back: one member's regularizer."""

from kreg.regularizers.base import Regularizer
from kreg.regularizers.sum import Sum


def stack_regularizer(regularizer, members: int):
    """``regularizer`` with one strength per member (a copy; None stays None).

    A kreg regularizer of one strength becomes one with that strength for
    every member, so that a group penalty groups within members. One that
    already has per-member strengths is returned as is; Keras' own (elementwise)
    regularizers too.

    Example:

    >>> reg = kreg.members.stack_regularizer(kreg.regularizers.L1(0.1), 3)
    >>> reg.strength.numpy().round(3).tolist()
    [0.1, 0.1, 0.1]
    """
    if isinstance(regularizer, Sum):
        return Sum([stack_regularizer(term, members) for term in regularizer.terms])
    if not isinstance(regularizer, Regularizer) or regularizer.members is not None:
        return regularizer
    config = regularizer.get_config()
    return type(regularizer).from_config(
        {**config, "strength": [config["strength"]] * members}
    )


def member_regularizer(regularizer, member: int):
    """The regularizer of one member's separate model: its own strength.

    Example:

    >>> reg = kreg.regularizers.L1([0.1, 0.2])
    >>> round(float(kreg.members.member_regularizer(reg, 1).strength), 6)
    0.2
    """
    if isinstance(regularizer, Sum):
        return Sum([member_regularizer(term, member) for term in regularizer.terms])
    if not isinstance(regularizer, Regularizer):
        return regularizer
    config = regularizer.get_config()
    if regularizer.members is not None:
        config["strength"] = config["strength"][member]
    return type(regularizer).from_config(config)

"""The registry of penalty kinds: one list, read by the λ path and the search space."""

import inspect

from kreg._validation import invalid_argument
from kreg.regularizers.base import Regularizer
from kreg.regularizers.elastic_net import ElasticNet
from kreg.regularizers.group_lasso import GroupLasso, SparseGroupLasso
from kreg.regularizers.l1 import L1
from kreg.regularizers.l2 import L2

#: The penalties built by name (every argument but the strength has a
#: default), keyed by their ``kind``.
KINDS: dict[str, type[Regularizer]] = {
    cls.kind: cls for cls in (L1, L2, ElasticNet, GroupLasso, SparseGroupLasso)
}


def build(kind: str, strength=1.0, **options) -> Regularizer:
    """A new regularizer of ``kind``; ``options`` it does not take are ignored.

    So one call serves every kind: ``build(kind, s, l1_ratio=0.5,
    groups="inputs")`` gives the elastic net its ratio and the group lasso
    its groups, and an L1 neither.

    >>> from kreg.regularizers.kinds import build
    >>> build("elastic_net", 0.5, l1_ratio=0.3, groups="inputs")
    ElasticNet(strength=0.5, l1_ratio=0.3)
    """
    if not isinstance(kind, str) or kind not in KINDS:
        listed = ", ".join(repr(k) for k in KINDS)
        raise invalid_argument("build", "kind", f"one of {listed}", kind)
    cls = KINDS[kind]
    accepted = inspect.signature(cls).parameters
    return cls(strength, **{k: v for k, v in options.items() if k in accepted})

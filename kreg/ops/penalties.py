"""Penalty functions: pure, unscaled by strength, written with ``keras.ops``.

Each takes a weight tensor ``w`` and an optional ``factor`` (glmnet's
``penalty.factor``) and returns a scalar. The regularizers in
``kreg.regularizers`` multiply these by their strength.

With ``members=True`` the first axis of ``w`` indexes independent models (a
stacked weight, ``kreg.layers.StackedDense``): the penalty of each member's
slice ``w[m]`` comes back as a vector, and groups never mix members. A
``factor`` is then broadcast against one member's weight (numpy rules align
trailing axes, so the same factor serves every member).
"""

from keras import ops

from kreg._validation import check_bool, check_choice, check_scalar_or_tensor

GROUP_SPECS = ("units", "inputs")


def _weighted(values, factor):
    return values if factor is None else values * ops.cast(factor, values.dtype)


def _total(values, members: bool):
    """The sum of all entries, or of each member's entries (axis 0 kept)."""
    members = check_bool(members, "members", "the penalty")
    if not members:
        return ops.sum(values)
    return ops.sum(ops.reshape(values, (ops.shape(values)[0], -1)), axis=1)


def l1_penalty(w, factor=None, members: bool = False):
    """``sum(factor * |w|)``.

    >>> float(l1_penalty(np.array([1.0, -2.0, 0.5])))
    3.5
    >>> l1_penalty(np.array([[1.0, -2.0], [0.5, 0.0]]), members=True).numpy()
    array([3. , 0.5])
    """
    w = ops.convert_to_tensor(w)
    return _total(_weighted(ops.abs(w), factor), members)


def l2_penalty(w, factor=None, members: bool = False):
    """``sum(factor * w**2)``, with no 1/2 (as ``keras.regularizers.L2``).

    >>> float(l2_penalty(np.array([1.0, -2.0])))
    5.0
    """
    w = ops.convert_to_tensor(w)
    return _total(_weighted(ops.square(w), factor), members)


def elastic_net_penalty(w, l1_ratio: float, factor=None, members: bool = False):
    """``sum(factor * (l1_ratio * |w| + (1 - l1_ratio) / 2 * w**2))``.

    One elementwise expression and one sum: half the reductions of adding the
    L1 and L2 penalties.

    >>> float(elastic_net_penalty(np.array([1.0, -2.0]), 0.5))  # 0.5*3 + 0.25*5
    2.75
    """
    l1_ratio = check_scalar_or_tensor(
        l1_ratio, "l1_ratio", "elastic_net_penalty", low=0.0, high=1.0
    )
    w = ops.convert_to_tensor(w)
    values = l1_ratio * ops.abs(w) + (1.0 - l1_ratio) / 2.0 * ops.square(w)
    return _total(_weighted(values, factor), members)


def group_axes(rank: int, groups: str, members: bool = False) -> tuple[int, ...]:
    """The axes that are reduced to form one group's norm.

    ``"units"`` groups the weights that feed one output unit (the last axis: a
    column of a Dense kernel, a filter of a Conv kernel); ``"inputs"`` groups the
    weights that leave one input feature or channel (axis -2: a row of a Dense
    kernel, an input channel of a Conv kernel). With ``members=True`` axis 0
    indexes members and is never reduced: each member has its own groups.
    """
    check_choice(groups, "groups", "group_axes", GROUP_SPECS)
    members = check_bool(members, "members", "group_axes")
    if rank < 2 + members:
        raise ValueError(
            "Group lasso needs a weight of rank >= 2 (a kernel), so that it has "
            f"units and inputs to group. Received a weight of rank {rank}"
            + (" (with a member axis: members=True)." if members else ".")
        )
    kept = rank + group_axis(groups)
    return tuple(axis for axis in range(int(members), rank) if axis != kept)


def group_axis(groups: str) -> int:
    """The axis that indexes the groups: the units (the last axis) or the
    inputs (axis -2)."""
    return -1 if groups == "units" else -2


def safe_norm(w, axis):
    """Euclidean norm over ``axis`` whose gradient at 0 is 0, not NaN.

    The double ``where`` keeps ``sqrt`` away from 0 in both the forward and the
    backward pass: a switched-off group must not poison training with NaN.
    """
    squared = ops.sum(ops.square(w), axis=axis)
    positive = squared > 0
    safe = ops.where(positive, squared, ops.ones_like(squared))
    return ops.where(positive, ops.sqrt(safe), ops.zeros_like(squared))


def group_norms(w, groups: str = "units", members: bool = False):
    """Per-group Euclidean norms of ``w``, one per unit or input feature.

    >>> group_norms(np.array([[3.0, 0.0], [4.0, 0.0]]), "units").numpy().tolist()
    [5.0, 0.0]
    """
    w = ops.convert_to_tensor(w)
    return safe_norm(w, group_axes(len(w.shape), groups, members))


def group_size(shape, groups: str = "units", members: bool = False) -> int:
    """Number of weights in one group of a weight of this shape."""
    size = 1
    for axis in group_axes(len(shape), groups, members):
        size *= int(shape[axis])
    return size


def group_lasso_penalty(w, groups: str = "units", factor=None, members: bool = False):
    """``sum_g factor_g * sqrt(p_g) * ||w_g||_2`` (Yuan & Lin 2006).

    ``p_g`` is the number of weights in group ``g``; ``factor`` has one entry per
    group.

    >>> w = np.array([[3.0, 0.0], [4.0, 0.0]])  # two units of 2 weights each
    >>> round(float(group_lasso_penalty(w)), 6)  # sqrt(2) * 5
    7.071068
    """
    w = ops.convert_to_tensor(w)
    norms = group_norms(w, groups, members)
    scale = float(group_size(w.shape, groups, members)) ** 0.5
    return scale * _total(_weighted(norms, factor), members)


def group_factor_for_weights(factor, shape, groups: str):
    """Broadcasts a per-group factor to the weight's shape (for the L1 term)."""
    if factor is None:
        return None
    factor = ops.convert_to_tensor(factor)
    new_shape = [1] * len(shape)
    new_shape[group_axis(groups)] = -1
    return ops.reshape(factor, new_shape)

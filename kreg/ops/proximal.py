"""Proximal operators of kreg's sparsity penalties: pure, written with ``keras.ops``.

The proximal operator of a penalty ``h`` with step ``t`` is
``prox(z) = argmin_x 1/(2t) ||x - z||² + h(x)``. A proximal gradient step
(ISTA, glmnet's and scikit-learn's updates in spirit) is a gradient step on the
smooth data loss followed by the prox of the penalty; it sets weights *exactly*
to zero, where a subgradient step only makes them jitter around zero.

Every threshold here may be a tensor broadcastable to ``w`` (numpy rules), one
value per weight. That is what an adaptive optimizer needs: its step differs
per coordinate, and the matching prox is taken in the metric
``sum_i (x_i - z_i)² / (2 t_i)`` (see :func:`group_soft_threshold`).
"""

from keras import ops

from kreg._validation import check_choice
from kreg.ops.penalties import GROUP_SPECS, group_axes

#: Newton iterations of the group prox when the thresholds differ inside a group.
#: From the starting point below it converges to machine precision in at most 8
#: iterations even for thresholds spread over ten orders of magnitude (tested).
NEWTON_STEPS = 10


def soft_threshold(w, threshold):
    """Soft-thresholding, the prox of ``threshold * |x|``.

    ``sign(w) * max(|w| - threshold, 0)``, elementwise.

    Args:
        w: a tensor.
        threshold: non-negative; a scalar or a tensor broadcastable to ``w``.

    Returns:
        A tensor like ``w`` with every entry whose magnitude is at most its
        threshold set to exactly 0.

    Example:

    >>> kreg.ops.soft_threshold(np.array([-2.0, 0.5, 3.0]), 1.0).numpy().tolist()
    [-1.0, 0.0, 2.0]
    """
    w = ops.convert_to_tensor(w)
    threshold = ops.convert_to_tensor(threshold, dtype=w.dtype)
    return ops.sign(w) * ops.maximum(ops.abs(w) - threshold, 0.0)


def elastic_net_prox(w, l1, l2):
    """The prox of the elastic net ``l1 * |x| + l2 / 2 * x²``.

    ``soft_threshold(w, l1) / (1 + l2)``, elementwise. For
    ``kreg.regularizers.ElasticNet(strength, l1_ratio)`` and a step ``t``, use
    ``l1 = t * strength * l1_ratio`` and ``l2 = t * strength * (1 - l1_ratio)``.

    Args:
        w: a tensor.
        l1: non-negative L1 threshold, scalar or broadcastable to ``w``.
        l2: non-negative L2 coefficient, scalar or broadcastable to ``w``.

    Returns:
        The prox of ``w``.

    Example:

    >>> kreg.ops.elastic_net_prox(np.array([-3.0, 0.5, 5.0]), 1.0, 1.0).numpy()
    array([-1.,  0.,  2.])
    """
    w = ops.convert_to_tensor(w)
    return soft_threshold(w, l1) / (1.0 + ops.convert_to_tensor(l2, dtype=w.dtype))


def group_soft_threshold(w, threshold, groups: str = "units", members: bool = False):
    """Group soft-thresholding, the prox of the group lasso.

    With one threshold ``t`` per group this is the closed form
    ``w_g * max(0, 1 - t / ||w_g||_2)``: a group whose norm is at most ``t``
    becomes exactly zero, the others shrink toward zero.

    When the thresholds differ inside a group (``t_i``, one per weight: an
    adaptive optimizer's per-coordinate step times the penalty), it returns
    the exact prox in the diagonal metric,
    ``argmin_x sum_g [sum_{i in g} (x_i - w_i)² / (2 t_i) + ||x_g||_2]``: the
    group is zero iff ``||w_g / t_g||_2 <= 1``, otherwise
    ``x_i = w_i * r / (r + t_i)`` where ``r = ||x_g||`` solves
    ``sum_i w_i² / (r + t_i)² = 1``, found by Newton's method on
    ``(sum_i w_i² / (r + t_i)²)^(-1/2) = 1`` from ``r = ||w_g|| - max_i t_i``.

    Args:
        w: a weight of rank >= 2 (a kernel).
        threshold: non-negative; a scalar, or a tensor broadcastable to ``w``
            (for per-unit thresholds of a Dense kernel and ``groups="units"``
            a vector of length ``units`` broadcasts; for ``groups="inputs"``
            reshape it to ``(inputs, 1)``).
        groups: `"units"` (a group is one output unit's weights: the last
            axis indexes groups) or `"inputs"` (one input feature or channel:
            axis -2). Defaults to `"units"`.
        members: whether axis 0 of ``w`` indexes independent members (a
            stacked kernel): groups are then taken within each member.
            Defaults to `False`.

    Returns:
        The prox of ``w``, with whole groups at exactly zero.

    Example:

    >>> w = np.array([[3.0, 0.3], [4.0, 0.4]])  # unit norms 5 and 0.5
    >>> kreg.ops.group_soft_threshold(w, 1.0, "units").numpy()
    array([[2.4, 0. ],
           [3.2, 0. ]])

    References:
        Yuan & Lin, "Model selection and estimation in regression with grouped
        variables", JRSS-B 2006. Deleu & Bengio, "Structured sparsity
        inducing adaptive optimizers for deep learning",
        https://arxiv.org/abs/2102.03869 (the group prox in an adaptive
        optimizer's metric, by a numerical solver).
    """
    check_choice(groups, "groups", "group_soft_threshold", GROUP_SPECS)
    w = ops.convert_to_tensor(w)
    axes = group_axes(len(w.shape), groups, members)
    threshold = ops.convert_to_tensor(threshold, dtype=w.dtype)
    shape = (1,) * (len(w.shape) - len(threshold.shape)) + tuple(threshold.shape)
    if all(shape[axis] == 1 for axis in axes):
        # One threshold per group: the closed form, no Newton iterations.
        norm = ops.sqrt(ops.sum(ops.square(w), axis=axes, keepdims=True))
        safe = ops.where(norm > 0, norm, ops.ones_like(norm))
        scale = ops.maximum(1.0 - threshold / safe, 0.0)
        return ops.where(norm > threshold, w * scale, ops.zeros_like(w))
    t = ops.broadcast_to(threshold, ops.shape(w))
    positive = t > 0
    safe_t = ops.where(positive, t, ops.ones_like(t))
    # |w_i / t_i|; a weight with threshold 0 keeps its group alive unless it is 0.
    ratio = ops.where(
        positive,
        w / safe_t,
        ops.where(w == 0, ops.zeros_like(w), ops.full_like(w, float("inf"))),
    )
    off = ops.sum(ops.square(ratio), axis=axes, keepdims=True) <= 1.0
    norm = ops.sqrt(ops.sum(ops.square(w), axis=axes, keepdims=True))
    # ||w|| - max t <= r* <= ||w|| - min t: exact for equal thresholds.
    r = ops.maximum(norm - ops.max(t, axis=axes, keepdims=True), 0.0)
    square = ops.square(w)
    for _ in range(NEWTON_STEPS):
        d = r + t
        live = d > 0
        safe_d = ops.where(live, d, ops.ones_like(d))
        s2 = ops.sum(ops.where(live, square / safe_d**2, 0.0), axis=axes, keepdims=True)
        s3 = ops.sum(ops.where(live, square / safe_d**3, 0.0), axis=axes, keepdims=True)
        safe_s3 = ops.where(s3 > 0, s3, ops.ones_like(s3))
        step = ops.where(s3 > 0, s2 * (ops.sqrt(s2) - 1.0) / safe_s3, 0.0)
        r = ops.maximum(r + step, 0.0)
    d = r + t
    safe_d = ops.where(d > 0, d, ops.ones_like(d))
    shrunk = ops.where(d > 0, w * r / safe_d, w)
    return ops.where(off, ops.zeros_like(w), shrunk)


def sparse_group_prox(w, l1, group, groups: str = "units", members: bool = False):
    """The prox of the sparse group lasso: soft, then group soft-thresholding.

    ``group_soft_threshold(soft_threshold(w, l1), group, groups)``. The
    composition is the exact prox of ``l1 * ||x||_1 + group * ||x_g||_2``
    (Simon et al. 2013), also with per-weight thresholds in a diagonal metric
    (both thresholds then carry the same per-weight step).

    Args:
        w: a weight of rank >= 2.
        l1: non-negative L1 threshold, scalar or broadcastable to ``w``.
        group: non-negative group threshold, scalar or broadcastable to ``w``.
        groups: `"units"` or `"inputs"`. Defaults to `"units"`.
        members: whether axis 0 indexes members (see
            :func:`group_soft_threshold`). Defaults to `False`.

    Returns:
        The prox of ``w``: zero groups, and zeros inside the groups that stay.

    Example:

    >>> w = np.array([[3.0, 0.3], [4.0, 0.4]])
    >>> kreg.ops.sparse_group_prox(w, 0.35, 1.0).numpy().round(4)
    array([[2.0625, 0.    ],
           [2.8408, 0.    ]])

    References:
        Simon, Friedman, Hastie & Tibshirani, "A sparse-group lasso", JCGS 2013.
    """
    check_choice(groups, "groups", "sparse_group_prox", GROUP_SPECS)
    return group_soft_threshold(soft_threshold(w, l1), group, groups, members)

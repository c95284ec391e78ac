"""Pure functions under kreg's dropout layers (``keras.ops`` and ``keras.random``).

Each function takes the rate as a Python float (validated) or as a scalar
tensor or variable (not validated, so it can change inside a compiled train
function). Masks are drawn in float32 whatever the input's dtype and cast at
the end, so mixed precision inputs get the same masks as float32 inputs.

``seed`` is what ``keras.random`` accepts: an int, a
``keras.random.SeedGenerator`` (what the layers pass, so that every call draws
a new mask) or ``None``.
"""

import keras
from keras import ops

from kreg._validation import (
    check_choice,
    check_float,
    check_int,
    check_scalar_or_tensor,
    invalid_argument,
)


def _rate(rate, owner: str):
    """Validates a Python or numpy rate; passes tensors and variables through."""
    rate = check_scalar_or_tensor(
        rate, "rate", owner, low=0.0, high=1.0, high_inclusive=False
    )
    return ops.cast(rate, "float32")


def _scale(x, keep, rate):
    """``x * keep / (1 - rate)`` in the dtype of ``x`` (inverted dropout)."""
    keep = ops.cast(keep, x.dtype)
    return ops.divide(ops.multiply(x, keep), ops.cast(1.0 - rate, x.dtype))


def keep_mask(shape, rate, seed=None):
    """A float32 Bernoulli mask of ones (kept, probability ``1 - rate``) and zeros.

    Args:
        shape: shape of the mask; entries may be tensors (a dynamic batch size).
        rate: probability that an entry is 0, in [0, 1).
        seed: an int, a `keras.random.SeedGenerator` or `None`.

    Returns:
        A float32 tensor of ``shape`` holding 0.0 and 1.0.

    Example:

    >>> mask = kreg.ops.keep_mask((1000,), 0.25, seed=0)
    >>> round(1.0 - float(keras.ops.mean(mask)), 1)
    0.3
    """
    rate = _rate(rate, "keep_mask")
    noise = keras.random.uniform(shape, dtype="float32", seed=seed)
    return ops.cast(ops.greater_equal(noise, rate), "float32")


def dropout(x, rate, seed=None):
    """Inverted dropout whose rate may be a tensor or a variable.

    ``out = x * m / (1 - rate)`` with ``m ~ Bernoulli(1 - rate)`` per entry.
    Unlike ``keras.random.dropout`` the rate may change inside a compiled
    function (it is read from a variable, not baked in as a constant).

    Args:
        x: the input.
        rate: probability of dropping an entry, in [0, 1).
        seed: an int, a `keras.random.SeedGenerator` or `None`.

    Returns:
        A tensor like ``x``.

    Example:

    >>> x = np.ones((4, 4), "float32")
    >>> out = keras.ops.convert_to_numpy(kreg.ops.dropout(x, 0.5, seed=0))
    >>> sorted(set(out.ravel().tolist()))
    [0.0, 2.0]

    References:
        Srivastava et al., "Dropout: A Simple Way to Prevent Neural Networks
        from Overfitting", JMLR 2014,
        https://jmlr.org/papers/v15/srivastava14a.html
    """
    rate = _rate(rate, "dropout")
    return _scale(x, keep_mask(ops.shape(x), rate, seed), rate)


def drop_path(x, rate, seed=None, scale_by_keep: bool = True):
    """Stochastic depth: zeroes whole samples of a residual branch.

    One Bernoulli draw per sample (the first axis), not one per batch:
    ``out[b] = x[b] * m_b / (1 - rate)`` with ``m_b ~ Bernoulli(1 - rate)``.

    Args:
        x: the residual branch, shape ``(batch, ...)``.
        rate: probability of dropping a sample's branch, in [0, 1).
        seed: an int, a `keras.random.SeedGenerator` or `None`.
        scale_by_keep: divide the kept samples by ``1 - rate`` so the expected
            output equals ``x``. Defaults to `True`.

    Returns:
        A tensor like ``x``.

    Example:

    >>> x = np.ones((8, 3), "float32")
    >>> out = keras.ops.convert_to_numpy(kreg.ops.drop_path(x, 0.5, seed=1))
    >>> sorted(set(out.ravel().tolist()))  # whole rows are 0 or 1 / (1 - 0.5)
    [0.0, 2.0]
    >>> bool(np.all(out == out[:, :1]))
    True

    References:
        Huang et al., "Deep Networks with Stochastic Depth", ECCV 2016,
        https://arxiv.org/abs/1603.09382
    """
    rate = _rate(rate, "drop_path")
    shape = ops.shape(x)
    mask = keep_mask((shape[0],) + (1,) * (len(x.shape) - 1), rate, seed)
    if scale_by_keep:
        return _scale(x, mask, rate)
    return ops.multiply(x, ops.cast(mask, x.dtype))


def locked_dropout(x, rate, seed=None):
    """Variational (locked) dropout: one mask per sequence, shared over time.

    For ``x`` of shape ``(batch, time, ...)`` the mask has shape
    ``(batch, 1, ...)``: a feature dropped at one time step is dropped at
    every time step of that sequence. Kept entries are divided by
    ``1 - rate``.

    Args:
        x: a tensor of rank 3 or more, ``(batch, time, features...)``.
        rate: probability of dropping a feature of a sequence, in [0, 1).
        seed: an int, a `keras.random.SeedGenerator` or `None`.

    Returns:
        A tensor like ``x``.

    Example:

    >>> x = np.ones((2, 5, 4), "float32")
    >>> out = keras.ops.convert_to_numpy(kreg.ops.locked_dropout(x, 0.5, seed=3))
    >>> bool(np.all(out == out[:, :1, :]))  # the same mask at every time step
    True

    References:
        Gal & Ghahramani, "A Theoretically Grounded Application of Dropout in
        Recurrent Neural Networks", NeurIPS 2016, https://arxiv.org/abs/1512.05287
    """
    rate = _rate(rate, "locked_dropout")
    if len(x.shape) < 3:
        raise _rank_error("locked_dropout", "x", "a tensor of rank >= 3", x.shape)
    shape = ops.shape(x)
    mask_shape = (shape[0], 1) + tuple(shape[2:])
    return _scale(x, keep_mask(mask_shape, rate, seed), rate)


def drop_connect(kernel, rate, seed=None, groups: int | None = None):
    """DropConnect on a weight matrix: zeroes weights, divides the kept ones.

    ``W * M / (1 - rate)`` with ``M_ij ~ Bernoulli(1 - rate)``, so inference
    uses ``W`` unchanged.

    Args:
        kernel: a weight tensor, e.g. a Dense kernel ``(in, out)``.
        rate: probability of dropping a weight, in [0, 1).
        seed: an int, a `keras.random.SeedGenerator` or `None`.
        groups: if given, draw ``groups`` independent masks and return a stack
            of shape ``(groups,) + kernel.shape`` (one weight sample per group,
            as Monte Carlo prediction needs). Defaults to `None`.

    Returns:
        The masked kernel, or a stack of ``groups`` masked kernels.

    Example:

    >>> w = np.ones((4, 3), "float32")
    >>> out = keras.ops.convert_to_numpy(kreg.ops.drop_connect(w, 0.5, seed=0))
    >>> sorted(set(out.ravel().tolist()))
    [0.0, 2.0]

    References:
        Wan et al., "Regularization of Neural Networks using DropConnect",
        ICML 2013, https://proceedings.mlr.press/v28/wan13.html
    """
    rate = _rate(rate, "drop_connect")
    shape = tuple(kernel.shape)
    if groups is not None:
        groups = check_int(groups, "groups", "drop_connect", low=1)
        shape = (groups,) + shape
    return _scale(kernel, keep_mask(shape, rate, seed), rate)


def drop_block_gamma(rate, block_size: int):
    """The probability of a block centre: ``1 - (1 - rate) ** (1 / block_size**2)``.

    Centres are drawn on the feature map padded by ``block_size - 1`` so that
    every activation is covered by exactly ``block_size**2`` candidate blocks;
    it is kept with probability ``(1 - gamma) ** block_size**2 = 1 - rate``,
    which makes the expected dropped fraction exactly ``rate`` for any height,
    width and block size. (The paper's
    ``gamma = rate / block_size**2 * HW / ((H - b + 1)(W - b + 1))`` counts
    overlapping blocks twice and drops less than ``rate``.)

    Args:
        rate: the fraction of activations to drop, in [0, 1).
        block_size: side of the square blocks, at least 1.

    Returns:
        A float32 scalar tensor.

    Example:

    >>> round(float(kreg.ops.drop_block_gamma(0.19, 2)), 6)  # 1 - 0.81 ** 0.25
    0.05132
    """
    rate = _rate(rate, "drop_block_gamma")
    block_size = check_int(block_size, "block_size", "drop_block_gamma", low=1)
    return 1.0 - ops.power(1.0 - rate, 1.0 / float(block_size * block_size))


def drop_block_mask(
    shape,
    rate,
    block_size: int,
    seed=None,
    data_format: str = "channels_last",
):
    """The keep mask of DropBlock: ones, with square blocks of zeros.

    Block centres are drawn independently per sample and per channel with
    probability :func:`drop_block_gamma` on a grid of
    ``(H + block_size - 1) x (W + block_size - 1)``; each centre zeroes a
    ``block_size x block_size`` square (clipped at the borders). Height and
    width are handled separately, so ``H != W`` is fine, and even block sizes
    work as odd ones.

    Args:
        shape: ``(batch, H, W, channels)`` for `"channels_last"`,
            ``(batch, channels, H, W)`` for `"channels_first"`.
        rate: expected fraction of zeros, in [0, 1).
        block_size: side of the blocks, at least 1.
        seed: an int, a `keras.random.SeedGenerator` or `None`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to
            `"channels_last"`.

    Returns:
        A float32 tensor of ``shape`` holding 0.0 and 1.0.

    Example:

    >>> mask = kreg.ops.drop_block_mask((1, 6, 9, 1), 0.1, 3, seed=2)
    >>> tuple(mask.shape)
    (1, 6, 9, 1)
    """
    owner = "drop_block_mask"
    block_size = check_int(block_size, "block_size", owner, low=1)
    data_format = check_choice(
        data_format, "data_format", owner, ("channels_last", "channels_first")
    )
    if len(shape) != 4:
        raise _rank_error(owner, "shape", "a shape of rank 4", tuple(shape))
    gamma = drop_block_gamma(rate, block_size)
    if data_format == "channels_first":
        batch, channels, height, width = shape
    else:
        batch, height, width, channels = shape
    pad = block_size - 1
    # The centres live in channels_last layout whatever the data format: TF
    # pools only NHWC on CPU, and per-channel centres make the layout moot.
    noise = keras.random.uniform(
        (batch, height + pad, width + pad, channels), dtype="float32", seed=seed
    )
    centres = ops.cast(ops.less(noise, gamma), "float32")
    if block_size > 1:
        dropped = ops.max_pool(
            centres,
            pool_size=block_size,
            strides=1,
            padding="valid",
            data_format="channels_last",
        )
    else:
        dropped = centres
    keep = 1.0 - dropped
    if data_format == "channels_first":
        keep = ops.transpose(keep, (0, 3, 1, 2))
    return keep


def drop_block(
    x,
    rate,
    block_size: int,
    seed=None,
    data_format: str = "channels_last",
):
    """DropBlock: zeroes square blocks of a feature map and renormalizes.

    ``out = x * M * count(M) / count_ones(M)`` with ``M`` from
    :func:`drop_block_mask` (Algorithm 1 of the paper; the counts are taken
    over the whole batch, in float32).

    Args:
        x: a rank-4 tensor in ``data_format``.
        rate: expected fraction of activations to drop, in [0, 1).
        block_size: side of the blocks, at least 1.
        seed: an int, a `keras.random.SeedGenerator` or `None`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to
            `"channels_last"`.

    Returns:
        A tensor like ``x``.

    Example:

    >>> x = np.ones((2, 8, 12, 3), "float32")
    >>> out = kreg.ops.drop_block(x, 0.2, 3, seed=0)
    >>> round(float(keras.ops.mean(out)), 4)  # the sum is preserved
    1.0

    References:
        Ghiasi, Lin & Le, "DropBlock: A regularization method for convolutional
        networks", NeurIPS 2018, https://arxiv.org/abs/1810.12890
    """
    if len(x.shape) != 4:
        raise _rank_error("drop_block", "x", "a tensor of rank 4", x.shape)
    keep = drop_block_mask(ops.shape(x), rate, block_size, seed, data_format)
    count = ops.cast(ops.size(keep), "float32")
    ones = ops.maximum(ops.sum(keep), 1.0)
    scale = ops.cast(count / ones, x.dtype)
    return ops.multiply(ops.multiply(x, ops.cast(keep, x.dtype)), scale)


def concrete_dropout(x, p, seed=None, temperature: float = 0.1):
    """Concrete (relaxed Bernoulli) dropout, differentiable in ``p``.

    With ``u ~ U(0, 1)`` and ``eps = 1e-7``:
    ``z = sigmoid((log(p + eps) - log(1 - p + eps) + log(u + eps)
    - log(1 - u + eps)) / temperature)`` is a soft "dropped" indicator, and
    ``out = x * (1 - z) / (1 - p)``.

    Args:
        x: the input.
        p: the dropout probability, a scalar tensor in (0, 1).
        seed: an int, a `keras.random.SeedGenerator` or `None`.
        temperature: temperature of the relaxation; smaller is closer to
            Bernoulli. Defaults to `0.1`.

    Returns:
        A tensor like ``x``.

    Example:

    >>> x = np.ones((1000,), "float32")
    >>> out = keras.ops.convert_to_numpy(kreg.ops.concrete_dropout(x, 0.3, seed=0))
    >>> round(float(np.mean(out < 0.5)), 1)  # about 30% are (almost) zero
    0.3

    References:
        Gal, Hron & Kendall, "Concrete Dropout", NeurIPS 2017,
        https://arxiv.org/abs/1705.07832
    """
    temperature = check_float(
        temperature, "temperature", "concrete_dropout", low=0.0, low_inclusive=False
    )
    eps = 1e-7
    p = ops.cast(p, "float32")
    u = keras.random.uniform(ops.shape(x), dtype="float32", seed=seed)
    logit = (
        ops.log(p + eps)
        - ops.log(1.0 - p + eps)
        + ops.log(u + eps)
        - ops.log(1.0 - u + eps)
    )
    dropped = ops.sigmoid(logit / temperature)
    return ops.multiply(x, ops.cast((1.0 - dropped) / (1.0 - p), x.dtype))


def concrete_dropout_regularizer(
    kernel,
    p,
    input_dim: int,
    weight_regularizer: float,
    dropout_regularizer: float,
):
    """The regularization term of Concrete Dropout (Gal, Hron, Kendall 2017).

    ``weight_regularizer * sum(W**2) / (1 - p)
    + dropout_regularizer * input_dim * (p log p + (1 - p) log(1 - p))``

    The second term is minus the entropy of a Bernoulli(p) per dropped unit; it
    pushes ``p`` towards 0.5, the first pushes it towards 0. With a prior
    length-scale ``l``, ``N`` training points and precision ``tau``, the paper
    uses ``weight_regularizer = l**2 / N`` and ``dropout_regularizer =
    2 / (tau * N)``.

    Args:
        kernel: the weight matrix ``W`` that the dropped inputs multiply.
        p: the dropout probability, a scalar tensor in (0, 1).
        input_dim: the number of dropped units per example (``K``).
        weight_regularizer: the factor of the weight term.
        dropout_regularizer: the factor of the entropy term.

    Returns:
        A float32 scalar tensor.

    Example:

    >>> w = np.ones((2, 3), "float32")
    >>> reg = kreg.ops.concrete_dropout_regularizer(w, 0.5, 2, 1e-2, 1e-1)
    >>> round(float(reg), 5)  # 0.01 * 6 / 0.5 + 0.1 * 2 * log(0.5)
    -0.01863

    References:
        Gal, Hron & Kendall, "Concrete Dropout", NeurIPS 2017,
        https://arxiv.org/abs/1705.07832
    """
    p = ops.cast(p, "float32")
    weights = ops.sum(ops.square(ops.cast(kernel, "float32")))
    weight_term = weight_regularizer * weights / (1.0 - p)
    entropy_term = p * ops.log(p) + (1.0 - p) * ops.log(1.0 - p)
    return weight_term + dropout_regularizer * float(input_dim) * entropy_term


def _rank_error(owner: str, name: str, expected: str, value):
    if hasattr(value, "as_list"):
        value = tuple(value.as_list())
    return invalid_argument(owner, name, expected, value)


__all__ = [
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
]

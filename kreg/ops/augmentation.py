"""Pure functions under kreg's tabular augmentation layers (``keras.ops``).

Each magnitude may be a Python float (validated) or a scalar tensor or
variable (not validated, so a schedule can change it inside a compiled
function). ``seed`` is an int, a ``keras.random.SeedGenerator`` or ``None``.
Inputs are tables: a batch of rows, shape ``(batch, features)``.
"""

import keras
from keras import ops

from kreg._validation import check_scalar_or_tensor, invalid_argument


def _magnitude(value, name: str, owner: str, high: float | None = None):
    value = check_scalar_or_tensor(value, name, owner, low=0.0, high=high)
    return ops.cast(value, "float32")


def _check_table(x, owner: str):
    if len(x.shape) != 2:
        raise invalid_argument(
            owner, "x", "a 2-D table (batch, features)", f"shape {tuple(x.shape)}"
        )


def feature_noise(x, magnitude, feature_std=None, mask=None, seed=None):
    """Adds Gaussian noise scaled per feature: ``x + magnitude * std_j * eps``.

    ``eps ~ N(0, 1)`` per entry; ``std_j`` is the standard deviation of
    feature ``j``: given (``feature_std``, e.g. measured on the training set)
    or, if `None`, that of the batch (population std over the rows, no
    gradient through it). A feature with ``std_j = 0`` gets no noise.

    Args:
        x: a float table, shape ``(batch, features)``.
        magnitude: noise scale in units of each feature's std, >= 0.
        feature_std: per-feature std, shape ``(features,)``, or `None`.
        mask: per-feature 0/1 (or weights), shape ``(features,)``: which
            features get noise (e.g. not one-hot columns). Defaults to `None`
            (all).
        seed: an int, a `keras.random.SeedGenerator` or `None`.

    Returns:
        A table like ``x``.

    Example:

    >>> x = np.array([[0.0, 0.0], [2.0, 200.0]], "float32")  # std 1 and 100
    >>> out = kreg.ops.feature_noise(x, 0.1, seed=0)
    >>> noise = keras.ops.convert_to_numpy(out) - x
    >>> bool(np.all(np.abs(noise[:, 1]) > np.abs(noise[:, 0])))
    True
    """
    _check_table(x, "feature_noise")
    magnitude = ops.cast(_magnitude(magnitude, "magnitude", "feature_noise"), x.dtype)
    if feature_std is None:
        std = ops.stop_gradient(ops.std(x, axis=0))
    else:
        std = ops.convert_to_tensor(feature_std, dtype=x.dtype)
    scale = magnitude * std
    if mask is not None:
        scale = scale * ops.convert_to_tensor(mask, dtype=x.dtype)
    noise = keras.random.normal(ops.shape(x), dtype="float32", seed=seed)
    return x + scale * ops.cast(noise, x.dtype)


def swap_noise(x, rate, seed=None):
    """Swap noise: each entry, with probability ``rate``, takes its column's
    value from a row drawn uniformly from the batch.

    ``out[i, j] = x[r_ij, j]`` if ``u_ij < rate`` else ``x[i, j]``, with
    ``u_ij ~ U[0, 1)`` and ``r_ij`` uniform over the batch's rows (it may be
    ``i`` itself, with probability ``1 / batch``). Each column keeps values
    from its own marginal distribution, which makes it the noise of choice
    for denoising autoencoders on tabular data (Jahrer, Porto Seguro 2017).

    Args:
        x: a table, shape ``(batch, features)``, of any dtype.
        rate: probability in [0, 1] that an entry is swapped.
        seed: an int, a `keras.random.SeedGenerator` or `None`.

    Returns:
        A table like ``x``.

    Example:

    >>> x = np.arange(12, dtype="float32").reshape(4, 3)
    >>> out = keras.ops.convert_to_numpy(kreg.ops.swap_noise(x, 1.0, seed=0))
    >>> all(set(out[:, j]) <= set(x[:, j]) for j in range(3))  # same columns
    True
    """
    _check_table(x, "swap_noise")
    rate = _magnitude(rate, "rate", "swap_noise", high=1.0)
    shape = ops.shape(x)
    batch = ops.cast(shape[0], "float32")
    if seed is None or isinstance(seed, int):
        seed = keras.random.SeedGenerator(seed)
    rows = keras.random.uniform(shape, dtype="float32", seed=seed) * batch
    rows = ops.cast(ops.minimum(ops.floor(rows), batch - 1.0), "int32")
    swapped = ops.take_along_axis(x, rows, axis=0)
    draw = keras.random.uniform(shape, dtype="float32", seed=seed)
    return ops.where(ops.less(draw, rate), swapped, x)


def mixup(x, y, alpha, seed=None):
    """mixup: convex combinations of pairs of examples and of their labels.

    With ``lam_i ~ Beta(alpha, alpha)`` per example and ``p`` a random
    permutation of the batch, ``x'_i = lam_i * x_i + (1 - lam_i) * x_p(i)``
    and ``y'_i = lam_i * y_i + (1 - lam_i) * y_p(i)``. ``alpha = 0`` means no
    mixing (``lam = 1``). ``x`` and ``y`` may be nested structures (a dict of
    feature columns): every tensor is mixed with the same ``lam`` and ``p``.
    Labels must be floats: one-hot classes or regression targets (integer
    class ids cannot be mixed; one-hot them with ``keras.ops.one_hot``).

    Args:
        x: features, a tensor or a structure of tensors with the batch first.
        y: labels, likewise.
        alpha: the Beta distribution's parameter, >= 0.
        seed: an int, a `keras.random.SeedGenerator` or `None`.

    Returns:
        ``(x', y')``, with the structures of ``x`` and ``y``.

    Example:

    >>> x = np.array([[0.0], [10.0]], "float32")
    >>> y = np.array([[1.0, 0.0], [0.0, 1.0]], "float32")
    >>> xm, ym = kreg.ops.mixup(x, y, 0.4, seed=1)
    >>> xm = keras.ops.convert_to_numpy(xm)[:, 0]
    >>> ym = keras.ops.convert_to_numpy(ym)
    >>> np.round(xm, 2), np.allclose(xm / 10, ym[:, 1])  # the same lam for both
    (array([0.57, 8.83], dtype=float32), True)

    References:
        - Zhang et al., "mixup: Beyond Empirical Risk Minimization", ICLR
          2018, https://arxiv.org/abs/1710.09412
    """
    alpha = _magnitude(alpha, "alpha", "mixup")
    for name, structure, what in (
        ("x", x, "float features (integer ids cannot be mixed)"),
        ("y", y, "float labels (one-hot classes or regression targets)"),
    ):
        for tensor in keras.tree.flatten(structure):
            dtype = keras.backend.standardize_dtype(tensor.dtype)
            if "float" not in dtype:
                raise invalid_argument("mixup", name, what, f"dtype {dtype}")
    first = keras.tree.flatten(x)[0]
    batch = ops.shape(first)[0]
    if seed is None or isinstance(seed, int):
        seed = keras.random.SeedGenerator(seed)
    order = keras.random.shuffle(ops.arange(batch), seed=seed)
    # Beta(0, 0) is undefined: draw with a safe alpha, then lam = 1 where alpha = 0.
    safe = ops.maximum(alpha, 1e-6)
    lam = keras.random.beta((batch,), safe, safe, dtype="float32", seed=seed)
    lam = ops.where(ops.greater(alpha, 0.0), lam, ops.ones_like(lam))

    def mix(tensor):
        tensor = ops.convert_to_tensor(tensor)
        weight = ops.reshape(lam, (-1,) + (1,) * (len(tensor.shape) - 1))
        weight = ops.cast(weight, tensor.dtype)
        other = ops.take(tensor, order, axis=0)
        return weight * tensor + (1 - weight) * other

    return keras.tree.map_structure(mix, x), keras.tree.map_structure(mix, y)

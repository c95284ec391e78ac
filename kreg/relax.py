"""Refit the weights a lasso kept, without its bias (glmnet's ``relax``)."""

import keras
from keras import ops

from kreg import _compat
from kreg._validation import check_int, invalid_argument
from kreg.optimizers.proximal import Proximal, proximable_terms
from kreg.regularizers.sum import Sum


class _KeepZeros(keras.constraints.Constraint):
    """Holds exactly-zero weights at zero during a relaxed refit (not saved)."""

    def __init__(self, mask, inner=None):
        self.mask = mask
        self.inner = inner

    def __call__(self, w):
        w = self.inner(w) if self.inner is not None else w
        return w * ops.cast(self.mask, w.dtype)


def relax(
    model: keras.Model,
    x,
    y=None,
    *,
    optimizer=None,
    loss=None,
    metrics=None,
    epochs: int = 10,
    **fit_kwargs,
) -> keras.Model:
    """Refits the weights a lasso kept, without the penalty (glmnet's ``relax``).

    The lasso selects and shrinks at once: the kept weights are biased toward
    zero. A relaxed fit keeps the selection (every weight that is exactly zero
    stays zero, so switched-off units and features stay off) and refits the
    rest with the proximable penalties (those ``kreg.optimizers.Proximal``
    takes the prox of: ``L1``, ``ElasticNet``, the group lassos,
    ``AdaptiveLasso``) removed; other penalties (L2, Keras' own) stay.
    Typically ``relax(prune(model).model, ...)``.

    The original model is not changed. The returned model is compiled with
    ``optimizer`` and ``loss`` (by default a fresh copy of the model's
    optimizer, the inner one of a ``Proximal``, and its compiled loss) and
    carries no trace of the zero mask once the refit is done.

    Args:
        model: a built chain or any Keras model; compiled, unless ``loss`` is
            given.
        x: training inputs, as for ``model.fit``.
        y: training targets. Defaults to `None`.
        optimizer: the optimizer of the refit. Defaults to `None` (see above).
        loss: the loss of the refit. Defaults to `None` (the model's).
        metrics: metrics to compile with. Defaults to `None` (none).
        epochs: epochs of the refit. Defaults to `10`.
        **fit_kwargs: passed to ``fit`` (``batch_size``, ``validation_data``,
            ``callbacks``, ``verbose``, ...).

    Returns:
        The relaxed model (a copy), compiled, with its ``history``.

    Example:

    >>> x = np.random.default_rng(0).normal(size=(64, 3)).astype("float32")
    >>> y = 2.0 * x[:, :1]
    >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(
    ...     1, kernel_regularizer=kreg.regularizers.L1(0.5))])
    >>> model.compile("sgd", "mse")
    >>> model.set_weights([np.array([[1.5], [0.0], [0.0]]), np.zeros(1)])
    >>> relaxed = kreg.relax(model, x, y, optimizer=keras.optimizers.SGD(0.1),
    ...                      epochs=2, batch_size=4, verbose=0)
    >>> relaxed.layers[0].kernel.numpy().ravel().round(3).tolist()
    [2.0, 0.0, 0.0]

    References:
        Meinshausen, "Relaxed lasso", Comput. Stat. Data Anal. 2007. Hastie,
        Tibshirani & Tibshirani, "Best subset, forward stepwise or lasso?",
        https://arxiv.org/abs/1707.08692 (glmnet's ``relax=TRUE``).
    """
    if not isinstance(model, keras.Model) or not model.built:
        raise invalid_argument("relax", "model", "a built Keras model", model)
    epochs = check_int(epochs, "epochs", "relax", low=1)
    if loss is None:
        if not model.compiled:
            raise invalid_argument(
                "relax", "loss", "a loss (the model is not compiled)", loss
            )
        loss = model.loss
    if optimizer is None:
        source = getattr(model, "optimizer", None)
        if isinstance(source, Proximal):
            source = source.inner_optimizer
        if source is None:
            raise invalid_argument(
                "relax", "optimizer", "an optimizer (the model has none)", optimizer
            )
        config = keras.optimizers.serialize(source)
        optimizer = keras.optimizers.deserialize(config)
    relaxed = keras.models.clone_model(model)
    relaxed.set_weights(model.get_weights())
    masked = []
    for layer in _compat.flatten_layers(relaxed, include_self=False):
        for attr in ("kernel", "bias"):
            variable = getattr(layer, attr, None)
            if not isinstance(variable, keras.Variable):
                continue
            reg = variable.regularizer
            proxed = proximable_terms(reg, variable.shape)
            if not proxed:
                continue
            rest = [t for t in getattr(reg, "terms", [reg]) if t not in proxed]
            reg = None if not rest else rest[0] if len(rest) == 1 else Sum(rest)
            variable.regularizer = reg
            setattr(layer, f"{attr}_regularizer", reg)
            value = variable.numpy()
            masked.append((variable, variable.constraint))
            variable.constraint = _KeepZeros(value != 0, variable.constraint)
    relaxed.compile(optimizer=optimizer, loss=loss, metrics=metrics)
    try:
        relaxed.fit(x, y, epochs=epochs, **fit_kwargs)
    finally:
        for variable, constraint in masked:
            variable.constraint = constraint
        relaxed.train_function = None  # traced with the masks
    return relaxed

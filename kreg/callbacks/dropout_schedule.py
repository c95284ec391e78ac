"""Changes the rates of kreg's dropout layers over epochs (curriculum dropout)."""

from kreg.callbacks._schedules import LayerVariableSchedule


class DropoutSchedule(LayerVariableSchedule):
    """Sets the rate of every kreg dropout layer in the model each epoch.

    kreg's dropout layers (``MCDropout``, ``DropConnectDense``,
    ``DropBlock2D``, ``DropPath``, ``LockedDropout``) keep their rate in a
    variable (``layer.rate``) read by the compiled train function at every
    step; this callback assigns it at the start of each epoch, so the new rate
    applies from the next step, with no recompiling and no retracing. Any
    layer whose ``rate`` is a non-trainable ``keras.Variable`` is driven, so
    your own layers can follow the same convention. ``ConcreteDropout``
    learns its rate and is left alone; ``keras.layers.Dropout`` holds its
    rate as a Python float baked into the traced function and cannot be
    driven (a model with no drivable layer raises a ``ValueError`` when
    training begins).

    The schedule takes the same shapes as
    :class:`~kreg.callbacks.RegularizationSchedule` (``"linear"``,
    ``"warmup"``, ``"cosine"``, ``"step"``, ``"exponential"``,
    ``"constant"`` or a callable ``epoch -> float``) plus ``"curriculum"``,
    curriculum dropout (Morerio et al. 2017): the keep probability decays
    from 1 towards its final value ``θ̄``,
    ``θ(t) = (1 - θ̄) * exp(-gamma * t) + θ̄``, so the rate is
    ``1 - θ(t) = end * (1 - exp(-gamma * t))`` with ``end = 1 - θ̄``. The
    paper updates it every step: ``t`` counts epochs (after ``delay``), in
    fractions of an epoch with ``per_step=True``.

    With ``relative=True`` (the default) the value multiplies each layer's
    rate as it was when ``fit`` began (``end=1`` reaches each layer's own
    rate, and the ratios between layers, e.g. stochastic depth's linear
    rule, are kept); with ``relative=False`` the value is the rate itself.
    With ``restore=True`` (the default) the rates return to their values
    before ``fit`` when training ends. Logs the value as
    ``"dropout_rate_scale"`` (relative) or ``"dropout_rate"``.

    Args:
        schedule: a shape name or a callable ``epoch -> float``.
        layers: layers to drive, or `None` to find them in the model. A deep
            copy of the callback still drives these same layers. Defaults to
            `None`.
        relative: scale the initial rates (True) or set absolute rates
            (False). Defaults to `True`.
        start: the shape's first value. Defaults to `1.0` (`0` for
            ``"warmup"`` and ``"curriculum"``).
        end: the shape's final value. Defaults to `1.0`.
        epochs: epochs of the ramp (``"linear"``, ``"warmup"``,
            ``"cosine"``). Defaults to `None`.
        delay: epochs at ``start`` before the shape begins. Defaults to `0`.
        step_size: epochs between steps (``"step"``). Defaults to `None`.
        gamma: ``"curriculum"``'s decay per epoch (`0.5`), or the factor of
            ``"step"`` (`0.1`) / ``"exponential"`` (`0.9`). Defaults to `None`.
        restore: restore the rates at the end of training. Defaults to `True`.
        log_key: the key logged. Defaults to `None` (see above).
        verbose: 1 prints each epoch's value. Defaults to `0`.
        per_step: also update before every training step, at the fractional
            epoch ``e + step / steps_per_epoch`` (the paper's curriculum is per
            step); the value logged is the last step's. Needs a known number
            of steps per epoch. Defaults to `False`.

    Example:

    >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8),
    ...     kreg.layers.MCDropout(0.4), keras.layers.Dense(1)])
    >>> model.compile("sgd", "mse")
    >>> curriculum = kreg.callbacks.DropoutSchedule("curriculum", gamma=1.0)
    >>> history = model.fit(np.ones((8, 4)), np.zeros((8, 1)), epochs=3,
    ...                     callbacks=[curriculum], verbose=0)
    >>> [round(v, 3) for v in history.history["dropout_rate_scale"]]
    [0.0, 0.632, 0.865]

    References:
        - Morerio et al., "Curriculum Dropout", ICCV 2017,
          https://arxiv.org/abs/1703.06229
    """

    _owner = "DropoutSchedule"
    _attribute = "rate"
    _log_prefix = "dropout_rate"

    def __init__(self, schedule, layers=None, **options):
        # The schedule's options (relative, start, end, ..., per_step) are
        # ScheduleCallback's, documented above.
        super().__init__(schedule, targets=layers, **options)

    def _nothing_found_message(self) -> str:
        return (
            "DropoutSchedule found no layer whose `rate` is a non-trainable "
            "keras.Variable (kreg.layers.MCDropout, DropConnectDense, DropBlock2D, "
            "DropPath, LockedDropout). keras.layers.Dropout holds its rate as a "
            "Python float and cannot be changed without retracing."
        )

"""Ramps the magnitude of kreg's augmentation layers; turns them off at the end."""

import keras

from kreg._validation import check_int, invalid_argument
from kreg.callbacks._schedules import (
    LayerVariableSchedule,
    has_variable,
    schedule_value,
)


class AugmentationSchedule(LayerVariableSchedule):
    """Sets the magnitude of augmentation layers each epoch, and can switch it off.

    kreg's augmentation layers (:class:`~kreg.layers.FeatureNoise`,
    :class:`~kreg.layers.SwapNoise`, :class:`~kreg.layers.TabularMixUp`)
    keep their magnitude in a variable (``layer.magnitude``) read at every
    call of the traced train function or ``tf.data`` map function; this
    callback assigns it at the start of each epoch, with no retracing. For
    the last epochs it sets the magnitude to 0 (no augmentation), as timm's
    ``--mixup-off-epoch`` does, so the model ends on clean data.

    The magnitude for epoch ``e`` is ``schedule(e)`` (shapes as in
    :class:`~kreg.callbacks.RegularizationSchedule`; the default
    ``"constant"`` keeps each layer's own magnitude), multiplied by each
    layer's magnitude when ``fit`` began if ``relative=True`` (the default),
    and 0 from ``off_epoch`` on or for the last ``off_last_epochs`` epochs
    of the ``fit`` call. The magnitudes are restored when training ends
    (``restore=True``). Logs the value as ``"aug_magnitude_scale"`` or
    ``"aug_magnitude"``.

    Layers are found in the model (any layer whose ``magnitude`` is a
    non-trainable ``keras.Variable``); layers used in the input pipeline
    (``dataset.map``) are not in the model: pass them as ``layers=``. Their
    change reaches the batches made after it: batches already in a
    ``prefetch`` buffer keep the old value.

    Keras' own augmentation layers (``MixUp``, ``CutMix``, ``RandomErasing``,
    ``RandAugment``, ``AugMix``, ``RandomGaussianBlur``, ``GaussianNoise``...)
    hold their magnitude (``alpha``, ``factor``, ``scale``, ``stddev``...) as
    Python floats, read once when the train or map function is traced; a new
    value would need a retrace (in a ``tf.data`` pipeline: a new pipeline),
    so they cannot be driven: passing one raises a ``ValueError``. For
    tabular data use the kreg layers; for images, run one ``fit`` per phase,
    each on a pipeline built with that phase's magnitude (the last one with
    no augmentation layer at all).

    Args:
        schedule: a shape name or a callable ``epoch -> float``. Defaults to
            `"constant"` (``end=1``).
        layers: augmentation layers to drive, or `None` to find them in the
            model. A deep copy of the callback still drives these same layers.
            Defaults to `None`.
        off_epoch: first epoch (0-based) with no augmentation, or `None`.
            Defaults to `None`.
        off_last_epochs: number of final epochs with no augmentation, or
            `None`. Defaults to `None`.
        relative: scale each layer's initial magnitude (True) or set absolute
            magnitudes (False). Defaults to `True`.
        start, end, epochs, delay, step_size, gamma: the shape's parameters,
            as in :class:`~kreg.callbacks.RegularizationSchedule`.
        restore: restore the magnitudes at the end of training. Defaults to
            `True`.
        log_key: the key logged. Defaults to `None`.
        verbose: 1 prints each epoch's value. Defaults to `0`.
        per_step: also update before every training step, at the fractional
            epoch ``e + step / steps_per_epoch`` (the paper's curriculum is per
            step); the value logged is the last step's. Needs a known number
            of steps per epoch. Defaults to `False`.

    Example:

    >>> noise = kreg.layers.FeatureNoise(0.2)
    >>> model = keras.Sequential([keras.Input((3,)), noise, keras.layers.Dense(1)])
    >>> model.compile("sgd", "mse")
    >>> schedule = kreg.callbacks.AugmentationSchedule(
    ...     "warmup", epochs=2, off_last_epochs=1)
    >>> history = model.fit(np.ones((8, 3)), np.zeros((8, 1)), epochs=4,
    ...                     callbacks=[schedule], verbose=0)
    >>> history.history["aug_magnitude_scale"]
    [0.0, 0.5, 1.0, 0.0]
    """

    _owner = "AugmentationSchedule"
    _attribute = "magnitude"
    _log_prefix = "aug_magnitude"

    def __init__(
        self,
        schedule="constant",
        layers=None,
        *,
        off_epoch: int | None = None,
        off_last_epochs: int | None = None,
        **options,
    ):
        # The schedule's options (relative, start, end, ..., per_step) are
        # ScheduleCallback's, documented above.
        super().__init__(schedule, targets=layers, **options)
        owner = self._owner
        if off_epoch is not None and off_last_epochs is not None:
            raise invalid_argument(
                owner,
                "off_last_epochs",
                "None when `off_epoch` is set",
                off_last_epochs,
            )
        self.off_epoch = (
            None
            if off_epoch is None
            else check_int(off_epoch, "off_epoch", owner, low=0)
        )
        self.off_last_epochs = (
            None
            if off_last_epochs is None
            else check_int(off_last_epochs, "off_last_epochs", owner, low=1)
        )

    def _check_targets(self, targets) -> list:
        items = list(targets) if isinstance(targets, (list, tuple)) else [targets]
        for item in items:
            if isinstance(item, keras.layers.Layer) and not has_variable(
                item, "magnitude"
            ):
                raise ValueError(
                    f"AugmentationSchedule cannot drive {type(item).__name__} "
                    f"`{item.name}`: its magnitude is a Python float read when the "
                    "function is traced, so changing it needs a retrace. Use a "
                    "layer whose `magnitude` is a keras.Variable (kreg.layers."
                    "FeatureNoise, SwapNoise, TabularMixUp)."
                )
        return super()._check_targets(targets)

    def _nothing_found_message(self) -> str:
        return (
            "AugmentationSchedule found no layer whose `magnitude` is a "
            "non-trainable keras.Variable in the model (kreg.layers.FeatureNoise, "
            "SwapNoise, TabularMixUp). Layers used in a tf.data pipeline are not "
            "part of the model: pass them as `layers=`."
        )

    def _first_off_epoch(self) -> int | None:
        if self.off_epoch is not None:
            return self.off_epoch
        total = (getattr(self, "params", None) or {}).get("epochs")
        if self.off_last_epochs is None or total is None:
            return None
        return total - self.off_last_epochs

    def value_for_epoch(self, epoch: int) -> float:
        off = self._first_off_epoch()
        if off is not None and epoch >= off:
            return 0.0
        return schedule_value(self._owner, self.schedule, epoch)

"""The magnitude of a kreg augmentation layer, held in a variable (private)."""

import keras

from kreg._validation import check_float


class VariableMagnitude:
    """Mixin: ``layer.magnitude`` is a non-trainable float32 ``keras.Variable``.

    Made with ``add_weight`` in ``__init__``, so it is tracked and saved, and
    read by the compiled function (or the ``tf.data`` map function) at every
    call: ``kreg.callbacks.AugmentationSchedule`` changes it with no
    retracing::

        layer.magnitude = 0.2          # validated, then assigned
        layer.magnitude.assign(0.2)    # the same, unvalidated
    """

    _magnitude_argument = "magnitude"
    _magnitude_high: float | None = None

    def _check_magnitude(self, value) -> float:
        return check_float(
            value,
            self._magnitude_argument,
            type(self).__name__,
            low=0.0,
            high=self._magnitude_high,
        )

    def _init_magnitude(self, value) -> None:
        value = self._check_magnitude(value)
        self._magnitude = self.add_weight(
            shape=(),
            initializer=keras.initializers.Constant(value),
            dtype="float32",
            trainable=False,
            autocast=False,
            name=self._magnitude_argument,
        )

    @property
    def magnitude(self) -> keras.Variable:
        """The magnitude variable (read with ``float(layer.magnitude)``)."""
        return self._magnitude

    @magnitude.setter
    def magnitude(self, value: float) -> None:
        self._magnitude.assign(self._check_magnitude(value))

    def _magnitude_value(self) -> float:
        return float(keras.ops.convert_to_numpy(self._magnitude))

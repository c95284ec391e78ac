"""The rate of a kreg dropout layer, held in a variable a callback can change."""

import keras

from kreg._validation import check_float, check_seed


class VariableRate:
    """Mixin for kreg layers whose dropout rate lives in a variable.

    The rate is a non-trainable float32 ``keras.Variable`` made with
    ``add_weight`` in ``__init__``, so it is tracked, saved with the model, and
    read by the compiled train function at every step: a schedule changes it
    with no recompiling and no retracing::

        layer.rate = 0.3          # validated, then assigned into the variable
        layer.rate.assign(0.3)    # the same, unvalidated
        float(layer.rate)         # the current value

    ``kreg.callbacks.DropoutSchedule`` finds the layers to schedule with
    ``isinstance(layer, kreg.layers.VariableRate)``. ``ConcreteDropout`` is
    not one of them: its rate is learned.

    Example:

    >>> layer = kreg.layers.DropPath(0.1)
    >>> isinstance(layer, kreg.layers.VariableRate), layer.rate.trainable
    (True, False)
    >>> layer.rate = 0.3
    >>> round(float(layer.rate), 6)
    0.3
    """

    def _init_rate(self, rate: float, seed: int | None) -> None:
        """Validates and stores ``rate`` and ``seed``; makes the seed generator."""
        owner = type(self).__name__
        rate = check_float(rate, "rate", owner, low=0.0, high=1.0, high_inclusive=False)
        if seed is not None:
            seed = check_seed(seed, owner)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self._rate = self.add_weight(
            shape=(),
            initializer=keras.initializers.Constant(rate),
            dtype="float32",
            trainable=False,
            autocast=False,
            name="rate",
        )

    @property
    def rate(self) -> keras.Variable:
        """The rate variable (read with ``float(layer.rate)``)."""
        return self._rate

    @rate.setter
    def rate(self, value: float) -> None:
        value = check_float(
            value, "rate", type(self).__name__, low=0.0, high=1.0, high_inclusive=False
        )
        self._rate.assign(value)

    def _rate_config(self) -> dict:
        return {
            "rate": float(keras.ops.convert_to_numpy(self._rate)),
            "seed": self.seed,
        }

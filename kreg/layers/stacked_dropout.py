"""Dropout with one rate per member of a stacked model."""

import keras
from keras import ops

from kreg._api import register
from kreg._validation import MAX_LENGTH, check_int, check_seed, invalid_argument


@register
class StackedDropout(keras.layers.Layer):
    """Dropout on ``(batch, members, ...)`` with its own rate for each member.

    Member ``m``'s activations are dropped with probability ``rate[m]`` and
    the kept ones divided by ``1 - rate[m]``, as ``keras.layers.Dropout``.
    The rates live in a non-trainable float32 variable of shape
    ``(members,)``: assigning new rates (``layer.rate = [...]``) takes effect
    at the next step with no retracing.

    Args:
        rate: one rate in [0, 1) per member (a list), or one float for all.
        members: number of members, at least 1.
        seed: an int for reproducible masks, or `None`. Defaults to `None`.
        **kwargs: base layer arguments.

    Call arguments:
        inputs: ``(batch, members, ...)``.
        training: drops only when `True`; otherwise returns ``inputs``.

    Example:

    >>> layer = kreg.layers.StackedDropout([0.0, 0.5], members=2, seed=0)
    >>> x = np.ones((1000, 2, 4), "float32")
    >>> bool(np.all(layer(x, training=True).numpy()[:, 0] == 1.0))
    True
    >>> round(float((layer(x, training=True).numpy()[:, 1] == 0).mean()), 1)
    0.5
    """

    def __init__(self, rate, members: int, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        owner = type(self).__name__
        self.members = check_int(members, "members", owner, low=1, high=MAX_LENGTH)
        if seed is not None:
            seed = check_seed(seed, owner)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self._rate = self.add_weight(
            shape=(self.members,),
            initializer=keras.initializers.Constant(self._check(rate)),
            dtype="float32",
            trainable=False,
            autocast=False,
            name="rate",
        )

    def _check(self, rate) -> list:
        rates = [rate] * self.members if _is_number(rate) else rate
        ok = isinstance(rates, (list, tuple)) and len(rates) == self.members
        ok = ok and all(_is_number(r) and 0.0 <= float(r) < 1.0 for r in rates)
        if not ok:
            raise invalid_argument(
                type(self).__name__,
                "rate",
                f"a float in [0, 1) or a list of {self.members} of them",
                rate,
            )
        return [float(r) for r in rates]

    @property
    def rate(self) -> keras.Variable:
        """The rates variable, ``(members,)``."""
        return self._rate

    @rate.setter
    def rate(self, value) -> None:
        self._rate.assign(self._check(value))

    def call(self, inputs, training=False):
        if not training:
            return inputs
        shape = (-1, self.members) + (1,) * (len(inputs.shape) - 2)
        rate = ops.reshape(ops.cast(self._rate, inputs.dtype), shape)
        noise = keras.random.uniform(ops.shape(inputs), seed=self.seed_generator)
        keep = ops.cast(noise >= rate, inputs.dtype)
        return inputs * keep / (1.0 - rate)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self) -> dict:
        rates = ops.convert_to_numpy(self._rate).tolist()
        return {
            **super().get_config(),
            "rate": [round(r, 7) for r in rates],
            "members": self.members,
            "seed": self.seed,
        }


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)

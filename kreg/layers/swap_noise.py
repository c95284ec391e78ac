"""Swap noise: values swapped with other rows' values of the same column."""

import keras

from kreg._api import register
from kreg._validation import check_seed
from kreg.layers._magnitude import VariableMagnitude
from kreg.layers.feature_noise import _check_shape
from kreg.ops.augmentation import swap_noise


@register
class SwapNoise(VariableMagnitude, keras.layers.Layer):
    """Replaces a fraction of each row's values with values from other rows.

    In training, each entry ``x[i, j]`` is, with probability ``magnitude``,
    replaced by ``x[r, j]`` from a row ``r`` drawn uniformly from the batch
    (possibly ``i`` itself, with probability ``1 / batch``); see
    :func:`kreg.ops.swap_noise`. Every column keeps its own marginal
    distribution, so categorical codes stay valid codes: the noise that won
    the Porto Seguro competition (Jahrer 2017) with denoising autoencoders.
    Use batches of a fair size: the donors come from the batch.

    ``magnitude`` is a variable (``layer.magnitude = 0.2`` changes it with no
    retracing; ``kreg.callbacks.AugmentationSchedule`` ramps it).

    Args:
        magnitude: probability that an entry is swapped, in [0, 1].
            Defaults to `0.1`.
        seed: an int for reproducible swaps, or `None`. Defaults to `None`.
        **kwargs: base layer arguments (``name``, ``dtype``...).

    Call arguments:
        inputs: a table, shape ``(batch, features)``, any dtype.
        training: swap only if True; otherwise the inputs are returned as is.

    Example:

    >>> x = np.arange(8, dtype="float32").reshape(4, 2)
    >>> layer = kreg.layers.SwapNoise(0.5, seed=0)
    >>> out = keras.ops.convert_to_numpy(layer(x, training=True))
    >>> out.shape, set(out[:, 0]) <= {0.0, 2.0, 4.0, 6.0}
    ((4, 2), True)
    >>> bool(np.all(keras.ops.convert_to_numpy(layer(x)) == x))  # inference
    True
    """

    _magnitude_high = 1.0

    def __init__(self, magnitude: float = 0.1, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self._init_magnitude(magnitude)
        self.seed = None if seed is None else check_seed(seed, "SwapNoise")
        self.seed_generator = keras.random.SeedGenerator(seed)

    def build(self, input_shape):
        _check_shape(self, input_shape)

    def call(self, inputs, training=False):
        if not training:
            return inputs
        return swap_noise(inputs, self._magnitude, self.seed_generator)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "magnitude": self._magnitude_value(),
            "seed": self.seed,
        }

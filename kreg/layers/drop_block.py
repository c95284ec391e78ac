"""DropBlock2D: drops square blocks of a convolutional feature map."""

import keras

from kreg._api import register
from kreg._validation import check_choice, check_int, invalid_argument
from kreg.layers.variable_rate import VariableRate
from kreg.ops.dropout import drop_block


@register
class DropBlock2D(VariableRate, keras.layers.Layer):
    """DropBlock: zeroes contiguous square blocks of each feature map.

    Block centres are drawn per sample and per channel with probability
    ``gamma = 1 - (1 - rate) ** (1 / block_size**2)`` over the feature map
    padded by ``block_size - 1``; each zeroes a ``block_size x block_size``
    square (clipped at the borders). Every activation is then dropped with
    probability exactly ``rate``, for any height and width (``H != W`` too)
    and odd or even block sizes. The output is renormalized as in the paper:
    ``out = x * M * count(M) / count_ones(M)``. See
    :func:`kreg.ops.drop_block_mask`.

    Args:
        rate: the fraction of activations to drop, in [0, 1). Defaults to
            `0.1`. A variable: see :class:`kreg.layers.VariableRate`.
        block_size: side of the square blocks, at least 1. Defaults to `7`
            (the paper's choice for ResNet-50).
        data_format: `"channels_last"` or `"channels_first"`. Defaults to
            `None`, which means ``keras.config.image_data_format()``.
        seed: an int for reproducible masks, or `None`. Defaults to `None`.
        **kwargs: base layer arguments.

    Call arguments:
        inputs: a rank-4 tensor in ``data_format``.
        training: drops only when `True`; otherwise returns ``inputs``.

    Example:

    >>> layer = kreg.layers.DropBlock2D(0.2, block_size=3, seed=0)
    >>> x = np.ones((4, 16, 24, 8), "float32")
    >>> out = keras.ops.convert_to_numpy(layer(x, training=True))
    >>> abs(float(np.mean(out == 0)) - 0.2) < 0.03
    True

    References:
        Ghiasi, Lin & Le, "DropBlock: A regularization method for convolutional
        networks", NeurIPS 2018, https://arxiv.org/abs/1810.12890
    """

    def __init__(
        self,
        rate: float = 0.1,
        block_size: int = 7,
        data_format: str | None = None,
        seed: int | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self._init_rate(rate, seed)
        self.block_size = check_int(block_size, "block_size", "DropBlock2D", low=1)
        if data_format is None:
            data_format = keras.config.image_data_format()
        self.data_format = check_choice(
            data_format,
            "data_format",
            "DropBlock2D",
            ("channels_last", "channels_first"),
        )

    def build(self, input_shape):
        if len(input_shape) != 4:
            raise invalid_argument(
                "DropBlock2D",
                "input_shape",
                "a shape of rank 4 (batch, height, width, channels) or "
                "(batch, channels, height, width)",
                tuple(input_shape),
            )
        self.built = True

    def call(self, inputs, training=False):
        if not training:
            return inputs
        return drop_block(
            inputs, self._rate, self.block_size, self.seed_generator, self.data_format
        )

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            **self._rate_config(),
            "block_size": self.block_size,
            "data_format": self.data_format,
        }

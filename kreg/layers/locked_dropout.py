"""Locked (variational) dropout for sequences: one mask per sequence."""

import keras

from kreg._api import register
from kreg._validation import invalid_argument
from kreg.layers.variable_rate import VariableRate
from kreg.ops.dropout import locked_dropout


@register
class LockedDropout(VariableRate, keras.layers.Layer):
    """Variational dropout for sequences: the same mask at every time step.

    For inputs ``(batch, time, features...)`` one mask of shape
    ``(batch, 1, features...)`` is drawn per call: a feature dropped for a
    sequence is dropped at all its time steps, as Gal & Ghahramani's
    variational RNN dropout and AWD-LSTM's ``LockedDropout``. Kept entries are
    divided by ``1 - rate``.

    Args:
        rate: probability of dropping a feature of a sequence, in [0, 1).
            Defaults to `0.5`. A variable: see :class:`kreg.layers.VariableRate`.
        seed: an int for reproducible masks, or `None`. Defaults to `None`.
        **kwargs: base layer arguments.

    Call arguments:
        inputs: a tensor of rank 3 or more, ``(batch, time, features...)``.
        training: drops only when `True`; otherwise returns ``inputs``.

    Example:

    >>> layer = kreg.layers.LockedDropout(0.5, seed=0)
    >>> x = np.ones((2, 6, 4), "float32")
    >>> out = keras.ops.convert_to_numpy(layer(x, training=True))
    >>> bool(np.all(out == out[:, :1, :]))
    True

    References:
        Gal & Ghahramani, "A Theoretically Grounded Application of Dropout in
        Recurrent Neural Networks", NeurIPS 2016, https://arxiv.org/abs/1512.05287;
        Merity, Keskar & Socher, "Regularizing and Optimizing LSTM Language
        Models", ICLR 2018, https://arxiv.org/abs/1708.02182
    """

    def __init__(self, rate: float = 0.5, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self._init_rate(rate, seed)
        self.supports_masking = True

    def build(self, input_shape):
        if len(input_shape) < 3:
            raise invalid_argument(
                "LockedDropout",
                "input_shape",
                "a shape of rank >= 3, (batch, time, features...)",
                tuple(input_shape),
            )
        self.built = True

    def call(self, inputs, training=False):
        if not training:
            return inputs
        return locked_dropout(inputs, self._rate, self.seed_generator)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), **self._rate_config()}

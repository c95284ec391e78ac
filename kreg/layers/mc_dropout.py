"""Monte Carlo dropout: dropout that stays on at inference."""

import keras

from kreg._api import register
from kreg.layers.variable_rate import VariableRate
from kreg.ops.dropout import dropout


@register
class MCDropout(VariableRate, keras.layers.Layer):
    """Dropout that is active in training and at inference, for MC uncertainty.

    Every call drops each entry with probability ``rate`` and divides the kept
    ones by ``1 - rate``, whatever ``training`` says: by design, ``predict``
    gives a different sample each time. Average many of them with
    :func:`kreg.uncertainty.mc_predict`, which also works on models with
    plain ``keras.layers.Dropout``.

    Args:
        rate: probability of dropping an entry, in [0, 1). Defaults to `0.5`.
            A variable: see :class:`kreg.layers.VariableRate`.
        seed: an int for reproducible masks, or `None`. Defaults to `None`.
        **kwargs: base layer arguments (``name``, ``dtype``...).

    Call arguments:
        inputs: a tensor of any rank.
        training: ignored; the layer always drops.

    Example:

    >>> layer = kreg.layers.MCDropout(0.5, seed=0)
    >>> x = np.ones((2, 4), "float32")
    >>> a = keras.ops.convert_to_numpy(layer(x, training=False))
    >>> b = keras.ops.convert_to_numpy(layer(x, training=False))
    >>> bool(np.any(a != b)), sorted(set(a.ravel().tolist()))
    (True, [0.0, 2.0])

    References:
        Gal & Ghahramani, "Dropout as a Bayesian Approximation: Representing
        Model Uncertainty in Deep Learning", ICML 2016,
        https://arxiv.org/abs/1506.02142
    """

    def __init__(self, rate: float = 0.5, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self._init_rate(rate, seed)
        self.supports_masking = True

    def call(self, inputs, training=None):
        return dropout(inputs, self._rate, self.seed_generator)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), **self._rate_config()}

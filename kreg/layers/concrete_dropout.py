"""Concrete Dropout: a wrapper that learns the dropout rate of its layer."""

import math

import keras
import numpy as np
from keras import ops

from kreg._api import register
from kreg._validation import check_float, check_seed, invalid_argument
from kreg.ops.dropout import concrete_dropout, concrete_dropout_regularizer


@register
class ConcreteDropout(keras.layers.Wrapper):
    """Dropout on the inputs of a layer, with a learned rate (Concrete Dropout).

    The rate ``p = sigmoid(p_logit)`` is a trainable weight. In training the
    inputs go through a continuous relaxation of dropout (see
    :func:`kreg.ops.concrete_dropout`), so ``p`` gets gradients, and the
    layer adds the paper's regularization term with ``add_loss``:

    ``weight_regularizer * sum(W**2) / (1 - p)
    + dropout_regularizer * K * (p log p + (1 - p) log(1 - p))``

    where ``W`` is the wrapped layer's kernel and ``K`` the number of input
    units per example (see :func:`kreg.ops.concrete_dropout_regularizer`).
    With ``N`` training points, a prior length-scale ``l`` and precision
    ``tau`` the paper sets ``weight_regularizer = l**2 / N`` and
    ``dropout_regularizer = 2 / (tau * N)``. At inference the wrapped layer
    runs on the unchanged inputs (``training=False`` returns exactly
    ``layer(inputs)``); :func:`kreg.uncertainty.mc_predict` keeps the dropout on.

    The learned rate is read with ``float(wrapper.rate)``; it is saved with the
    model (as ``p_logit``). It cannot be assigned, so
    ``kreg.callbacks.DropoutSchedule`` leaves this layer alone.

    Args:
        layer: the layer to wrap; it must have a ``kernel`` (Dense, Conv...).
        weight_regularizer: the factor of the weight term, at least 0.
            Defaults to `1e-6`.
        dropout_regularizer: the factor of the entropy term, at least 0.
            Defaults to `1e-5`.
        init_min: lower end of the initial rate, in (0, 1). Defaults to `0.1`.
        init_max: upper end of the initial rate, in [init_min, 1). The initial
            rate is drawn uniformly between the logits of the two. Defaults to
            `0.1`.
        temperature: temperature of the relaxation, > 0. Defaults to `0.1`.
        seed: an int for reproducible masks and initial rate, or `None`.
            Defaults to `None`.
        **kwargs: base layer arguments.

    Call arguments:
        inputs: the inputs of the wrapped layer, rank 2 or more.
        training: applies the relaxed dropout only when `True`.

    Example:

    >>> layer = kreg.layers.ConcreteDropout(keras.layers.Dense(4), init_min=0.2,
    ...                                     init_max=0.2)
    >>> out = layer(np.ones((3, 5), "float32"), training=True)
    >>> round(float(layer.rate), 3), len(layer.losses)
    (0.2, 1)

    References:
        Gal, Hron & Kendall, "Concrete Dropout", NeurIPS 2017,
        https://arxiv.org/abs/1705.07832
    """

    def __init__(
        self,
        layer: keras.layers.Layer,
        weight_regularizer: float = 1e-6,
        dropout_regularizer: float = 1e-5,
        init_min: float = 0.1,
        init_max: float = 0.1,
        temperature: float = 0.1,
        seed: int | None = None,
        **kwargs,
    ):
        owner = "ConcreteDropout"
        if not isinstance(layer, keras.layers.Layer):
            raise invalid_argument(owner, "layer", "a keras.layers.Layer", layer)
        super().__init__(layer, **kwargs)
        self.weight_regularizer = check_float(
            weight_regularizer, "weight_regularizer", owner, low=0.0
        )
        self.dropout_regularizer = check_float(
            dropout_regularizer, "dropout_regularizer", owner, low=0.0
        )
        self.init_min = check_float(
            init_min,
            "init_min",
            owner,
            low=0.0,
            high=1.0,
            low_inclusive=False,
            high_inclusive=False,
        )
        self.init_max = check_float(
            init_max,
            "init_max",
            owner,
            low=self.init_min,
            high=1.0,
            high_inclusive=False,
        )
        self.temperature = check_float(
            temperature, "temperature", owner, low=0.0, low_inclusive=False
        )
        if seed is not None:
            seed = check_seed(seed, owner)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        low, high = _logit(self.init_min), _logit(self.init_max)
        if low == high:
            initializer = keras.initializers.Constant(low)
        else:
            initializer = keras.initializers.RandomUniform(low, high, seed=seed)
        self.p_logit = self.add_weight(
            shape=(),
            initializer=initializer,
            dtype="float32",
            trainable=True,
            autocast=False,
            name="p_logit",
        )
        self._input_dim = None

    @property
    def rate(self):
        """The learned rate ``sigmoid(p_logit)``, a float32 scalar tensor."""
        return ops.sigmoid(self.p_logit)

    @rate.setter
    def rate(self, value) -> None:
        raise AttributeError(
            "The rate of ConcreteDropout is learned and cannot be assigned; "
            "set `init_min`/`init_max` or assign `p_logit` instead."
        )

    def build(self, input_shape):
        if len(input_shape) < 2 or any(d is None for d in input_shape[1:]):
            raise invalid_argument(
                "ConcreteDropout",
                "input_shape",
                "a shape of rank >= 2 with known non-batch dimensions",
                tuple(input_shape),
            )
        super().build(input_shape)
        if getattr(self.layer, "kernel", None) is None:
            raise invalid_argument(
                "ConcreteDropout",
                "layer",
                "a layer with a `kernel` (Dense, Conv...)",
                self.layer.name,
            )
        self._input_dim = int(np.prod(input_shape[1:]))
        self.built = True

    def call(self, inputs, training=False):
        p = ops.sigmoid(self.p_logit)
        self.add_loss(
            concrete_dropout_regularizer(
                self.layer.kernel,
                p,
                self._input_dim,
                self.weight_regularizer,
                self.dropout_regularizer,
            )
        )
        if training:
            inputs = concrete_dropout(inputs, p, self.seed_generator, self.temperature)
        return self.layer(inputs)

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "weight_regularizer": self.weight_regularizer,
            "dropout_regularizer": self.dropout_regularizer,
            "init_min": self.init_min,
            "init_max": self.init_max,
            "temperature": self.temperature,
            "seed": self.seed,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        # Wrapper.from_config pops "layer" from the dict it is given.
        return super().from_config(dict(config), custom_objects=custom_objects)


def _logit(p: float) -> float:
    return math.log(p) - math.log(1.0 - p)

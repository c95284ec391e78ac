"""A Dense layer for many independent models at once: a member axis on every weight."""

import keras
import numpy as np
from keras import ops

from kreg._api import register
from kreg._validation import check_int, invalid_argument


@register
class StackedDense(keras.layers.Layer):
    """``members`` independent Dense layers, computed by one ``einsum``.

    The kernel has shape ``(members, inputs, units)`` and the bias
    ``(members, units)``: member ``m`` is an ordinary
    ``Dense(units)`` with kernel ``kernel[m]`` and bias ``bias[m]``. Members
    share no weight, so a loss that is a sum of per-member losses trains them
    exactly as separate models, in one step of one compiled function: the
    ~1 ms of framework overhead per step is paid once for all members.

    The input is either shared, ``(batch, inputs)``, the same features fed to
    every member, or per member, ``(batch, members, inputs)`` (the output of a
    previous stacked layer). The output is always ``(batch, members, units)``.

    Each member's kernel is drawn by ``kernel_initializer`` with the fan of
    one member (a 3-D shape would otherwise count the member axis in the fan);
    an initializer with an integer seed gets seed ``seed + m`` for member
    ``m``, so members differ. A kreg regularizer with one strength per member
    (``kreg.regularizers.L1([0.1, 0.01])``) penalizes each member with its own
    strength: ``sum_m strength[m] * penalty(kernel[m])``.

    Args:
        units: output units of each member.
        members: number of members, at least 1.
        activation: activation applied to each member's output. Defaults to
            `None` (linear).
        use_bias: whether each member has a bias. Defaults to `True`.
        kernel_initializer: initializer of one member's ``(inputs, units)``
            kernel. Defaults to `"glorot_uniform"`.
        bias_initializer: initializer of the bias. Defaults to `"zeros"`.
        kernel_regularizer: regularizer of the stacked kernel. Defaults to
            `None`.
        bias_regularizer: regularizer of the stacked bias. Defaults to `None`.
        **kwargs: base layer arguments.

    Call arguments:
        inputs: ``(batch, inputs)`` or ``(batch, members, inputs)``.

    Returns:
        ``(batch, members, units)``.

    Example:

    >>> layer = kreg.layers.StackedDense(3, members=5)
    >>> tuple(layer(np.ones((2, 4), "float32")).shape)
    (2, 5, 3)
    >>> tuple(layer.kernel.shape), tuple(layer.bias.shape)
    ((5, 4, 3), (5, 3))
    """

    def __init__(
        self,
        units: int,
        members: int,
        activation=None,
        use_bias: bool = True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        owner = type(self).__name__
        self.units = check_int(units, "units", owner, low=1)
        self.members = check_int(members, "members", owner, low=1)
        if not isinstance(use_bias, bool):
            raise invalid_argument(owner, "use_bias", "a bool", use_bias)
        self.use_bias = use_bias
        self.activation = keras.activations.get(activation)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.bias_regularizer = keras.regularizers.get(bias_regularizer)
        self.input_spec = keras.InputSpec(min_ndim=2, max_ndim=3)

    def build(self, input_shape):
        if len(input_shape) == 3 and input_shape[1] != self.members:
            raise invalid_argument(
                type(self).__name__,
                "input_shape",
                f"(batch, inputs) or (batch, {self.members}, inputs)",
                tuple(input_shape),
            )
        fan_in = int(input_shape[-1])
        self.kernel = self.add_weight(
            shape=(self.members, fan_in, self.units),
            initializer=member_initializer(self.kernel_initializer, self.members),
            regularizer=self.kernel_regularizer,
            name="kernel",
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(self.members, self.units),
                initializer=member_initializer(self.bias_initializer, self.members),
                regularizer=self.bias_regularizer,
                name="bias",
            )

    def call(self, inputs):
        equation = "bi,mio->bmo" if len(inputs.shape) == 2 else "bmi,mio->bmo"
        outputs = ops.einsum(equation, inputs, self.kernel)
        if self.bias is not None:
            outputs = outputs + self.bias
        return self.activation(outputs) if self.activation else outputs

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.members, self.units)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "units": self.units,
            "members": self.members,
            "activation": keras.activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "bias_initializer": keras.initializers.serialize(self.bias_initializer),
            "kernel_regularizer": keras.regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": keras.regularizers.serialize(self.bias_regularizer),
        }


def member_initializer(initializer, members: int):
    """An initializer of a stacked weight that draws each member's slice alone.

    Keras' variance-scaling initializers count every axis but the last two in
    the fan, so drawing ``(members, inputs, units)`` at once would shrink the
    weights by ``sqrt(members)``. A seeded initializer gets ``seed + m`` for
    member ``m`` (one seed for all would make every member the same model).
    """

    def initialize(shape, dtype=None):
        config = initializer.get_config()
        seed = config.get("seed", False)
        if seed is None:
            # Keras fixes an unseeded initializer's seed when it is made, so
            # every call would draw the same values: draw a base seed here,
            # from numpy's global state (``keras.utils.set_random_seed`` sets it).
            seed = int(np.random.randint(0, 2**31 - 1 - members))  # noqa: NPY002
        slices = []
        for m in range(members):
            member = initializer
            if isinstance(seed, int) and not isinstance(seed, bool):
                member = type(initializer).from_config({**config, "seed": seed + m})
            slices.append(member(tuple(shape[1:]), dtype=dtype))
        return ops.stack(slices)

    return initialize

"""DropConnect: a Dense layer that drops weights instead of activations."""

import keras
from keras import ops

from kreg._api import register
from kreg._validation import check_int, invalid_argument
from kreg.layers.variable_rate import VariableRate
from kreg.ops.dropout import drop_connect


@register
class DropConnectDense(VariableRate, keras.layers.Dense):
    """A Dense layer with DropConnect on its kernel.

    In training each weight of the kernel is zeroed with probability ``rate``
    and the kept ones are divided by ``1 - rate`` (inverted scaling), so
    inference is the plain Dense layer: ``y = act(x @ (W * M / (1 - rate)) + b)``
    with ``M_ij ~ Bernoulli(1 - rate)``. The bias is not dropped. One mask is
    drawn per call and shared by the batch (Wan et al. draw one per example,
    which costs a kernel per example); under
    :func:`kreg.uncertainty.mc_predict` each Monte Carlo sample gets its own.

    Args:
        units: the number of outputs.
        rate: probability of dropping a weight, in [0, 1). Defaults to `0.5`.
            A variable: see :class:`kreg.layers.VariableRate`.
        seed: an int for reproducible masks, or `None`. Defaults to `None`.
        **kwargs: every argument of ``keras.layers.Dense`` (``activation``,
            ``use_bias``, initializers, regularizers, constraints) and base
            layer arguments.

    Call arguments:
        inputs: a tensor ``(batch, ..., features)``.
        training: drops weights only when `True`.

    Example:

    >>> layer = kreg.layers.DropConnectDense(3, rate=0.5, seed=0)
    >>> x = np.ones((2, 4), "float32")
    >>> eval_out = layer(x, training=False)
    >>> bool(np.allclose(eval_out, x @ layer.kernel.numpy()))
    True

    References:
        Wan, Zeiler, Zhang, LeCun & Fergus, "Regularization of Neural Networks
        using DropConnect", ICML 2013, https://proceedings.mlr.press/v28/wan13.html
    """

    def __init__(
        self, units: int, rate: float = 0.5, seed: int | None = None, **kwargs
    ):
        # Dense takes True for 1; a count of units must be an integer.
        units = check_int(units, "units", type(self).__name__, low=1)
        super().__init__(units, **kwargs)
        self._init_rate(rate, seed)
        # Set by kreg.uncertainty.mc_predict: the batch holds this many stacked
        # copies of the data, and each copy gets its own weight mask.
        self._mc_groups = None
        # Dense's input spec would reject a bad rank before build(), in its own
        # words; build() raises kreg's error instead (and then sets the spec).
        self.input_spec = None

    def build(self, input_shape):
        if len(input_shape) < 2:
            raise invalid_argument(
                "DropConnectDense",
                "input_shape",
                "a shape of rank >= 2, (batch, ..., features)",
                tuple(input_shape),
            )
        super().build(input_shape)

    def call(self, inputs, training=None):
        kernel = self.kernel
        if not training:
            outputs = ops.matmul(inputs, kernel)
        elif self._mc_groups is None:
            outputs = ops.matmul(
                inputs, drop_connect(kernel, self._rate, self.seed_generator)
            )
        else:
            groups = self._mc_groups
            kernels = drop_connect(kernel, self._rate, self.seed_generator, groups)
            shape = ops.shape(inputs)
            grouped = ops.reshape(inputs, (groups, -1, shape[-1]))
            outputs = ops.reshape(
                ops.matmul(grouped, kernels), tuple(shape[:-1]) + (self.units,)
            )
        if self.bias is not None:
            outputs = ops.add(outputs, self.bias)
        if self.activation is not None:
            outputs = self.activation(outputs)
        return outputs

    # Dense saves its kernel and bias by position; the rate goes beside them.
    def save_own_variables(self, store):
        super().save_own_variables(store)
        if self.built:
            store["rate"] = self._rate

    def load_own_variables(self, store):
        super().load_own_variables(store)
        if self.built and "rate" in store:
            self._rate.assign(store["rate"])

    def get_config(self) -> dict:
        return {**super().get_config(), **self._rate_config()}

"""BatchEnsemble's Dense layer: one shared kernel, cheap rank-1 adapters per member."""

import keras
from keras import ops

from kreg._api import register
from kreg._validation import check_choice, check_int, check_seed, invalid_argument

ADAPTER_INITS = ("random_signs", "ones", "normal")


@register
class BatchEnsembleDense(keras.layers.Layer):
    """A Dense layer shared by ``members`` ensemble members, each with adapters.

    Member ``m`` computes ``((x * r[m]) @ W) * s[m] + b[m]``: ``W`` is one
    ``(inputs, units)`` kernel for all members, ``r`` ``(members, inputs)``
    and ``s`` ``(members, units)`` are the members' rank-1 "fast weights"
    (the kernel of member ``m`` is ``W * outer(r[m], s[m])``), and ``b`` a
    bias per member. An ensemble of ``members`` nets then costs about one net
    in parameters and one batched matrix product in time (Wen et al. 2020);
    TabM (Gorishniy et al. 2025) uses it for tabular MLPs.

    Args:
        units: output units of each member.
        members: number of members, at least 1.
        activation: activation of each member's output. Defaults to `None`.
        use_bias: whether each member has a bias. Defaults to `True`.
        input_adapter: whether members have ``r``. Defaults to `True`.
        output_adapter: whether members have ``s``. Defaults to `True`.
        adapter_init: `"random_signs"` (±1, TabM's choice for the first
            layer: members differ from the first step), `"normal"` (mean 1,
            std 0.5, as BatchEnsemble) or `"ones"` (members start equal and
            differ only through their inputs). Defaults to `"random_signs"`.
        kernel_initializer: of the shared kernel. Defaults to
            `"glorot_uniform"`.
        kernel_regularizer: of the shared kernel. Defaults to `None`.
        seed: an int for reproducible adapters, or `None`. Defaults to `None`.
        **kwargs: base layer arguments.

    Call arguments:
        inputs: ``(batch, inputs)`` (shared) or ``(batch, members, inputs)``.

    Returns:
        ``(batch, members, units)``.

    Example:

    >>> layer = kreg.layers.BatchEnsembleDense(8, members=4, seed=0)
    >>> tuple(layer(np.ones((2, 3), "float32")).shape)
    (2, 4, 8)
    >>> layer.count_params()  # 3*8 shared + 4*(3 + 8 + 8) per member
    100

    References:
        Wen, Tran & Ba, "BatchEnsemble: an alternative approach to efficient
        ensemble and lifelong learning", ICLR 2020,
        https://arxiv.org/abs/2002.06715. Gorishniy, Kotelnikov & Babenko,
        "TabM: advancing tabular deep learning with parameter-efficient
        ensembling", ICLR 2025, https://arxiv.org/abs/2410.24210
    """

    def __init__(
        self,
        units: int,
        members: int,
        activation=None,
        use_bias: bool = True,
        input_adapter: bool = True,
        output_adapter: bool = True,
        adapter_init: str = "random_signs",
        kernel_initializer="glorot_uniform",
        kernel_regularizer=None,
        seed: int | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        owner = type(self).__name__
        self.units = check_int(units, "units", owner, low=1)
        self.members = check_int(members, "members", owner, low=1)
        for name, value in (
            ("use_bias", use_bias),
            ("input_adapter", input_adapter),
            ("output_adapter", output_adapter),
        ):
            if not isinstance(value, bool):
                raise invalid_argument(owner, name, "a bool", value)
        self.use_bias = use_bias
        self.input_adapter = input_adapter
        self.output_adapter = output_adapter
        self.adapter_init = check_choice(
            adapter_init, "adapter_init", owner, ADAPTER_INITS
        )
        if seed is not None:
            seed = check_seed(seed, owner)
        self.seed = seed
        self.activation = keras.activations.get(activation)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.input_spec = keras.InputSpec(min_ndim=2, max_ndim=3)

    def _adapter(self, shape, name, offset):
        seed = None if self.seed is None else self.seed + offset
        if self.adapter_init == "ones":
            initializer = "ones"
        elif self.adapter_init == "normal":
            initializer = keras.initializers.RandomNormal(1.0, 0.5, seed=seed)
        else:
            generator = keras.random.SeedGenerator(seed)

            def initializer(shape, dtype=None):
                draw = keras.random.uniform(shape, seed=generator)
                return ops.cast(ops.where(draw < 0.5, -1.0, 1.0), dtype or "float32")

        return self.add_weight(shape=shape, initializer=initializer, name=name)

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
            shape=(fan_in, self.units),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            name="kernel",
        )
        self.r = self.s = self.bias = None
        if self.input_adapter:
            self.r = self._adapter((self.members, fan_in), "r", 0)
        if self.output_adapter:
            self.s = self._adapter((self.members, self.units), "s", 1)
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(self.members, self.units), initializer="zeros", name="bias"
            )

    def call(self, inputs):
        if len(inputs.shape) == 2:
            inputs = ops.expand_dims(inputs, 1)  # broadcast over members
        if self.r is not None:
            inputs = inputs * self.r
        outputs = ops.matmul(inputs, self.kernel)
        if outputs.shape[1] == 1 and self.members > 1:
            outputs = ops.repeat(outputs, self.members, axis=1)
        if self.s is not None:
            outputs = outputs * self.s
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
            "input_adapter": self.input_adapter,
            "output_adapter": self.output_adapter,
            "adapter_init": self.adapter_init,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "kernel_regularizer": keras.regularizers.serialize(self.kernel_regularizer),
            "seed": self.seed,
        }

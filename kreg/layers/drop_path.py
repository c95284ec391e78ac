"""DropPath (stochastic depth) for residual branches, and its depth rule."""

import keras

from kreg._api import register
from kreg._validation import MAX_LENGTH, check_float, check_int, invalid_argument
from kreg.layers.variable_rate import VariableRate
from kreg.ops.dropout import drop_path


@register
class DropPath(VariableRate, keras.layers.Layer):
    """Stochastic depth: drops a residual branch for whole samples.

    Put it on the branch, before the addition: ``x + DropPath(r)(f(x))``. Each
    sample's branch is dropped with probability ``rate`` (one Bernoulli draw
    per sample, not one per batch as keras-cv's and TensorFlow Addons'
    ``StochasticDepth``), and kept branches are divided by ``1 - rate``
    (``scale_by_keep``), so inference uses the branch unchanged.

    Args:
        rate: probability of dropping a sample's branch, in [0, 1). Defaults to
            `0.1`. A variable: see :class:`kreg.layers.VariableRate`.
        scale_by_keep: divide kept branches by ``1 - rate``. Defaults to
            `True`.
        seed: an int for reproducible masks, or `None`. Defaults to `None`.
        **kwargs: base layer arguments.

    Call arguments:
        inputs: a tensor ``(batch, ...)`` of rank 2 or more.
        training: drops only when `True`; otherwise returns ``inputs``.

    Example:

    >>> inputs = keras.Input((8,))
    >>> branch = keras.layers.Dense(8)(inputs)
    >>> outputs = inputs + kreg.layers.DropPath(0.2, seed=0)(branch)
    >>> model = keras.Model(inputs, outputs)

    References:
        Huang et al., "Deep Networks with Stochastic Depth", ECCV 2016,
        https://arxiv.org/abs/1603.09382
    """

    def __init__(
        self,
        rate: float = 0.1,
        scale_by_keep: bool = True,
        seed: int | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self._init_rate(rate, seed)
        if not isinstance(scale_by_keep, bool):
            raise invalid_argument("DropPath", "scale_by_keep", "a bool", scale_by_keep)
        self.scale_by_keep = scale_by_keep
        self.supports_masking = True

    def build(self, input_shape):
        if len(input_shape) < 2:
            raise invalid_argument(
                "DropPath",
                "input_shape",
                "a shape of rank >= 2, (batch, ...)",
                tuple(input_shape),
            )
        self.built = True

    def call(self, inputs, training=False):
        if not training:
            return inputs
        return drop_path(inputs, self._rate, self.seed_generator, self.scale_by_keep)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            **self._rate_config(),
            "scale_by_keep": self.scale_by_keep,
        }


def drop_path_rates(max_rate: float, depth) -> list:
    """Stochastic depth rates that grow linearly with depth, as timm's.

    Block ``i`` of ``n`` gets ``max_rate * i / (n - 1)``: 0 for the first
    block, ``max_rate`` for the last (timm's ``calculate_drop_path_rates``;
    the linear decay rule of Huang et al.). ``depth`` may be a list of stage
    depths: the rates then run over all blocks and come back split per stage.

    Args:
        max_rate: the rate of the deepest block, in [0, 1).
        depth: the number of blocks (an int at least 1), or a list of the
            numbers of blocks per stage.

    Returns:
        A list of floats, or a list of lists of floats (one per stage).

    Example:

    >>> kreg.layers.drop_path_rates(0.3, 4)
    [0.0, 0.1, 0.2, 0.3]
    >>> kreg.layers.drop_path_rates(0.2, [2, 1])
    [[0.0, 0.1], [0.2]]
    >>> blocks = [kreg.layers.DropPath(r) for r in kreg.layers.drop_path_rates(0.2, 3)]

    References:
        Huang et al., "Deep Networks with Stochastic Depth", ECCV 2016,
        https://arxiv.org/abs/1603.09382
    """
    owner = "drop_path_rates"
    max_rate = check_float(
        max_rate, "max_rate", owner, low=0.0, high=1.0, high_inclusive=False
    )
    if isinstance(depth, (list, tuple)):
        if not depth:
            raise invalid_argument(
                owner, "depth", "an integer >= 1 or a non-empty list of them", depth
            )
        stages = [check_int(d, "depth", owner, low=1) for d in depth]
        if sum(stages) > MAX_LENGTH:
            raise invalid_argument(
                owner, "depth", f"at most {MAX_LENGTH} blocks in all", depth
            )
        flat = _linear_rates(max_rate, sum(stages))
        out, start = [], 0
        for size in stages:
            out.append(flat[start : start + size])
            start += size
        return out
    depth = check_int(depth, "depth", owner, low=1, high=MAX_LENGTH)
    return _linear_rates(max_rate, depth)


def _linear_rates(max_rate: float, n: int) -> list:
    if n == 1:
        return [0.0]
    # Rounded to 12 digits so 0.3 * 1 / 3 reads 0.1, not 0.09999999999999999.
    return [round(max_rate * i / (n - 1), 12) for i in range(n)]

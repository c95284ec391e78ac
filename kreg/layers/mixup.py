"""mixup for tabular (non-image) inputs and their labels."""

import keras

from kreg._api import register
from kreg._validation import check_seed, invalid_argument
from kreg.layers._magnitude import VariableMagnitude
from kreg.ops.augmentation import mixup


@register
class TabularMixUp(VariableMagnitude, keras.layers.Layer):
    """mixup of features and labels together, for tables and other non-images.

    ``keras.layers.MixUp`` mixes images (rank-4 batches). This layer mixes
    any features (a table, a sequence, a dict of columns) with their float
    labels: ``x' = lam * x + (1 - lam) * x[p]``, ``y' = lam * y + (1 - lam) *
    y[p]``, ``lam ~ Beta(alpha, alpha)`` per example, ``p`` a random
    permutation of the batch (:func:`kreg.ops.mixup`).

    A model never sees its labels in ``call``, so this layer works on
    ``(features, labels)`` pairs in the input pipeline, on the TensorFlow
    backend::

        mix = kreg.layers.TabularMixUp(alpha=0.2)
        train = train.batch(64).map(lambda x, y: mix((x, y), training=True))

    Map after ``batch`` (pairs come from the batch) and only on the training
    set. Labels must be floats: one-hot classes (``keras.ops.one_hot``), or
    regression targets. ``alpha`` is a variable read at every call of the
    traced map function: ``kreg.callbacks.AugmentationSchedule(layers=[mix],
    off_last_epochs=2)`` ramps it or turns mixup off (``alpha = 0`` means
    ``lam = 1``) without rebuilding the pipeline; batches already prefetched
    keep the value they were made with.

    Args:
        alpha: the Beta distribution's parameter, >= 0 (the paper uses 0.1
            to 0.4). Also ``layer.magnitude``. Defaults to `0.2`.
        seed: an int for reproducible mixing, or `None`. Defaults to `None`.
        **kwargs: base layer arguments (``name``, ``dtype``...).

    Call arguments:
        inputs: a pair ``(x, y)``; each a tensor or a structure of tensors.
        training: mix only if True; otherwise the pair is returned as is.

    Example:

    >>> mix = kreg.layers.TabularMixUp(alpha=0.4, seed=1)
    >>> x = np.array([[0.0], [10.0]], "float32")
    >>> y = np.array([[1.0, 0.0], [0.0, 1.0]], "float32")
    >>> xm, ym = mix((x, y), training=True)
    >>> np.round(keras.ops.convert_to_numpy(ym).sum(axis=1), 5)  # still sums to 1
    array([1., 1.], dtype=float32)

    References:
        - Zhang et al., "mixup: Beyond Empirical Risk Minimization", ICLR
          2018, https://arxiv.org/abs/1710.09412
    """

    _magnitude_argument = "alpha"

    def __init__(self, alpha: float = 0.2, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self._init_magnitude(alpha)
        self.seed = None if seed is None else check_seed(seed, "TabularMixUp")
        self.seed_generator = keras.random.SeedGenerator(seed)

    @property
    def alpha(self) -> keras.Variable:
        """The alpha variable; the same as ``magnitude``."""
        return self._magnitude

    @alpha.setter
    def alpha(self, value: float) -> None:
        self.magnitude = value

    def call(self, inputs, training=False):
        if not isinstance(inputs, (tuple, list)) or len(inputs) != 2:
            raise invalid_argument(
                "TabularMixUp", "inputs", "a pair (x, y)", type(inputs).__name__
            )
        if not training:
            return tuple(inputs)
        return mixup(inputs[0], inputs[1], self._magnitude, self.seed_generator)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "alpha": self._magnitude_value(),
            "seed": self.seed,
        }

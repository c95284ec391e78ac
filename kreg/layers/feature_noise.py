"""Gaussian noise scaled per feature, for tabular inputs."""

import keras
import numpy as np

from kreg._api import register
from kreg._validation import check_seed, invalid_argument
from kreg.layers._magnitude import VariableMagnitude
from kreg.ops.augmentation import feature_noise


@register
class FeatureNoise(VariableMagnitude, keras.layers.Layer):
    """Adds Gaussian noise scaled by each feature's spread, in training only.

    ``out[:, j] = x[:, j] + magnitude * std_j * eps`` with ``eps ~ N(0, 1)``:
    the same relative noise on a feature in euros and one in millions, where
    ``keras.layers.GaussianNoise`` adds one ``stddev`` to all. ``std_j`` is,
    in order of preference: the ``feature_std`` given, the one measured by
    :meth:`adapt` on training data (saved in the config), or the batch's own
    std (the default, no set-up needed). ``features`` restricts the noise to
    some columns (leave one-hot and id columns out).

    ``magnitude`` is a variable (``layer.magnitude = 0.05`` changes it with
    no retracing; ``kreg.callbacks.AugmentationSchedule`` ramps it).

    Args:
        magnitude: noise in units of each feature's std, >= 0. Defaults to
            `0.1`.
        feature_std: per-feature standard deviations, or `None`. Defaults to
            `None`.
        features: indices of the columns that get noise, or `None` (all).
            Defaults to `None`.
        seed: an int for reproducible noise, or `None`. Defaults to `None`.
        **kwargs: base layer arguments (``name``, ``dtype``...).

    Call arguments:
        inputs: a float table, shape ``(batch, features)``.
        training: noise only if True; otherwise the inputs are returned as is.

    Example:

    >>> x = np.array([[1.0, 100.0], [3.0, 300.0]], "float32")
    >>> layer = kreg.layers.FeatureNoise(0.1, features=[1], seed=0)
    >>> layer.adapt(x)  # std per feature: 1 and 100
    >>> layer.feature_std
    [1.0, 100.0]
    >>> out = keras.ops.convert_to_numpy(layer(x, training=True))
    >>> bool(np.all(out[:, 0] == x[:, 0])), bool(np.all(out[:, 1] != x[:, 1]))
    (True, True)
    """

    def __init__(
        self,
        magnitude: float = 0.1,
        feature_std=None,
        features=None,
        seed: int | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self._init_magnitude(magnitude)
        self.feature_std = _check_std(feature_std)
        if features is not None:
            if (
                not isinstance(features, (list, tuple))
                or not features
                or any(
                    isinstance(f, bool) or not isinstance(f, int) or f < 0
                    for f in features
                )
            ):
                raise invalid_argument(
                    "FeatureNoise",
                    "features",
                    "None or a non-empty list of column indices (ints >= 0)",
                    features,
                )
            features = sorted(set(features))
        self.features = features
        self.seed = None if seed is None else check_seed(seed, "FeatureNoise")
        self.seed_generator = keras.random.SeedGenerator(seed)

    def build(self, input_shape):
        _check_shape(self, input_shape)
        width = input_shape[-1]
        if self.feature_std is not None and len(self.feature_std) != width:
            raise ValueError(
                f"FeatureNoise got {len(self.feature_std)} values in `feature_std` "
                f"for inputs with {width} features."
            )
        if self.features is not None and self.features[-1] >= width:
            raise ValueError(
                f"FeatureNoise: column {self.features[-1]} in `features` is out of "
                f"range for inputs with {width} features."
            )

    def adapt(self, data) -> None:
        """Measures each feature's std on ``data`` (a numpy table) and keeps it."""
        array = np.asarray(data, dtype="float64")
        if array.ndim != 2 or len(array) < 2:
            raise invalid_argument(
                "FeatureNoise", "data", "a 2-D table with at least 2 rows", data
            )
        self.feature_std = [float(s) for s in array.std(axis=0)]

    def call(self, inputs, training=False):
        if not training:
            return inputs
        mask = None
        if self.features is not None:
            mask = np.zeros(inputs.shape[-1], "float32")
            mask[self.features] = 1.0
        return feature_noise(
            inputs, self._magnitude, self.feature_std, mask, self.seed_generator
        )

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "magnitude": self._magnitude_value(),
            "feature_std": self.feature_std,
            "features": self.features,
            "seed": self.seed,
        }


def _check_std(std):
    if std is None:
        return None
    try:
        array = np.asarray(std, dtype="float64")
    except (TypeError, ValueError):
        array = None
    if (
        array is None
        or array.ndim != 1
        or array.size == 0
        or not np.all(np.isfinite(array))
        or np.any(array < 0)
    ):
        raise invalid_argument(
            "FeatureNoise",
            "feature_std",
            "None or a 1-D list of non-negative finite floats",
            std,
        )
    return [float(s) for s in array]


def _check_shape(layer, input_shape) -> None:
    if len(input_shape) != 2 or input_shape[-1] is None:
        raise ValueError(
            f"{type(layer).__name__} expects a table (batch, features) with a known "
            f"number of features; received input shape {tuple(input_shape)}."
        )

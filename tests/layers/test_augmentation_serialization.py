"""Meta-test: every augmentation layer through config, `.keras` and bad arguments."""

import keras
import numpy as np
import pytest

import kreg
from tests.helpers import (
    assert_config_roundtrip,
    assert_invalid,
    assert_saved_model_roundtrip,
)

X = np.random.default_rng(0).normal(size=(8, 3)).astype("float32")
Y = np.random.default_rng(1).normal(size=(8, 2)).astype("float32")

CASES = {
    "FeatureNoise": lambda: kreg.layers.FeatureNoise(
        0.3, feature_std=[1.0, 2.0, 3.0], features=[0, 2], seed=1
    ),
    "SwapNoise": lambda: kreg.layers.SwapNoise(0.2, seed=3),
    "TabularMixUp": lambda: kreg.layers.TabularMixUp(0.3, seed=2),
}


def call(layer, training):
    if isinstance(layer, kreg.layers.TabularMixUp):
        out = layer((X, Y), training=training)
        return np.concatenate([keras.ops.convert_to_numpy(t) for t in out], axis=1)
    return keras.ops.convert_to_numpy(layer(X, training=training))


def test_every_augmentation_layer_has_a_case():
    magnitude_layers = {
        name
        for name in kreg.layers.__all__
        if isinstance(getattr(kreg.layers, name), type)
        and isinstance(getattr(getattr(kreg.layers, name), "magnitude", None), property)
    }
    assert magnitude_layers == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_config_roundtrip_keeps_magnitude_and_seed(name):
    layer = CASES[name]()
    layer.magnitude = 0.25  # the config saves the variable's current value
    clone = assert_config_roundtrip(layer)
    assert float(clone.magnitude) == 0.25
    assert isinstance(clone.magnitude, keras.Variable)
    # Same seed in the config: the same first draw as a fresh original.
    fresh = CASES[name]()
    fresh.magnitude = 0.25
    np.testing.assert_array_equal(call(clone, True), call(fresh, True))
    np.testing.assert_array_equal(
        call(clone, False), np.concatenate([X, Y], 1) if name == "TabularMixUp" else X
    )


def test_keras_roundtrip_of_a_model_with_noise_layers(tmp_path):
    noise = kreg.layers.FeatureNoise(0.1, feature_std=[1.0, 1.0, 2.0], seed=0)
    swap = kreg.layers.SwapNoise(0.3, seed=0)
    model = keras.Sequential([keras.Input((3,)), noise, swap, keras.layers.Dense(2)])
    noise.magnitude = 0.05
    loaded = assert_saved_model_roundtrip(model, X, tmp_path)
    assert float(loaded.layers[0].magnitude) == pytest.approx(0.05)
    assert loaded.layers[0].feature_std == [1.0, 1.0, 2.0]
    assert float(loaded.layers[1].magnitude) == pytest.approx(0.3)


def test_keras_roundtrip_of_a_pipeline_model_with_mixup(tmp_path):
    x_in, y_in = keras.Input((3,)), keras.Input((2,))
    mixed = kreg.layers.TabularMixUp(0.4, seed=0)((x_in, y_in))
    model = keras.Model([x_in, y_in], list(mixed))
    path = str(tmp_path / "mix.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    for a, b in zip(
        loaded.predict([X, Y], verbose=0), model.predict([X, Y], verbose=0)
    ):
        np.testing.assert_array_equal(a, b)
    assert float(loaded.layers[-1].alpha) == pytest.approx(0.4)


BAD_ARGUMENTS = [
    (lambda: kreg.layers.FeatureNoise(-0.1), "magnitude", -0.1, "FeatureNoise"),
    (
        lambda: kreg.layers.FeatureNoise(feature_std=[1.0, -1.0]),
        "feature_std",
        [1.0, -1.0],
        "FeatureNoise",
    ),
    (
        lambda: kreg.layers.FeatureNoise(feature_std=[[1.0]]),
        "feature_std",
        [[1.0]],
        "FeatureNoise",
    ),
    (lambda: kreg.layers.FeatureNoise(features=[-1]), "features", [-1], "FeatureNoise"),
    (lambda: kreg.layers.FeatureNoise(features=[]), "features", [], "FeatureNoise"),
    (lambda: kreg.layers.FeatureNoise(seed="a"), "seed", "a", "FeatureNoise"),
    (
        lambda: kreg.layers.FeatureNoise().adapt(np.ones(3)),
        "data",
        np.ones(3),
        "FeatureNoise",
    ),
    (lambda: kreg.layers.SwapNoise(1.5), "magnitude", 1.5, "SwapNoise"),
    (
        lambda: kreg.layers.SwapNoise(float("nan")),
        "magnitude",
        float("nan"),
        "SwapNoise",
    ),
    (lambda: kreg.layers.TabularMixUp(-0.2), "alpha", -0.2, "TabularMixUp"),
    (lambda: kreg.layers.TabularMixUp(seed=1.5), "seed", 1.5, "TabularMixUp"),
]


def test_bad_arguments_raise_the_documented_message():
    for build, name, value, owner in BAD_ARGUMENTS:
        assert_invalid(build, name, value, owner)
    layer = kreg.layers.TabularMixUp()
    with pytest.raises(ValueError, match="`alpha` of TabularMixUp"):
        layer.alpha = -1.0

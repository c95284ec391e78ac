"""AugmentationSchedule: ramps, switch-off, pipelines, Keras layers refused."""

import copy

import keras
import numpy as np
import pytest
import tensorflow as tf

import kreg
from kreg.callbacks import AugmentationSchedule
from tests.helpers import TraceCounter

RNG = np.random.default_rng(0)
X = RNG.normal(size=(64, 4)).astype("float32")
Y = X.sum(axis=1, keepdims=True)  # Dense(ones) fits exactly: loss 0 without noise


def frozen(*layers):
    model = keras.Sequential(
        [keras.Input((4,)), *layers, keras.layers.Dense(1, kernel_initializer="ones")]
    )
    model.compile(keras.optimizers.SGD(0.0), "mse")
    return model


def test_in_model_ramp_and_off_epochs_show_in_the_loss_without_retracing():
    counter = TraceCounter()
    noise = kreg.layers.FeatureNoise(0.5, seed=0)
    model = frozen(counter, noise)
    model.fit(X, Y, epochs=1, batch_size=64, verbose=0)
    traces = counter.count
    schedule = AugmentationSchedule(
        "linear", start=0.0, end=1.0, epochs=2, off_last_epochs=2
    )
    history = model.fit(X, Y, epochs=5, batch_size=64, verbose=0, callbacks=[schedule])
    assert counter.count == traces
    assert history.history["aug_magnitude_scale"] == [0.0, 0.5, 1.0, 0.0, 0.0]
    loss = history.history["loss"]
    assert loss[0] < 1e-10 and loss[3] < 1e-10 and loss[4] < 1e-10
    assert 0.05 < loss[1] < loss[2]  # magnitude 0.25 then 0.5
    assert float(noise.magnitude) == 0.5  # restored


def test_off_epoch_is_absolute():
    schedule = AugmentationSchedule(off_epoch=3)
    assert [schedule.value_for_epoch(e) for e in range(5)] == [1, 1, 1, 0, 0]


def test_pipeline_layers_are_driven_when_passed():
    mix = kreg.layers.TabularMixUp(alpha=0.4, seed=0)
    y = np.concatenate([Y, -Y], axis=1)
    dataset = (
        tf.data.Dataset.from_tensor_slices((X, y))
        .batch(64)
        .map(lambda a, b: mix((a, b), training=True))
    )
    model = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(2, kernel_initializer="zeros")]
    )
    model.compile(keras.optimizers.SGD(0.0), "mse")
    # A deep copy (as KerasTuner makes) still drives the very layer given.
    schedule = copy.deepcopy(AugmentationSchedule(layers=[mix], off_epoch=1))
    history = model.fit(
        dataset, epochs=2, verbose=0, shuffle=False, callbacks=[schedule]
    )
    # Predictions are 0: loss = mean(y^2); mixing shrinks the targets.
    clean = float(np.mean(y**2))
    assert history.history["loss"][1] == pytest.approx(clean, rel=1e-6)
    assert history.history["loss"][0] < 0.9 * clean
    assert float(mix.alpha) == pytest.approx(0.4)


def test_no_layer_in_the_model_is_an_error_pointing_to_layers():
    model = frozen(keras.layers.GaussianNoise(0.1))
    with pytest.raises(ValueError, match="pass them as `layers=`"):
        model.fit(X, Y, epochs=1, verbose=0, callbacks=[AugmentationSchedule()])


@pytest.mark.parametrize(
    "layer",
    [
        keras.layers.MixUp(alpha=0.2),
        keras.layers.RandomErasing(),
        keras.layers.GaussianNoise(0.1),
    ],
)
def test_keras_augmentation_layers_are_refused_with_the_reason(layer):
    with pytest.raises(ValueError, match="magnitude is a Python float.*retrace"):
        AugmentationSchedule(layers=[layer])

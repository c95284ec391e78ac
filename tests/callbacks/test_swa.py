"""SWA: the average against numpy, BN statistics re-estimated exactly."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from kreg.callbacks import SWA

RNG = np.random.default_rng(0)
X = RNG.normal(size=(32, 3)).astype("float32")
Y = (X @ RNG.normal(size=(3, 1))).astype("float32")


def recorder(model, store):
    return keras.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: store.append(
            [v.numpy().copy() for v in model.trainable_weights]
        )
    )


def mlp(batch_norm=False):
    layers = [keras.Input((3,)), keras.layers.Dense(4, name="hidden")]
    if batch_norm:
        layers.append(keras.layers.BatchNormalization(name="bn"))
    layers.append(keras.layers.Dense(1))
    model = keras.Sequential(layers)
    model.compile(keras.optimizers.SGD(0.05), "mse")
    return model


def test_average_of_the_chosen_epochs():
    model = mlp()
    seen = []
    swa = SWA(start_epoch=1, frequency=2)
    history = model.fit(
        X, Y, epochs=6, batch_size=8, verbose=0, callbacks=[recorder(model, seen), swa]
    )
    assert history.history["swa_n"] == [0, 1, 1, 2, 2, 3]
    for i, variable in enumerate(model.trainable_weights):
        expected = np.mean([seen[e][i] for e in (1, 3, 5)], axis=0)
        np.testing.assert_allclose(variable.numpy(), expected, rtol=1e-6, atol=1e-7)
    # The last iterate is kept aside.
    np.testing.assert_array_equal(swa.final_weights[0], seen[5][0])


@pytest.mark.parametrize("as_dataset", [False, True])
def test_batch_norm_statistics_are_re_estimated_exactly(as_dataset):
    model = mlp(batch_norm=True)
    bn_data = tf.data.Dataset.from_tensor_slices((X, Y)).batch(8) if as_dataset else X
    swa = SWA(start_epoch=2, bn_data=bn_data, bn_batch_size=8)
    model.fit(X, Y, epochs=4, batch_size=8, verbose=0, callbacks=[swa])
    hidden, bn = model.get_layer("hidden"), model.get_layer("bn")
    h = X @ hidden.kernel.numpy() + hidden.bias.numpy()  # averaged weights
    batches = h.reshape(4, 8, 4)
    np.testing.assert_allclose(
        bn.moving_mean.numpy(), batches.mean(axis=1).mean(axis=0), rtol=1e-5, atol=1e-6
    )
    np.testing.assert_allclose(
        bn.moving_variance.numpy(), batches.var(axis=1).mean(axis=0), rtol=1e-4
    )
    assert bn.momentum == 0.99  # put back


def test_batch_norm_without_data_fails_before_training():
    model = mlp(batch_norm=True)
    epochs = []
    spy = keras.callbacks.LambdaCallback(
        on_epoch_begin=lambda e, logs: epochs.append(e)
    )
    with pytest.raises(ValueError, match="pass `bn_data=`"):
        model.fit(X, Y, epochs=2, verbose=0, callbacks=[SWA(), spy])
    assert epochs == []


def test_fractional_start_and_constant_learning_rate():
    model = mlp()
    rates = []
    spy = keras.callbacks.LambdaCallback(
        on_epoch_end=lambda e, logs: rates.append(
            float(model.optimizer.learning_rate.numpy())
        )
    )
    swa = SWA(start_epoch=0.5, learning_rate=0.01)
    history = model.fit(X, Y, epochs=4, verbose=0, callbacks=[swa, spy])
    assert history.history["swa_n"] == [0, 0, 1, 2]
    np.testing.assert_allclose(rates, [0.05, 0.05, 0.01, 0.01], rtol=1e-6)
    assert float(model.optimizer.learning_rate.numpy()) == pytest.approx(0.05)


def test_nothing_averaged_leaves_the_weights():
    model = mlp()
    seen = []
    swa = SWA(start_epoch=5)
    model.fit(X, Y, epochs=2, verbose=0, callbacks=[recorder(model, seen), swa])
    assert swa.n_averaged == 0 and swa.final_weights is None
    np.testing.assert_array_equal(model.trainable_weights[0].numpy(), seen[-1][0])


def test_learning_rate_schedule_is_rejected():
    model = mlp()
    schedule = keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.9)
    model.compile(keras.optimizers.SGD(schedule), "mse")
    with pytest.raises(ValueError, match="not a LearningRateSchedule"):
        model.fit(X, Y, epochs=1, verbose=0, callbacks=[SWA(learning_rate=0.01)])

"""DropoutSchedule: curriculum formula, discovery, no retracing, effect on the loss."""

import math

import keras
import numpy as np
import pytest

import kreg
from kreg.callbacks import DropoutSchedule
from tests.helpers import TraceCounter

X = np.ones((16, 4), "float32")
Y = np.zeros((16, 1), "float32")


class Shrink(keras.layers.Layer):
    """Test-only layer with kreg's convention: a variable-backed ``rate``.

    Deterministic, ``x * (1 - rate)``, so the loss has a closed form.
    """

    def __init__(self, rate=0.5, **kwargs):
        super().__init__(**kwargs)
        self._rate = self.add_weight(
            shape=(),
            initializer=keras.initializers.Constant(rate),
            trainable=False,
            name="rate",
        )

    @property
    def rate(self):
        return self._rate

    @rate.setter
    def rate(self, value):
        self._rate.assign(value)

    def call(self, inputs, training=False):
        return inputs * (1.0 - self._rate) if training else inputs


def frozen_model(*layers):
    model = keras.Sequential(
        [keras.Input((4,)), *layers, keras.layers.Dense(1, kernel_initializer="ones")]
    )
    model.compile(keras.optimizers.SGD(0.0), "mse")  # lr 0: weights stay put
    return model


def test_curriculum_is_morerio_formula():
    # theta(t) = (1 - theta_bar) exp(-gamma t) + theta_bar, rate = 1 - theta(t).
    schedule = DropoutSchedule("curriculum", end=0.5, gamma=0.3, relative=False)
    theta_bar = 0.5
    for t in range(6):
        theta = (1 - theta_bar) * math.exp(-0.3 * t) + theta_bar
        assert schedule.value_for_epoch(t) == pytest.approx(1 - theta)


def test_convention_layer_takes_effect_without_retracing():
    counter = TraceCounter()
    shrink = Shrink(0.5)
    model = frozen_model(counter, shrink)
    model.fit(X, Y, epochs=1, batch_size=16, verbose=0)
    traces = counter.count
    schedule = DropoutSchedule("linear", start=0.0, end=1.0, epochs=2)
    history = model.fit(X, Y, epochs=3, batch_size=16, verbose=0, callbacks=[schedule])
    assert counter.count == traces, "the schedule retraced the train function"
    # relative: rate = 0.5 * (0, 0.5, 1); loss = (4 * (1 - rate))^2.
    expected = [16 * (1 - r) ** 2 for r in (0.0, 0.25, 0.5)]
    np.testing.assert_allclose(history.history["loss"], expected, rtol=1e-5)
    assert history.history["dropout_rate_scale"] == [0.0, 0.5, 1.0]
    assert float(shrink.rate) == 0.5  # restored


def test_real_kreg_dropout_layer_is_driven():
    counter = TraceCounter()
    drop = kreg.layers.MCDropout(0.5, seed=1)
    model = frozen_model(counter, drop)
    rates = []
    spy = keras.callbacks.LambdaCallback(
        on_epoch_end=lambda e, logs: rates.append(float(drop.rate))
    )
    schedule = DropoutSchedule(lambda e: [0.0, 0.5, 0.0][e], relative=False)
    history = model.fit(
        X,
        Y,
        epochs=3,
        batch_size=16,
        verbose=0,
        callbacks=[counter_guard(counter), schedule, spy],
    )
    assert rates == [0.0, 0.5, 0.0]
    loss = history.history["loss"]
    # rate 0: (4 * 1)^2 exactly; rate 0.5 drops (and rescales) inputs.
    assert loss[0] == pytest.approx(16.0) and loss[2] == pytest.approx(16.0)
    assert abs(loss[1] - 16.0) > 1.0


def counter_guard(counter):
    """Fails the fit if the train function is traced again after epoch 0."""
    state = {}

    def check(epoch, logs):
        state.setdefault("count", counter.count)
        assert counter.count == state["count"], "retraced after epoch 0"

    return keras.callbacks.LambdaCallback(on_epoch_end=check)


def test_skips_concrete_dropout_and_finds_every_convention_layer():
    concrete = kreg.layers.ConcreteDropout(keras.layers.Dense(4))
    mc, shrink = kreg.layers.MCDropout(0.2), Shrink(0.3)
    model = frozen_model(concrete, mc, keras.layers.Dropout(0.5), shrink)
    schedule = DropoutSchedule("constant", end=0.5)
    model.fit(X, Y, epochs=1, verbose=0, callbacks=[schedule])
    assert schedule.targets == [mc, shrink]
    assert schedule.base_values == pytest.approx([0.2, 0.3])


def test_keras_dropout_alone_is_an_error():
    model = frozen_model(keras.layers.Dropout(0.5))
    with pytest.raises(ValueError, match="found no layer whose `rate`.*Python float"):
        model.fit(X, Y, epochs=1, verbose=0, callbacks=[DropoutSchedule("constant")])


def test_a_rate_out_of_range_raises_the_layer_error():
    model = frozen_model(kreg.layers.MCDropout(0.5))
    with pytest.raises(
        ValueError, match="Invalid value for argument `rate` of MCDropout"
    ):
        model.fit(
            X, Y, epochs=1, verbose=0, callbacks=[DropoutSchedule("constant", end=2.0)]
        )


def test_per_step_updates_within_the_epoch():
    shrink = Shrink(0.0)
    model = frozen_model(shrink)
    schedule = DropoutSchedule(lambda t: t / 4, relative=False, per_step=True)
    history = model.fit(X, Y, epochs=2, batch_size=4, verbose=0, callbacks=[schedule])
    # 4 steps per epoch: rate t / 4 at t = epoch + step / 4; loss 16 (1 - rate)^2.
    for epoch in range(2):
        rates = [(epoch + step / 4) / 4 for step in range(4)]
        expected = np.mean([16 * (1 - r) ** 2 for r in rates])
        assert history.history["loss"][epoch] == pytest.approx(expected, rel=1e-5)
    assert history.history["dropout_rate"] == [0.1875, 0.4375]  # last step's


def test_per_step_needs_a_known_number_of_steps():
    import tensorflow as tf

    dataset = (
        tf.data.Dataset.from_tensor_slices((X, Y)).filter(lambda x, y: True).batch(4)
    )
    model = frozen_model(Shrink(0.1))
    schedule = DropoutSchedule("constant", per_step=True)
    with pytest.raises(ValueError, match="needs the number of steps per epoch"):
        model.fit(dataset, epochs=1, verbose=0, shuffle=False, callbacks=[schedule])

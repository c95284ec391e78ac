"""RegularizationSchedule: shapes, discovery, no retracing, effect on the loss."""

import math

import keras
import numpy as np
import pytest

import kreg
from kreg.callbacks import RegularizationSchedule
from tests.helpers import TraceCounter

X = np.ones((16, 4), "float32")
Y = np.zeros((16, 1), "float32")


SHAPES = [
    (
        dict(schedule="linear", start=1.0, end=0.0, epochs=4),
        [1.0, 0.75, 0.5, 0.25, 0.0, 0.0],
    ),
    (
        dict(schedule="warmup", end=2.0, epochs=2, delay=1),
        [0.0, 0.0, 1.0, 2.0, 2.0, 2.0],
    ),
    (
        dict(schedule="cosine", start=1.0, end=0.0, epochs=4),
        [
            1.0,
            (1 + math.cos(math.pi / 4)) / 2,
            0.5,
            (1 + math.cos(3 * math.pi / 4)) / 2,
            0.0,
            0.0,
        ],
    ),
    (
        dict(schedule="step", start=1.0, step_size=2, gamma=0.5),
        [1.0, 1.0, 0.5, 0.5, 0.25, 0.25],
    ),
    (
        dict(schedule="exponential", start=2.0, gamma=0.5),
        [2.0, 1.0, 0.5, 0.25, 0.125, 0.0625],
    ),
    (dict(schedule="constant", end=0.3), [0.3] * 6),
    (dict(schedule=lambda epoch: 0.1 * epoch), [0.1 * e for e in range(6)]),
]


def test_shapes_match_their_formulas():
    for kwargs, expected in SHAPES:
        schedule = RegularizationSchedule(**kwargs)
        actual = [schedule.value_for_epoch(e) for e in range(6)]
        np.testing.assert_allclose(actual, expected, atol=1e-12, err_msg=str(kwargs))


def regularized_model(reg, counter=None):
    layers = [keras.Input((4,))]
    if counter is not None:
        layers.append(counter)
    layers.append(
        keras.layers.Dense(
            1, kernel_initializer="ones", kernel_regularizer=reg, name="out"
        )
    )
    model = keras.Sequential(layers)
    model.compile(keras.optimizers.SGD(0.0), "mse")  # lr 0: weights stay put
    return model


def test_takes_effect_without_retracing_and_logs_the_value():
    reg = kreg.regularizers.L2(0.01)
    counter = TraceCounter()
    model = regularized_model(reg, counter)
    model.fit(X, Y, epochs=1, batch_size=16, verbose=0)
    traces = counter.count
    schedule = RegularizationSchedule("linear", start=0.0, end=3.0, epochs=3)
    history = model.fit(X, Y, epochs=4, batch_size=16, verbose=0, callbacks=[schedule])
    assert counter.count == traces, "the schedule retraced the train function"
    # Data loss (4 ones . ones)^2 = 16; penalty = scale * 0.01 * 4.
    expected = [16 + s * 0.04 for s in (0.0, 1.0, 2.0, 3.0)]
    np.testing.assert_allclose(history.history["loss"], expected, rtol=1e-5)
    assert history.history["reg_strength_scale"] == [0.0, 1.0, 2.0, 3.0]
    # restore=True: the strength is back to its value before fit.
    assert float(reg.strength) == pytest.approx(0.01)


def test_relative_scales_each_regularizer_and_absolute_sets_them():
    a, b = kreg.regularizers.L2(0.01), kreg.regularizers.L1(0.2)
    model = keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(3, kernel_regularizer=a + b),
            keras.layers.Dense(1, activity_regularizer=kreg.regularizers.L2(0.5)),
        ]
    )
    model.compile("sgd", "mse")
    seen = []

    def record(epoch, logs):
        seen.append([float(r.strength) for r in schedule.targets])

    schedule = RegularizationSchedule("step", start=1.0, step_size=1, gamma=0.5)
    spy = keras.callbacks.LambdaCallback(on_epoch_end=record)
    model.fit(X, Y, epochs=2, verbose=0, callbacks=[schedule, spy])
    np.testing.assert_allclose(seen, [[0.01, 0.2, 0.5], [0.005, 0.1, 0.25]], rtol=1e-6)
    seen.clear()
    schedule = RegularizationSchedule(
        "constant", end=0.07, relative=False, restore=False
    )
    history = model.fit(X, Y, epochs=1, verbose=0, callbacks=[schedule, spy])
    np.testing.assert_allclose(seen, [[0.07] * 3], rtol=1e-6)
    assert history.history["reg_strength"] == [0.07]
    assert float(a.strength) == pytest.approx(0.07)  # restore=False keeps it


def test_finds_regularizers_added_by_regularize_and_in_nested_models():
    inner = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)], name="inner")
    model = keras.Sequential([keras.Input((4,)), inner, keras.layers.Dense(1)])
    kreg.regularize(model, kernel=kreg.regularizers.L1(0.1), share=False)
    model.compile("sgd", "mse")
    schedule = RegularizationSchedule("constant", end=0.5)
    model.fit(X, Y, epochs=1, verbose=0, callbacks=[schedule])
    inner_reg = inner.layers[0].kernel.regularizer
    outer_reg = model.layers[-1].kernel.regularizer
    assert inner_reg is not outer_reg
    assert schedule.targets == [inner_reg, outer_reg]


def test_explicit_regularizers_are_driven_and_kept_by_deepcopy():
    import copy

    reg, other = kreg.regularizers.L2(0.1), kreg.regularizers.L2(0.1)
    model = regularized_model(reg + other)
    schedule = copy.deepcopy(
        RegularizationSchedule("constant", [reg], end=0.0, restore=False)
    )
    model.fit(X, Y, epochs=1, verbose=0, callbacks=[schedule])
    assert float(reg.strength) == 0.0
    assert float(other.strength) == pytest.approx(0.1)


def test_no_kreg_regularizer_is_an_error_naming_the_fix():
    model = regularized_model(keras.regularizers.L2(0.1))
    with pytest.raises(ValueError, match="found no kreg regularizer.*Keras' own"):
        model.fit(
            X, Y, epochs=1, verbose=0, callbacks=[RegularizationSchedule("constant")]
        )


def test_a_bad_value_from_a_callable_is_reported():
    model = regularized_model(kreg.regularizers.L2(0.1))
    with pytest.raises(ValueError, match="returned -1.0 for epoch 0"):
        model.fit(
            X,
            Y,
            epochs=1,
            verbose=0,
            callbacks=[RegularizationSchedule(lambda e: -1.0)],
        )

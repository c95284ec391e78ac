import keras
import numpy as np
import pytest

import kreg
from tests.helpers import assert_invalid


def model_with_penalties():
    inputs = keras.Input((3,))
    x = keras.layers.Dense(4, kernel_regularizer=kreg.regularizers.L1(0.1), name="a")(
        inputs
    )
    x = keras.layers.Dense(
        2,
        kernel_regularizer=kreg.regularizers.L2(0.2),
        bias_regularizer=kreg.regularizers.L2(1.0),
        name="b",
    )(x)
    outputs = keras.layers.Dense(1, name="c")(x)
    return keras.Model(inputs, outputs, name="m")


def test_total_and_breakdown_match_closed_forms():
    model = model_with_penalties()
    model.get_layer("b").bias.assign([1.0, -2.0])
    report = kreg.penalty(model)
    a = 0.1 * np.abs(model.get_layer("a").kernel.numpy()).sum()
    b = 0.2 * np.square(model.get_layer("b").kernel.numpy()).sum() + 5.0
    assert report.per_layer == pytest.approx({"a": a, "b": b}, rel=1e-5)
    assert set(report.per_weight) == {"a/kernel", "b/kernel", "b/bias"}
    assert report.total == pytest.approx(a + b, rel=1e-5)
    assert float(report) == report.total
    assert report.total == pytest.approx(float(sum(model.losses)), rel=1e-6)


def test_frozen_layers_add_no_penalty_as_in_keras():
    model = model_with_penalties()
    model.get_layer("a").trainable = False
    report = kreg.penalty(model)
    assert "a" not in report.per_layer
    assert report.total == pytest.approx(float(sum(model.losses)), rel=1e-6)


def test_evaluated_loss_is_data_loss_plus_penalty():
    model = model_with_penalties()
    model.compile("adam", "mse", metrics=[kreg.metrics.DataLoss("mse")])
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(64, 3)), rng.normal(size=(64, 1))
    model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    logs = model.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)
    assert logs["loss"] == pytest.approx(
        logs["data_loss"] + kreg.penalty(model).total, rel=1e-5
    )
    mse = np.mean((model.predict(x, verbose=0) - y) ** 2)
    assert logs["data_loss"] == pytest.approx(mse, rel=1e-5)


def test_unbuilt_model_is_rejected():
    model = keras.Sequential([keras.layers.Dense(1)])
    assert_invalid(lambda: kreg.penalty(model), "model", model, "penalty")

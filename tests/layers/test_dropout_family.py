"""Behaviour every dropout-family layer shares: inference, seeds, rate variable,
fit without retracing, mixed precision. (Input ranks: test_serialization.py.)"""

import keras
import numpy as np
import pytest

import kreg
from tests.helpers import TraceCounter, assert_invalid
from tests.layers.cases import CASES, RATE_CASES


def to_np(x):
    return np.asarray(keras.ops.convert_to_numpy(x))


@pytest.mark.parametrize("case", [c for c in CASES if c.name != "MCDropout"], ids=repr)
def test_inference_returns_input_exactly(case):
    layer = case.make(0.5, 0)
    x, _ = case.data()
    out = to_np(layer(x, training=False))
    if case.name in ("DropConnectDense", "ConcreteDropout"):
        # Weight-level layers: exactly the plain layer, with no dropping.
        inner = layer.layer if case.name == "ConcreteDropout" else layer
        expected = x @ to_np(inner.kernel) + to_np(inner.bias)
        np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)
        np.testing.assert_array_equal(out, to_np(layer(x, training=False)))
    else:
        np.testing.assert_array_equal(out, x)
        assert not np.array_equal(to_np(layer(x, training=True)), x)


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_seed_gives_reproducible_masks(case):
    x, _ = case.data()
    a, b, c = case.make(0.5, 7), case.make(0.5, 7), case.make(0.5, 8)
    if case.name in ("DropConnectDense", "ConcreteDropout"):
        for layer in (b, c):  # same weights, so only the masks can differ
            layer.build(x.shape)
        a.build(x.shape)
        inner = lambda layer: layer.layer if case.name == "ConcreteDropout" else layer  # noqa: E731
        for layer in (b, c):
            inner(layer).kernel.assign(inner(a).kernel)
    first = [to_np(a(x, training=True)) for _ in range(2)]
    second = [to_np(b(x, training=True)) for _ in range(2)]
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])
    assert not np.array_equal(first[0], first[1])  # a new mask each call
    assert not np.array_equal(first[0], to_np(c(x, training=True)))


@pytest.mark.parametrize("case", RATE_CASES, ids=repr)
def test_rate_is_a_validated_non_trainable_variable(case):
    layer = case.make(0.25, 0)
    assert isinstance(layer, kreg.layers.VariableRate)
    assert isinstance(layer.rate, keras.Variable)
    assert layer.rate.dtype == "float32" and not layer.rate.trainable
    assert any(v is layer.rate for v in layer.non_trainable_weights)
    layer.rate = 0.6
    assert float(layer.rate) == pytest.approx(0.6)
    assert layer.get_config()["rate"] == pytest.approx(0.6)
    for bad in (1.0, -0.2):
        assert_invalid(lambda b=bad: setattr(layer, "rate", b), "rate", bad, case.name)
    assert float(layer.rate) == pytest.approx(0.6)
    # Rate 0 in training: the input, exactly (DropConnect: the plain layer).
    layer.rate = 0.0
    x, _ = case.data()
    out = to_np(layer(x, training=True))
    if case.name == "DropConnectDense":
        np.testing.assert_allclose(out, to_np(layer(x, training=False)), rtol=1e-6)
    else:
        np.testing.assert_array_equal(out, x)


@pytest.mark.parametrize("case", RATE_CASES, ids=repr)
def test_schedule_changes_rate_in_fit_without_retracing(case):
    counter = TraceCounter()
    model, layer = case.model(rate=0.0, seed=3, extra=[counter])
    x, y = case.data()
    # A learning rate of 0 keeps the weights, so only the rate changes the loss.
    model.compile(keras.optimizers.SGD(0.0), "mse")
    fit = lambda: model.fit(x, y, batch_size=8, epochs=1, verbose=0, shuffle=False)  # noqa: E731
    loss_off = fit().history["loss"][0]
    traced = counter.count
    assert traced >= 1
    layer.rate = 0.8
    loss_on = fit().history["loss"][0]
    layer.rate = 0.0
    loss_off_again = fit().history["loss"][0]
    assert counter.count == traced  # the same train function throughout
    assert loss_on != pytest.approx(loss_off, rel=1e-3)
    assert loss_off_again == pytest.approx(loss_off, rel=1e-5)


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_fit_under_mixed_precision(case):
    keras.mixed_precision.set_dtype_policy("mixed_float16")
    try:
        model, layer = case.model(rate=0.3, seed=0)
        x, y = case.data()
        model.compile("adam", "mse")
        history = model.fit(x, y, batch_size=8, epochs=2, verbose=0)
        assert np.all(np.isfinite(history.history["loss"]))
        assert layer.compute_dtype == "float16"
        out = layer(keras.ops.cast(x, "float16"), training=True)
        assert keras.backend.standardize_dtype(out.dtype) == "float16"
        assert np.all(np.isfinite(to_np(out)))
        if case.name != "ConcreteDropout":
            assert layer.rate.dtype == "float32"
    finally:
        keras.mixed_precision.set_dtype_policy("float32")

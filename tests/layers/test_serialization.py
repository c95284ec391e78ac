"""Every dropout-family layer: config round-trip, .keras round-trip with identical
outputs and the rate kept, bad arguments (and input ranks) raising the documented
message."""

import keras
import numpy as np
import pytest

import kreg
from tests.helpers import assert_config_roundtrip, assert_invalid
from tests.layers.cases import CASES

BAD_ARGUMENTS = [
    (lambda v: kreg.layers.MCDropout(rate=v), "MCDropout", "rate", 1.5),
    (lambda v: kreg.layers.MCDropout(rate=v), "MCDropout", "rate", -0.1),
    (lambda v: kreg.layers.MCDropout(seed=v), "MCDropout", "seed", "1"),
    (
        lambda v: kreg.layers.DropConnectDense(4, rate=v),
        "DropConnectDense",
        "rate",
        1.0,
    ),
    (lambda v: kreg.layers.DropBlock2D(rate=v), "DropBlock2D", "rate", 1.5),
    (lambda v: kreg.layers.DropBlock2D(block_size=v), "DropBlock2D", "block_size", 0),
    (lambda v: kreg.layers.DropBlock2D(block_size=v), "DropBlock2D", "block_size", 2.5),
    (
        lambda v: kreg.layers.DropBlock2D(data_format=v),
        "DropBlock2D",
        "data_format",
        "nhwc",
    ),
    (lambda v: kreg.layers.DropPath(rate=v), "DropPath", "rate", 1.0),
    (
        lambda v: kreg.layers.DropPath(scale_by_keep=v),
        "DropPath",
        "scale_by_keep",
        "yes",
    ),
    (lambda v: kreg.layers.LockedDropout(rate=v), "LockedDropout", "rate", -0.5),
    (
        lambda v: kreg.layers.ConcreteDropout(v),
        "ConcreteDropout",
        "layer",
        "dense",
    ),
    (
        lambda v: kreg.layers.ConcreteDropout(
            keras.layers.Dense(2), weight_regularizer=v
        ),
        "ConcreteDropout",
        "weight_regularizer",
        -1.0,
    ),
    (
        lambda v: kreg.layers.ConcreteDropout(
            keras.layers.Dense(2), dropout_regularizer=v
        ),
        "ConcreteDropout",
        "dropout_regularizer",
        -1e-5,
    ),
    (
        lambda v: kreg.layers.ConcreteDropout(keras.layers.Dense(2), init_min=v),
        "ConcreteDropout",
        "init_min",
        0.0,
    ),
    (
        lambda v: kreg.layers.ConcreteDropout(
            keras.layers.Dense(2), init_min=0.3, init_max=v
        ),
        "ConcreteDropout",
        "init_max",
        0.2,
    ),
    (
        lambda v: kreg.layers.ConcreteDropout(keras.layers.Dense(2), temperature=v),
        "ConcreteDropout",
        "temperature",
        0.0,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_bad_arguments_raise_naming_the_argument(case):
    checked = 0
    for build, owner, name, value in BAD_ARGUMENTS:
        if owner == case.name:
            assert_invalid(lambda b=build, v=value: b(v), name, value, owner)
            checked += 1
    assert checked >= 1
    layer = case.make(0.3, 0)
    if case.name != "MCDropout":  # MCDropout, like Dropout, takes any rank
        assert_invalid(
            lambda: layer.build(case.bad_shape),
            "input_shape",
            case.bad_shape,
            case.name,
        )
        with pytest.raises(
            ValueError, match="Invalid value for argument `input_shape`"
        ):
            layer(np.ones((3,) * (len(case.bad_shape)), "float32"))


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_config_roundtrip(case):
    layer = case.make(0.35, 4)
    config = layer.get_config()
    assert config["seed"] == 4
    if case.name != "ConcreteDropout":
        assert config["rate"] == pytest.approx(0.35)
    assert_config_roundtrip(layer)


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_keras_file_roundtrip(case, tmp_path):
    model, layer = case.model(rate=0.3, seed=5)
    x, _ = case.data()
    if case.name != "ConcreteDropout":
        layer.rate = 0.37  # as a schedule would leave it
    path = str(tmp_path / "model.keras")
    model.save(path)
    loaded = keras.models.load_model(path)  # no custom_objects
    twin = next(lay for lay in loaded.layers if type(lay) is type(layer))
    np.testing.assert_allclose(float(twin.rate), float(layer.rate), rtol=1e-6)
    if case.name == "MCDropout":
        # Random at inference by design: the same generator state, the same output.
        state = keras.ops.convert_to_numpy(layer.seed_generator.state)
        twin.seed_generator.state.assign(state)
    np.testing.assert_allclose(
        loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6
    )

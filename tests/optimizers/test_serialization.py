"""Meta-test: every public optimizer through config, `.keras` and bad arguments."""

import keras
import numpy as np
import pytest

import kreg
from kreg import optimizers
from kreg.optimizers import Proximal
from tests.helpers import (
    assert_config_roundtrip,
    assert_invalid,
    assert_saved_model_roundtrip,
)

CASES = {
    "Proximal": lambda: Proximal(keras.optimizers.Adam(0.01)),
}

BAD_ARGUMENTS = [
    (lambda: Proximal(3), "inner_optimizer", 3),
    (lambda: Proximal("no-such-optimizer"), "inner_optimizer", "no-such-optimizer"),
    (lambda: Proximal(keras.optimizers.SGD(), step="big"), "step", "big"),
    (
        lambda: Proximal(keras.optimizers.SGD(), loss_includes_penalty="yes"),
        "loss_includes_penalty",
        "yes",
    ),
]


def test_every_public_optimizer_has_a_case():
    assert set(optimizers.__all__) == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_config_roundtrip(name):
    optimizer = CASES[name]()
    clone = assert_config_roundtrip(optimizer)
    assert type(clone.inner_optimizer) is type(optimizer.inner_optimizer)
    assert keras.saving.serialize_keras_object(optimizer)["registered_name"] == (
        f"kreg>{name}"
    )


@pytest.mark.parametrize("name", sorted(CASES))
def test_keras_file_roundtrip_keeps_outputs_state_and_training(name, tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 6)).astype("float32")
    y = x[:, :1] - x[:, 1:2]
    model = keras.Sequential(
        [
            keras.Input((6,)),
            keras.layers.Dense(
                4,
                kernel_regularizer=kreg.regularizers.GroupLasso(0.05, "inputs"),
            ),
            keras.layers.Dense(1, kernel_regularizer=kreg.regularizers.L1(0.01)),
        ]
    )
    model.compile(CASES[name](), "mse")
    model.fit(x, y, batch_size=8, verbose=0)
    loaded = assert_saved_model_roundtrip(model, x, tmp_path)
    assert type(loaded.optimizer) is type(model.optimizer)
    assert loaded.optimizer.get_config() == model.optimizer.get_config()
    for a, b in zip(model.optimizer.variables, loaded.optimizer.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    # Same state, same next steps.
    model.fit(x, y, batch_size=8, shuffle=False, verbose=0)
    loaded.fit(x, y, batch_size=8, shuffle=False, verbose=0)
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-6)


@pytest.mark.parametrize("build,name,value", BAD_ARGUMENTS)
def test_bad_arguments_raise_with_the_argument_named(build, name, value):
    assert_invalid(build, name, value, "Proximal")


@pytest.mark.parametrize(
    "inner",
    [
        keras.optimizers.LossScaleOptimizer(keras.optimizers.SGD()),
        keras.optimizers.Adam(use_ema=True),
        keras.optimizers.SGD(gradient_accumulation_steps=2),
        keras.optimizers.Lion(),  # step unknown to "auto"
    ],
    ids=["loss-scale", "ema", "accumulation", "lion-auto"],
)
def test_unsupported_inner_optimizers_raise(inner):
    assert_invalid(lambda: Proximal(inner), "inner_optimizer", inner, "Proximal")


def test_scalar_step_accepts_any_optimizer_and_unknown_kwargs_are_named():
    assert Proximal(keras.optimizers.Lion(), step="learning_rate").step == (
        "learning_rate"
    )
    with pytest.raises(TypeError, match="unexpected keyword argument.*momentum"):
        Proximal(keras.optimizers.SGD(), momentum=0.9)
    assert isinstance(Proximal("adam").inner_optimizer, keras.optimizers.Adam)

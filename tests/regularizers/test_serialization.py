"""Meta-test: every public regularizer through config, `.keras` and bad arguments."""

import keras
import numpy as np
import pytest

from kreg import regularizers
from tests.helpers import (
    assert_config_roundtrip,
    assert_invalid,
    assert_saved_model_roundtrip,
)

CASES = {
    "AdaptiveLasso": lambda: regularizers.AdaptiveLasso(
        0.02, estimate=[[1.0, -0.5], [0.0, 2.0], [0.3, 0.1]], gamma=2.0
    ),
    "L1": lambda: regularizers.L1(0.02),
    "L2": lambda: regularizers.L2(0.02, penalty_factor=[[0.0], [1.0], [2.0]]),
    "ElasticNet": lambda: regularizers.ElasticNet(0.02, l1_ratio=0.7),
    "GroupLasso": lambda: regularizers.GroupLasso(0.02, groups="inputs"),
    "SparseGroupLasso": lambda: regularizers.SparseGroupLasso(
        0.02, l1_ratio=0.2, penalty_factor=[1.0, 0.0]
    ),
    "Sum": lambda: regularizers.L1(0.01) + regularizers.GroupLasso(0.03),
}

BAD_ARGUMENTS = [
    (lambda: regularizers.L1(-0.1), "strength", -0.1, "L1"),
    (lambda: regularizers.L2(float("nan")), "strength", float("nan"), "L2"),
    (lambda: regularizers.L2("big"), "strength", "big", "L2"),
    (lambda: regularizers.ElasticNet(0.1, l1_ratio=1.5), "l1_ratio", 1.5, "ElasticNet"),
    (
        lambda: regularizers.ElasticNet(0.1, l1_ratio=-0.1),
        "l1_ratio",
        -0.1,
        "ElasticNet",
    ),
    (
        lambda: regularizers.GroupLasso(0.1, groups="rows"),
        "groups",
        "rows",
        "GroupLasso",
    ),
    (
        lambda: regularizers.SparseGroupLasso(0.1, l1_ratio=2),
        "l1_ratio",
        2,
        "SparseGroupLasso",
    ),
    (
        lambda: regularizers.L1(0.1, penalty_factor=[-1.0]),
        "penalty_factor",
        [-1.0],
        "L1",
    ),
    (
        lambda: regularizers.AdaptiveLasso(0.1, estimate=[0.0]),
        "estimate",
        [0.0],
        "AdaptiveLasso",
    ),
    (
        lambda: regularizers.AdaptiveLasso(0.1, estimate=[1.0], gamma=-1),
        "gamma",
        -1,
        "AdaptiveLasso",
    ),
    (lambda: regularizers.Sum([]), "terms", [], "Sum"),
    (lambda: regularizers.Sum(["l2"]), "terms", ["l2"], "Sum"),
]


def test_every_public_regularizer_has_a_case():
    public = {
        name
        for name in regularizers.__all__
        if name != "Regularizer"  # abstract base
    }
    assert public == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_config_roundtrip(name):
    reg = CASES[name]()
    clone = assert_config_roundtrip(reg)
    w = keras.ops.convert_to_tensor(np.linspace(-1, 1, 6).reshape(3, 2), "float32")
    np.testing.assert_allclose(float(clone(w)), float(reg(w)), rtol=1e-6)


@pytest.mark.parametrize("name", sorted(CASES))
def test_keras_file_roundtrip_keeps_outputs_and_penalty(name, tmp_path):
    model = keras.Sequential(
        [keras.Input((3,)), keras.layers.Dense(2, kernel_regularizer=CASES[name]())]
    )
    x = np.random.default_rng(0).normal(size=(4, 3)).astype("float32")
    loaded = assert_saved_model_roundtrip(model, x, tmp_path)
    reg = loaded.layers[0].kernel_regularizer
    assert type(reg) is type(model.layers[0].kernel_regularizer)
    assert reg.get_config() == model.layers[0].kernel_regularizer.get_config()
    np.testing.assert_allclose(
        [float(v) for v in loaded.losses], [float(v) for v in model.losses], rtol=1e-6
    )


@pytest.mark.parametrize("build, name, bad, owner", BAD_ARGUMENTS)
def test_bad_arguments_raise_with_the_documented_message(build, name, bad, owner):
    assert_invalid(build, name, bad, owner)

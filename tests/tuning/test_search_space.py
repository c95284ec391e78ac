"""Search-space helpers: objects, names, log scales, reachable "off"."""

import keras_tuner
import pytest

import kreg
from tests.helpers import assert_invalid


def _hp():
    return keras_tuner.HyperParameters()


def _param(hp, name):
    (param,) = [p for p in hp.space if p.name == name]
    return param


def test_regularizer_off_is_reachable_through_a_boolean_scope():
    hp = _hp()
    kreg.tuning.regularizer(hp)
    on = _param(hp, "regularizer_on")
    assert isinstance(on, keras_tuner.engine.hyperparameters.Boolean)
    strength = _param(hp, "regularizer_strength")
    assert strength.sampling == "log"
    assert strength.conditions[0].name == "regularizer_on"
    hp.values["regularizer_on"] = False
    assert kreg.tuning.regularizer(hp) is None
    assert not hp.is_active("regularizer_strength")


@pytest.mark.parametrize(
    ("kind", "cls"),
    [
        ("l1", kreg.regularizers.L1),
        ("l2", kreg.regularizers.L2),
        ("elastic_net", kreg.regularizers.ElasticNet),
        ("group_lasso", kreg.regularizers.GroupLasso),
        ("sparse_group_lasso", kreg.regularizers.SparseGroupLasso),
    ],
)
def test_regularizer_builds_each_kind_with_the_drawn_strength(kind, cls):
    hp = _hp()
    kinds = ("l1", "l2", "elastic_net", "group_lasso", "sparse_group_lasso")
    kreg.tuning.regularizer(hp, "r", kinds=kinds)
    hp.values.update({"r_on": True, "r_kind": kind, "r_strength": 3e-3})
    if kind in ("elastic_net", "sparse_group_lasso"):
        hp.values["r_l1_ratio"] = 0.7
    reg = kreg.tuning.regularizer(hp, "r", kinds=kinds)
    assert type(reg) is cls
    assert float(reg.strength) == pytest.approx(3e-3)
    if kind in ("elastic_net", "sparse_group_lasso"):
        assert reg.l1_ratio == pytest.approx(0.7)
    if "group" in kind:
        assert reg.groups == "inputs"
    # l1_ratio only exists for the kinds that use it.
    assert _param(hp, "r_l1_ratio").conditions[-1].values == [
        "elastic_net",
        "sparse_group_lasso",
    ]


def test_regularizer_single_kind_without_none_registers_only_the_strength():
    hp = _hp()
    reg = kreg.tuning.regularizer(
        hp, kinds=("l2",), allow_none=False, min_strength=1e-3, max_strength=1.0
    )
    assert isinstance(reg, kreg.regularizers.L2)
    assert list(hp.values) == ["regularizer_strength"]
    assert float(reg.strength) == pytest.approx(1e-3)


def test_dropout_rate_grid_holds_zero_and_max():
    hp = _hp()
    assert kreg.tuning.dropout_rate(hp, max_value=0.3, step=0.1) == 0.0
    param = _param(hp, "dropout_rate")
    assert (param.min_value, param.max_value, param.step) == (0.0, 0.3, 0.1)


def test_weight_decay_is_zero_when_off_and_log_scaled_when_on():
    hp = _hp()
    assert kreg.tuning.weight_decay(hp) == pytest.approx(1e-6)
    assert _param(hp, "weight_decay").sampling == "log"
    hp.values["weight_decay_on"] = False
    assert kreg.tuning.weight_decay(hp) == 0.0
    hp2 = _hp()
    kreg.tuning.weight_decay(hp2, allow_none=False)
    assert list(hp2.values) == ["weight_decay"]


def test_augmentation_strength_default_is_zero():
    hp = _hp()
    assert kreg.tuning.augmentation_strength(hp, max_value=2.0) == 0.0
    assert _param(hp, "augmentation_strength").max_value == 2.0


def test_names_are_prefixed_so_two_calls_do_not_clash():
    hp = _hp()
    kreg.tuning.regularizer(hp, "first")
    kreg.tuning.regularizer(hp, "second")
    assert {"first_on", "second_on", "first_strength", "second_strength"} <= set(
        hp.values
    )


def test_regularization_level_orders_off_weak_strong():
    hp = _hp()
    kreg.tuning.regularizer(hp, kinds=("l1",), min_strength=1e-4, max_strength=1e-2)
    kreg.tuning.dropout_rate(hp, max_value=0.5)
    hp.values.update({"regularizer_strength": 1e-2, "dropout_rate": 0.5})
    assert kreg.tuning.regularization_level(hp) == pytest.approx(2.0)
    hp.values["regularizer_strength"] = 1e-3
    assert kreg.tuning.regularization_level(hp) == pytest.approx(1.5)
    hp.values["regularizer_on"] = False
    assert kreg.tuning.regularization_level(hp) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("call", "name", "value"),
    [
        (lambda: kreg.tuning.regularizer(_hp(), kinds=("l3",)), "kinds", ("l3",)),
        (lambda: kreg.tuning.regularizer(_hp(), kinds=()), "kinds", ()),
        (
            lambda: kreg.tuning.regularizer(_hp(), min_strength=0.0),
            "min_strength",
            0.0,
        ),
        (
            lambda: kreg.tuning.regularizer(_hp(), max_strength=1e-6),
            "max_strength",
            1e-6,
        ),
        (lambda: kreg.tuning.regularizer(_hp(), groups="rows"), "groups", "rows"),
        (lambda: kreg.tuning.regularizer(None), "hp", None),
        (lambda: kreg.tuning.dropout_rate(_hp(), max_value=1.0), "max_value", 1.0),
        (lambda: kreg.tuning.dropout_rate(_hp(), step=0.0), "step", 0.0),
        (lambda: kreg.tuning.weight_decay(_hp(), min_value=-1.0), "min_value", -1.0),
        (
            lambda: kreg.tuning.augmentation_strength(_hp(), max_value=0.0),
            "max_value",
            0.0,
        ),
        (lambda: kreg.tuning.dropout_rate(_hp(), name=""), "name", ""),
    ],
)
def test_bad_arguments_raise_with_the_documented_message(call, name, value):
    assert_invalid(call, name, value)

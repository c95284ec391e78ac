"""The HyperModel glue: plain build functions become tunable."""

import keras
import keras_tuner
import pytest

import kreg


def _build(regularizer, dropout_rate, units=4, activation="relu"):
    return keras.Sequential(
        [
            keras.Input((3,)),
            keras.layers.Dense(units, activation, kernel_regularizer=regularizer),
            keras.layers.Dropout(dropout_rate),
            keras.layers.Dense(1),
        ]
    )


def test_default_spaces_lists_and_fixed_values_reach_build():
    seen = {}

    def build(regularizer, dropout_rate, units=4, activation="relu"):
        seen.update(
            regularizer=regularizer, rate=dropout_rate, units=units, act=activation
        )
        return _build(regularizer, dropout_rate, units, activation)

    hypermodel = kreg.tuning.HyperModel(build, units=[8, 16], activation="tanh")
    hp = keras_tuner.HyperParameters()
    hp.values.update(
        {
            "regularizer_on": True,
            "regularizer_kind": "group_lasso",
            "regularizer_strength": 1e-3,
            "dropout_rate": 0.2,
            "units": 16,
        }
    )
    model = hypermodel.build(hp)
    assert isinstance(model, keras.Model)
    assert isinstance(seen["regularizer"], kreg.regularizers.GroupLasso)
    assert seen["rate"] == pytest.approx(0.2)
    assert seen["units"] == 16
    assert seen["act"] == "tanh"
    assert model.layers[0].units == 16


def test_custom_space_function_and_fixed_regularizer_copies():
    fixed = kreg.regularizers.L1(0.5)
    hypermodel = kreg.tuning.HyperModel(
        _build,
        regularizer=fixed,
        dropout_rate=lambda hp: kreg.tuning.dropout_rate(hp, "drop", max_value=0.2),
    )
    hp = keras_tuner.HyperParameters()
    values = hypermodel.values(hp)
    assert values["regularizer"] is not fixed  # a fresh copy per build
    assert float(values["regularizer"].strength) == pytest.approx(0.5)
    hypermodel.build(hp)
    assert sorted(hp.values) == ["drop"]


def test_a_parameter_with_no_space_and_no_default_is_rejected():
    def build(regularizer, depth):
        return _build(regularizer, 0.0)

    with pytest.raises(ValueError, match=r"argument `build` of HyperModel.*`depth`"):
        kreg.tuning.HyperModel(build)
    with pytest.raises(TypeError, match="does not take: widht"):
        kreg.tuning.HyperModel(_build, widht=[1, 2])
    with pytest.raises(ValueError, match="argument `build`"):
        kreg.tuning.HyperModel("not a function")


def test_tuner_sees_every_conditional_hyperparameter(tmp_path):
    tuner = kreg.tuning.Tuner(
        _build, loss="mse", cv=2, max_trials=1, directory=tmp_path, project_name="p"
    )
    names = {p.name for p in tuner.oracle.get_space().space}
    assert names == {
        "regularizer_on",
        "regularizer_kind",
        "regularizer_strength",
        "regularizer_l1_ratio",
        "dropout_rate",
    }

"""One vocabulary: task names, metric directions and the invalid-argument error."""

import importlib

import keras
import pytest

import kreg
from kreg import _vocabulary, data
from kreg._validation import InvalidArgumentError, invalid_argument
from kreg.members import losses
from kreg.tuning import tasks, tuner

DIRECTIONS = {
    "f1_score": "max",
    "val_f1_score": "max",
    "auc": "max",
    "val_auc": "max",
    "accuracy": "max",
    "val_sparse_categorical_accuracy": "max",
    "r2_score": "max",
    "loss": "min",
    "val_loss": "min",
    "val_data_loss": "min",
    "mse": "min",
    "val_mae": "min",
    "mean_squared_error": "min",
    "categorical_crossentropy": "min",
}


@pytest.mark.parametrize("name", sorted(DIRECTIONS))
def test_metric_direction(name):
    assert _vocabulary.metric_direction(name) == DIRECTIONS[name]


@pytest.mark.parametrize("name", sorted(DIRECTIONS))
def test_the_tuner_and_early_stopping_agree(name):
    objective = tuner.make_objective(name)
    stopping = kreg.callbacks.EarlyStopping(monitor=name)
    stopping.set_model(keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)]))
    minimize = stopping._direction()
    assert objective.direction == DIRECTIONS[name]
    assert minimize == (DIRECTIONS[name] == "min")


def test_an_unknown_name_has_no_direction():
    assert _vocabulary.metric_direction("val_widget") is None
    with pytest.raises(InvalidArgumentError, match="direction is known"):
        tuner.make_objective("val_widget")
    stopping = kreg.callbacks.EarlyStopping(monitor="val_widget")
    stopping.set_model(keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)]))
    with pytest.raises(ValueError, match="cannot tell"):
        stopping._direction()


def test_a_declared_direction_decides_an_unknown_name():
    # Keras metrics declare their direction; "widget" says nothing by itself.
    assert _vocabulary.metric_direction("val_widget", {"widget": "max"}) == "max"
    # A loss word wins over a declaration, as in EarlyStopping before.
    assert _vocabulary.metric_direction("val_loss", {"loss": "max"}) == "min"


def test_invalid_argument_error_is_a_public_value_error():
    assert kreg.InvalidArgumentError is InvalidArgumentError
    assert issubclass(InvalidArgumentError, ValueError)
    error = invalid_argument("Owner", "x", "a number", "a")
    assert isinstance(error, InvalidArgumentError)
    assert str(error) == (
        "Invalid value for argument `x` of Owner: expected a number. Received: x='a'"
    )
    with pytest.raises(kreg.InvalidArgumentError, match="argument `rate`"):
        kreg.layers.DropPath(rate=1.5)


def test_one_task_vocabulary():
    assert data.TASKS is _vocabulary.CLI_TASKS
    assert tasks.TASKS is losses.TASKS is _vocabulary.MODEL_TASKS
    assert tasks.WORDS is _vocabulary.TASK_WORDS
    mc_predict = importlib.import_module("kreg.uncertainty.mc_predict")
    assert mc_predict._TASKS == ("auto", *_vocabulary.MODEL_TASKS)
    assert set(_vocabulary.CLI_TASKS) <= set(_vocabulary.TASK_WORDS)
    assert _vocabulary.model_task("classification", 1, "o") == "binary"
    assert _vocabulary.model_task("classification", 3, "o") == "multiclass"
    assert _vocabulary.model_task("regression", 1, "o") == "regression"
    with pytest.raises(InvalidArgumentError, match="argument `task` of o"):
        _vocabulary.model_task("ranking", 1, "o")

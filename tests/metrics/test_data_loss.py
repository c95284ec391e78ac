import keras
import numpy as np
import pytest

import kreg
from tests.helpers import (
    assert_config_roundtrip,
    assert_invalid,
    assert_saved_model_roundtrip,
)


@pytest.mark.parametrize(
    "loss", ["mse", keras.losses.BinaryCrossentropy(from_logits=True)]
)
def test_matches_the_loss_function(loss):
    metric = kreg.metrics.DataLoss(loss)
    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 2, size=(10, 1)).astype("float32")
    y_pred = rng.normal(size=(10, 1)).astype("float32")
    metric.update_state(y_true, y_pred)
    expected = keras.losses.get(loss)(y_true, y_pred)
    assert float(metric.result()) == pytest.approx(float(np.mean(expected)), rel=1e-6)


@pytest.mark.parametrize("loss", ["binary_crossentropy", "mse"])
def test_labels_of_rank_one_line_up_as_in_the_compiled_loss(loss):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, "sigmoid")])
    model.compile("sgd", loss, metrics=[kreg.metrics.DataLoss(loss)])
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 3)).astype("float32")
    y = rng.integers(0, 2, size=32).astype("float32")  # shape (n,), not (n, 1)
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert logs["data_loss"] == pytest.approx(logs["loss"], rel=1e-5)


def test_val_data_loss_is_logged_without_the_penalty():
    model = keras.Sequential(
        [
            keras.Input((2,)),
            keras.layers.Dense(1, kernel_regularizer=kreg.regularizers.L2(5.0)),
        ]
    )
    model.compile("sgd", "mse", metrics=[kreg.metrics.DataLoss("mse")])
    x = np.ones((8, 2), "float32")
    history = model.fit(x, x[:, :1], validation_data=(x, x[:, :1]), verbose=0)
    logs = {k: v[-1] for k, v in history.history.items()}
    assert {"data_loss", "val_data_loss", "loss", "val_loss"} <= set(logs)
    assert logs["val_loss"] - logs["val_data_loss"] == pytest.approx(
        kreg.penalty(model).total, rel=1e-4
    )


@pytest.mark.parametrize(
    "loss", ["mse", keras.losses.CategoricalCrossentropy(label_smoothing=0.1)]
)
def test_serialization(loss, tmp_path):
    metric = kreg.metrics.DataLoss(loss)
    assert_config_roundtrip(metric)
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2)])
    model.compile("sgd", "mse", metrics=[metric])
    x = np.ones((4, 2), "float32")
    model.evaluate(x, x, verbose=0)
    loaded = assert_saved_model_roundtrip(model, x, tmp_path)
    loaded_logs = loaded.evaluate(x, x, verbose=0, return_dict=True)
    assert loaded_logs["data_loss"] == pytest.approx(
        model.evaluate(x, x, verbose=0, return_dict=True)["data_loss"]
    )


def test_bad_loss():
    assert_invalid(lambda: kreg.metrics.DataLoss("nope"), "loss", "nope", "DataLoss")

"""PenaltyMonitor: values against closed forms, DataLoss, History, CSV, TensorBoard."""

import csv

import keras
import numpy as np
import pytest
import tensorflow as tf

import kreg
from kreg.callbacks import EarlyStopping, PenaltyMonitor

RNG = np.random.default_rng(0)
X = RNG.normal(size=(32, 4)).astype("float32")
Y = (X @ RNG.normal(size=(4, 1))).astype("float32")


def model_with(lr=0.05, metric_name="dl"):
    model = keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(
                3, kernel_regularizer=kreg.regularizers.L1(0.1), name="hidden"
            ),
            keras.layers.Dense(
                1, kernel_regularizer=kreg.regularizers.L2(0.2), name="out"
            ),
        ]
    )
    model.compile(
        keras.optimizers.SGD(lr),
        "mse",
        metrics=[kreg.metrics.DataLoss(name=metric_name)],
    )
    return model


def test_values_match_closed_forms_and_dataloss():
    model = model_with()
    history = model.fit(
        X,
        Y,
        validation_data=(X[:16], Y[:16]),
        epochs=2,
        batch_size=8,
        verbose=0,
        callbacks=[PenaltyMonitor()],
    )
    logs = {k: v[-1] for k, v in history.history.items()}
    hidden, out = model.get_layer("hidden"), model.get_layer("out")
    k1, k2 = hidden.kernel.numpy(), out.kernel.numpy()
    assert logs["penalty/hidden"] == pytest.approx(0.1 * np.abs(k1).sum(), rel=1e-5)
    assert logs["penalty/out"] == pytest.approx(0.2 * np.square(k2).sum(), rel=1e-5)
    assert logs["penalty"] == pytest.approx(
        logs["penalty/hidden"] + logs["penalty/out"], rel=1e-6
    )
    norm = np.sqrt(np.square(k1).sum() + np.square(hidden.bias.numpy()).sum())
    assert logs["weight_norm/hidden"] == pytest.approx(norm, rel=1e-5)
    # val_loss - penalty is exactly the data loss on validation data.
    np.testing.assert_allclose(
        history.history["val_data_loss"], history.history["val_dl"], rtol=1e-5
    )
    # Without training_data: loss - end-of-epoch penalty (an approximation).
    assert logs["data_loss"] == pytest.approx(logs["loss"] - logs["penalty"])


def test_training_data_gives_the_exact_end_of_epoch_data_loss():
    model = model_with()
    history = model.fit(
        X,
        Y,
        epochs=2,
        batch_size=8,
        verbose=0,
        callbacks=[PenaltyMonitor(training_data=(X, Y))],
    )
    final = model.evaluate(X, Y, verbose=0, return_dict=True)["dl"]
    assert history.history["data_loss"][-1] == pytest.approx(final, rel=1e-5)
    # The running value of `loss` averages the epoch: not the same number.
    approx = history.history["loss"][-1] - history.history["penalty"][-1]
    assert abs(approx - final) > 1e-4


def test_keeps_data_loss_from_the_metric():
    model = model_with(metric_name="data_loss")
    model.compile(
        keras.optimizers.SGD(0.05),
        "mse",
        metrics=[kreg.metrics.DataLoss(), kreg.metrics.DataLoss(name="twin")],
    )
    history = model.fit(
        X, Y, validation_data=(X, Y), epochs=1, verbose=0, callbacks=[PenaltyMonitor()]
    )
    # DataLoss' running mean was kept, not replaced by loss - penalty.
    assert history.history["data_loss"] == history.history["twin"]
    assert history.history["val_data_loss"] == history.history["val_twin"]


def test_zero_fraction_counts_exact_zeros_in_kernels_only():
    model = model_with(lr=0.0)
    k1 = np.ones((4, 3), "float32")
    k1[0, :] = 0.0  # 3 zeros of 12
    k2 = np.array([[0.0], [1e-30], [2.0]], "float32")  # 1 zero of 3
    model.set_weights([k1, np.zeros(3), k2, np.zeros(1)])
    monitor = PenaltyMonitor()
    monitor.set_model(model)
    values = monitor.measure()
    assert values["zero_fraction"] == pytest.approx(4 / 15)


def test_shows_in_csv_and_tensorboard_and_feeds_early_stopping(tmp_path):
    model = model_with(metric_name="dl")
    path = tmp_path / "log.csv"
    stop = EarlyStopping(monitor="val_data_loss", patience=5)
    model.fit(
        X,
        Y,
        validation_data=(X, Y),
        epochs=2,
        verbose=0,
        callbacks=[
            PenaltyMonitor(),
            stop,
            keras.callbacks.CSVLogger(str(path)),
            keras.callbacks.TensorBoard(str(tmp_path / "tb")),
        ],
    )
    with open(path) as handle:
        header = next(csv.reader(handle))
    for key in ("penalty", "zero_fraction", "weight_norm/out", "val_data_loss"):
        assert key in header
    assert len(stop.values) == 2
    tags = set()
    for event_file in tf.io.gfile.glob(str(tmp_path / "tb" / "*" / "events*")):
        for event in tf.compat.v1.train.summary_iterator(event_file):
            tags.update(value.tag for value in event.summary.value)
    assert {"epoch_penalty", "epoch_weight_norm/out", "epoch_data_loss"} <= tags

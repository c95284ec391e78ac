"""EarlyStopping: Keras parity, Prechelt's criteria by hand, a real fit."""

import keras
import numpy as np
import pytest

import kreg
from kreg.callbacks import EarlyStopping


def tiny_model():
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    return model


def drive(callback, values, train=None, key="val_data_loss", model=None):
    """Feeds made-up logs epoch by epoch until the callback stops training."""
    model = model or tiny_model()
    model.stop_training = False
    callback.set_model(model)
    callback.on_train_begin()
    for epoch, value in enumerate(values):
        logs = {key: value}
        if train is not None:
            logs[key.removeprefix("val_")] = train[epoch]
        callback.on_epoch_end(epoch, logs)
        if model.stop_training:
            break
    callback.on_train_end()
    return callback


KERAS_CASES = [
    dict(patience=0),
    dict(patience=2),
    dict(patience=2, min_delta=0.02),
    dict(patience=1, baseline=0.85),
    dict(patience=3, baseline=0.5),
    dict(patience=1, start_from_epoch=3),
]
SEQUENCES = [
    [1.0, 0.9, 0.95, 0.91, 0.89, 0.92, 0.93, 0.94, 0.95, 0.96],
    [1.0, 0.99, 0.98, 0.97, 0.985, 0.96, 0.99, 1.0, 1.1, 1.2],
    [0.5, 0.6, 0.7, 0.4, 0.45, 0.46, 0.47, 0.48, 0.49, 0.5],
]


def test_patience_baseline_min_delta_match_keras():
    model = tiny_model()
    for kwargs in KERAS_CASES:
        for values in SEQUENCES:
            ours = EarlyStopping(monitor="val_loss", **kwargs)
            theirs = keras.callbacks.EarlyStopping(monitor="val_loss", **kwargs)
            drive(ours, values, key="val_loss", model=model)
            drive(theirs, values, key="val_loss", model=model)
            case = (kwargs, values)
            assert ours.stopped_epoch == theirs.stopped_epoch, case
            assert ours.best_epoch == theirs.best_epoch, case
            assert (ours.stop_reason is None) == (theirs.stopped_epoch == 0), case


def test_generalization_loss_by_hand():
    # E_opt = 0.8 from epoch 1; GL(2) = 100 * (0.82 / 0.8 - 1) = 2.5,
    # GL(3) = 6.25, GL(4) = 12.5.
    values = [1.0, 0.8, 0.82, 0.85, 0.9]
    assert drive(EarlyStopping(gl_alpha=2.0), values).stopped_epoch == 2
    stop = drive(EarlyStopping(gl_alpha=5.0), values)
    assert (stop.stopped_epoch, stop.stop_reason, stop.best_epoch) == (3, "gl", 1)
    assert drive(EarlyStopping(gl_alpha=10.0), values).stopped_epoch == 4
    assert drive(EarlyStopping(gl_alpha=20.0), values).stop_reason is None


# Strips of k = 2 end at epochs 1, 3, 5.
#   epoch 3: GL = 100 * (0.97 / 0.9 - 1) = 7.78; P = 1000 * (1.7 / (2 * 0.8) - 1)
#            = 62.5; PQ = 0.124.
#   epoch 5: GL = 100 * (1.02 / 0.9 - 1) = 13.33; P = 1000 * (1.55 / 1.54 - 1)
#            = 6.49; PQ = 2.05.
PQ_VAL = [1.0, 0.9, 0.95, 0.97, 1.0, 1.02, 1.05]
PQ_TRAIN = [2.0, 1.0, 0.9, 0.8, 0.78, 0.77, 0.76]


def test_progress_quotient_by_hand():
    for alpha, epoch in [(0.1, 3), (0.5, 5), (2.0, 5), (2.1, 0)]:
        stop = drive(EarlyStopping(pq_alpha=alpha, strip_length=2), PQ_VAL, PQ_TRAIN)
        assert stop.stopped_epoch == epoch, alpha
        assert stop.stop_reason == ("pq" if epoch else None), alpha


def test_progress_quotient_reads_the_named_training_key():
    stop = EarlyStopping(
        monitor="val_loss", pq_alpha=0.1, strip_length=2, train_monitor="data_loss"
    )
    with pytest.raises(ValueError, match="`data_loss`.*Available keys: loss, val_loss"):
        drive(stop, PQ_VAL, PQ_TRAIN, key="val_loss")


UP_CASES = [
    # k = 1: rises at epochs 2, 4, 5, 6 (3 is a fall): 3 in a row at 6.
    (3, 1, 6),
    (1, 1, 2),
    # k = 2: strip ends 1 (0.9), 3 (0.91, up), 5 (0.95, up): s = 2 at 5.
    (2, 2, 5),
    (4, 1, 0),
]


def test_successive_strips_of_increase_by_hand():
    values = [1.0, 0.9, 0.92, 0.91, 0.93, 0.95, 0.97]
    for strips, k, epoch in UP_CASES:
        stop = drive(EarlyStopping(up_strips=strips, strip_length=k), values)
        assert stop.stopped_epoch == epoch, (strips, k)


def test_criteria_combine_any_or_all():
    values = [1.0, 0.8, 0.82, 0.85, 0.9, 0.95]
    # GL(2) = 2.5 > 2 fires first; patience=2 runs out at epoch 3.
    assert drive(EarlyStopping(gl_alpha=2.0, patience=2), values).stopped_epoch == 2
    both = drive(EarlyStopping(gl_alpha=2.0, patience=2, combine="all"), values)
    assert (both.stopped_epoch, both.stop_reason) == (3, "patience+gl")
    late = drive(EarlyStopping(gl_alpha=10.0, patience=1, combine="all"), values)
    assert (late.stopped_epoch, late.stop_reason) == (4, "patience+gl")


def test_patience_none_is_keras_zero_alone_and_off_with_a_criterion():
    values = [1.0, 1.1, 1.2, 1.3]
    assert drive(EarlyStopping(), values).stopped_epoch == 1
    assert drive(EarlyStopping(gl_alpha=50.0), values).stop_reason is None


def test_relative_min_delta():
    values = [1.0, 0.995, 0.994, 0.98, 0.975]
    stop = drive(EarlyStopping(min_delta=0.01, min_delta_mode="relative"), values)
    # 0.995 does not beat 1.0 by 1% of 1.0: stop at epoch 1.
    assert stop.stopped_epoch == 1
    patient = drive(
        EarlyStopping(min_delta=0.01, min_delta_mode="relative", patience=3), values
    )
    # 0.98 beats 1.0 by 2%; 0.975 does not beat 0.98 by 0.0098.
    assert patient.best_epoch == 3
    absolute = drive(EarlyStopping(min_delta=0.01, patience=3), values)
    assert absolute.best_epoch == 3


def test_smoothing_is_an_exponential_average_and_is_logged():
    stop = EarlyStopping(smoothing=0.5, patience=1)
    stop.set_model(tiny_model())
    stop.on_train_begin()
    seen = []
    for epoch, value in enumerate([1.0, 0.6, 0.9, 0.4]):
        logs = {"val_data_loss": value}
        stop.on_epoch_end(epoch, logs)
        seen.append(logs["val_data_loss_smoothed"])
    # 1.0; 0.5 * 1 + 0.5 * 0.6 = 0.8; 0.5 * 0.8 + 0.45 = 0.85 (no improvement:
    # stop with patience 1; raw 0.9 vs 0.6 would also not improve); 0.625.
    np.testing.assert_allclose(seen, [1.0, 0.8, 0.85, 0.625])
    assert stop.stopped_epoch == 2
    # Noise that fools raw patience=1 passes once smoothed.
    noisy = [1.0, 0.8, 0.85, 0.7, 0.75, 0.6, 0.65, 0.5]
    assert drive(EarlyStopping(patience=1), noisy).stopped_epoch == 2
    assert drive(EarlyStopping(patience=1, smoothing=0.5), noisy).stop_reason is None


def test_missing_monitor_names_available_keys():
    stop = EarlyStopping()
    with pytest.raises(
        ValueError,
        match=r"monitors `val_data_loss`.*Available keys: loss, val_loss\..*DataLoss",
    ):
        stop.on_train_begin()
        stop.on_epoch_end(0, {"loss": 1.0, "val_loss": 1.0})


def test_missing_monitor_raises_even_before_start_from_epoch():
    stop = EarlyStopping(start_from_epoch=5)
    stop.set_model(tiny_model())
    stop.on_train_begin()
    with pytest.raises(ValueError, match="Available keys: loss"):
        stop.on_epoch_end(0, {"loss": 1.0})


def test_mode_auto():
    up = drive(
        EarlyStopping(monitor="val_accuracy", patience=0),
        [0.5, 0.6, 0.55],
        key="val_accuracy",
    )
    assert (up.stopped_epoch, up.best) == (2, 0.6)
    with pytest.raises(ValueError, match="Pass mode='min' or mode='max'"):
        drive(EarlyStopping(monitor="val_thing"), [1.0], key="val_thing")
    with pytest.raises(ValueError, match="need a minimized quantity"):
        drive(
            EarlyStopping(monitor="val_accuracy", gl_alpha=1.0),
            [1.0],
            key="val_accuracy",
        )


def test_prechelt_needs_positive_values():
    with pytest.raises(ValueError, match="need a positive `val_data_loss`"):
        drive(EarlyStopping(gl_alpha=1.0), [1.0, -0.5])


def test_restores_best_weights_in_a_real_fit():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 2)).astype("float32")
    y = x @ np.array([[1.0], [-2.0]], "float32")
    model = keras.Sequential(
        [
            keras.Input((2,)),
            keras.layers.Dense(1, kernel_regularizer=kreg.regularizers.L2(0.1)),
        ]
    )
    model.compile(
        keras.optimizers.SGD(0.5), "mse", metrics=[kreg.metrics.DataLoss("mse")]
    )
    snapshots = []
    record = keras.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: snapshots.append(model.get_weights())
    )
    # An absurd learning rate makes the data loss rise after a few epochs.
    stop = EarlyStopping(monitor="val_data_loss", patience=2, restore_best_weights=True)
    model.optimizer.learning_rate.assign(1.05)
    history = model.fit(
        x,
        y,
        validation_data=(x, y),
        epochs=12,
        batch_size=64,
        verbose=0,
        callbacks=[record, stop],
    )
    losses = history.history["val_data_loss"]
    assert stop.stop_reason == "patience"
    assert stop.best_epoch == int(np.argmin(losses))
    assert stop.stopped_epoch == stop.best_epoch + 2
    for actual, expected in zip(model.get_weights(), snapshots[stop.best_epoch]):
        np.testing.assert_array_equal(actual, expected)


def test_verbose_reports_the_reason_and_the_restore(capsys):
    drive(
        EarlyStopping(gl_alpha=5.0, verbose=True, restore_best_weights=True),
        [1.0, 0.8, 0.82, 0.85],
    )
    out = capsys.readouterr().out
    assert "Epoch 4: early stopping (gl)" in out
    assert "Restoring model weights from the end of the best epoch: 2." in out

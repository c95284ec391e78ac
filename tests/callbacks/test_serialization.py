"""Meta-test: every public callback deep-copies, resets per fit, validates, tunes.

Callbacks are not Keras-serializable objects (``fit`` takes them, models do not
save them), so instead of config round-trips this checks what KerasTuner relies
on: a clean deep copy, state reset in ``on_train_begin``, arguments validated.
"""

import copy

import keras
import keras_tuner
import numpy as np
import pytest

import kreg
from kreg import callbacks
from tests.helpers import assert_invalid

RNG = np.random.default_rng(0)
X = RNG.normal(size=(48, 4)).astype("float32")
Y = (X @ RNG.normal(size=(4, 1))).astype("float32")

CASES = {
    "EarlyStopping": lambda: callbacks.EarlyStopping(patience=1, gl_alpha=1.0),
    "RegularizationSchedule": lambda: callbacks.RegularizationSchedule(
        "cosine", start=1.0, end=0.1, epochs=3
    ),
    "DropoutSchedule": lambda: callbacks.DropoutSchedule("curriculum", gamma=1.0),
    "AugmentationSchedule": lambda: callbacks.AugmentationSchedule(
        "warmup", epochs=2, off_last_epochs=1
    ),
    "PenaltyMonitor": lambda: callbacks.PenaltyMonitor(training_data=(X, Y)),
    "SWA": lambda: callbacks.SWA(start_epoch=1, bn_data=X),
}


def build_model(hp=None):
    strength = 0.01 if hp is None else hp.Float("l2", 1e-3, 1e-1, sampling="log")
    model = keras.Sequential(
        [
            keras.Input((4,)),
            kreg.layers.FeatureNoise(0.1, seed=0, name="noise"),
            keras.layers.Dense(
                8, kernel_regularizer=kreg.regularizers.L2(strength), name="hidden"
            ),
            keras.layers.BatchNormalization(name="bn"),
            kreg.layers.MCDropout(0.2, seed=0, name="drop"),
            keras.layers.Dense(1, name="out"),
        ]
    )
    model.compile(
        keras.optimizers.SGD(0.05),
        "mse",
        metrics=[kreg.metrics.DataLoss("mse")],
        jit_compile=False,
    )
    return model


def fit(callback, epochs=4):
    keras.utils.set_random_seed(7)
    model = build_model()
    history = model.fit(
        X,
        Y,
        validation_data=(X, Y),
        epochs=epochs,
        batch_size=16,
        verbose=0,
        callbacks=[callback],
    )
    return model, history.history


def test_every_public_callback_has_a_case():
    assert set(callbacks.__all__) == set(CASES)


def snapshot(callback) -> dict:
    """The callback's plain state: numbers, strings, lists of numbers."""
    plain = (int, float, str, bool, type(None))
    return {
        key: value
        for key, value in vars(callback).items()
        if isinstance(value, plain)
        or (isinstance(value, list) and all(isinstance(v, plain) for v in value))
    }


@pytest.mark.parametrize("name", sorted(CASES))
def test_deepcopy_and_reuse_give_a_fresh_fit(name):
    callback = CASES[name]()
    model, first = fit(callback)
    state = snapshot(callback)
    # The copy carries the state of the first fit: on_train_begin must reset
    # it, so that fitting the copy repeats the first fit exactly.
    clone = copy.deepcopy(callback)
    assert clone._model is None and callback.model is model
    _, second = fit(clone)
    assert second.keys() == first.keys()
    for key in first:
        np.testing.assert_allclose(second[key], first[key], rtol=1e-6, err_msg=key)
    assert snapshot(clone) == state


BAD_ARGUMENTS = [
    (lambda: callbacks.EarlyStopping(patience=-1), "patience", -1, "EarlyStopping"),
    (lambda: callbacks.EarlyStopping(mode="up"), "mode", "up", "EarlyStopping"),
    (
        lambda: callbacks.EarlyStopping(min_delta=-0.1),
        "min_delta",
        -0.1,
        "EarlyStopping",
    ),
    (
        lambda: callbacks.EarlyStopping(min_delta_mode="ratio"),
        "min_delta_mode",
        "ratio",
        "EarlyStopping",
    ),
    (lambda: callbacks.EarlyStopping(smoothing=1.0), "smoothing", 1.0, "EarlyStopping"),
    (lambda: callbacks.EarlyStopping(gl_alpha=-1), "gl_alpha", -1, "EarlyStopping"),
    (lambda: callbacks.EarlyStopping(up_strips=0), "up_strips", 0, "EarlyStopping"),
    (
        lambda: callbacks.EarlyStopping(strip_length=0),
        "strip_length",
        0,
        "EarlyStopping",
    ),
    (
        lambda: callbacks.EarlyStopping(combine="both"),
        "combine",
        "both",
        "EarlyStopping",
    ),
    (
        lambda: callbacks.EarlyStopping(mode="max", pq_alpha=1.0),
        "mode",
        "max",
        "EarlyStopping",
    ),
    (
        lambda: callbacks.EarlyStopping(restore_best_weights=1),
        "restore_best_weights",
        1,
        "EarlyStopping",
    ),
    (lambda: callbacks.EarlyStopping(monitor=""), "monitor", "", "EarlyStopping"),
    (lambda: callbacks.EarlyStopping(verbose=-1), "verbose", -1, "EarlyStopping"),
    (
        lambda: callbacks.RegularizationSchedule("triangle"),
        "schedule",
        "triangle",
        "RegularizationSchedule",
    ),
    (
        lambda: callbacks.RegularizationSchedule("linear"),
        "epochs",
        None,
        "RegularizationSchedule",
    ),
    (
        lambda: callbacks.RegularizationSchedule("step"),
        "step_size",
        None,
        "RegularizationSchedule",
    ),
    (
        lambda: callbacks.RegularizationSchedule("step", step_size=2, epochs=5),
        "epochs",
        5,
        "RegularizationSchedule",
    ),
    (
        lambda: callbacks.RegularizationSchedule("linear", epochs=0),
        "epochs",
        0,
        "RegularizationSchedule",
    ),
    (
        lambda: callbacks.RegularizationSchedule("constant", end=-1.0),
        "end",
        -1.0,
        "RegularizationSchedule",
    ),
    (
        lambda: callbacks.RegularizationSchedule(lambda e: 1.0, end=2.0),
        "end",
        2.0,
        "RegularizationSchedule",
    ),
    (
        lambda: callbacks.RegularizationSchedule("constant", regularizers=["l2"]),
        "regularizers",
        ["l2"],
        "RegularizationSchedule",
    ),
    (
        lambda: callbacks.RegularizationSchedule("constant", relative="yes"),
        "relative",
        "yes",
        "RegularizationSchedule",
    ),
    (
        lambda: callbacks.DropoutSchedule("warmup", start=0.5, epochs=2),
        "start",
        0.5,
        "DropoutSchedule",
    ),
    (
        lambda: callbacks.DropoutSchedule(
            "constant", layers=[keras.layers.Dropout(0.5)]
        ),
        "layers",
        None,
        "DropoutSchedule",
    ),
    (
        lambda: callbacks.AugmentationSchedule(off_epoch=-1),
        "off_epoch",
        -1,
        "AugmentationSchedule",
    ),
    (
        lambda: callbacks.AugmentationSchedule(off_epoch=2, off_last_epochs=1),
        "off_last_epochs",
        1,
        "AugmentationSchedule",
    ),
    (
        lambda: callbacks.PenaltyMonitor(per_layer="yes"),
        "per_layer",
        "yes",
        "PenaltyMonitor",
    ),
    (lambda: callbacks.PenaltyMonitor(batch_size=0), "batch_size", 0, "PenaltyMonitor"),
    (
        lambda: callbacks.PenaltyMonitor(training_data="train.csv"),
        "training_data",
        "str",
        "PenaltyMonitor",
    ),
    (lambda: callbacks.SWA(start_epoch=1.5), "start_epoch", 1.5, "SWA"),
    (lambda: callbacks.SWA(start_epoch="half"), "start_epoch", "half", "SWA"),
    (lambda: callbacks.SWA(frequency=0), "frequency", 0, "SWA"),
    (lambda: callbacks.SWA(learning_rate=0.0), "learning_rate", 0.0, "SWA"),
    (lambda: callbacks.SWA(bn_batch_size=0), "bn_batch_size", 0, "SWA"),
]


def test_bad_arguments_raise_the_documented_message():
    for build, name, value, owner in BAD_ARGUMENTS:
        if value is None and name == "layers":
            with pytest.raises(ValueError, match=rf"argument `layers` of {owner}"):
                build()
        else:
            assert_invalid(build, name, value, owner)


def test_every_callback_runs_inside_a_kerastuner_search(tmp_path):
    given = [CASES[name]() for name in sorted(CASES)]
    # PenaltyMonitor must come before an EarlyStopping on val_data_loss.
    given.insert(0, callbacks.PenaltyMonitor())
    tuner = keras_tuner.RandomSearch(
        build_model,
        objective=keras_tuner.Objective("val_data_loss", "min"),
        max_trials=2,
        directory=str(tmp_path),
        project_name="callbacks",
        seed=0,
    )
    tuner.search(
        X,
        Y,
        validation_data=(X, Y),
        epochs=2,
        batch_size=16,
        verbose=0,
        callbacks=given,
    )
    trials = tuner.oracle.get_best_trials(2)
    assert len(trials) == 2
    assert all(t.status == "COMPLETED" for t in trials)
    assert all(np.isfinite(t.score) for t in trials)
    # KerasTuner used copies: the originals never saw a model.
    assert all(c._model is None for c in given)

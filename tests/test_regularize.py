import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

import kreg
from tests.helpers import assert_invalid

X = np.random.default_rng(0).normal(size=(32, 4)).astype("float32")
Y = (X @ np.array([[1.0], [-2.0], [0.0], [0.5]], "float32")).astype("float32")


def pretrained():
    keras.utils.set_random_seed(7)
    inputs = keras.Input((4,))
    hidden = keras.layers.Dense(8, activation="relu", name="hidden")(inputs)
    norm = keras.layers.BatchNormalization(name="norm")(hidden)
    outputs = keras.layers.Dense(1, name="out")(norm)
    model = keras.Model(inputs, outputs, name="net")
    model.compile(keras.optimizers.SGD(0.05), "mse")
    model.fit(X, Y, epochs=1, batch_size=8, verbose=0)  # compiled and traced
    return model


def test_penalties_count_in_losses_and_training():
    plain, penalized = pretrained(), pretrained()
    assert plain.losses == []
    report = kreg.regularize(penalized, kernel=kreg.regularizers.L2(0.5))
    assert report.applied == ["hidden/kernel", "out/kernel"]
    assert report.skipped == {}
    assert len(penalized.losses) == 2
    expected = 0.5 * sum(
        np.sum(penalized.get_layer(n).kernel.numpy() ** 2) for n in ("hidden", "out")
    )
    assert float(sum(penalized.losses)) == pytest.approx(expected, rel=1e-5)
    # The already-traced train function must now include the penalty.
    loss_plain = plain.evaluate(X, Y, verbose=0)
    loss_penalized = penalized.evaluate(X, Y, verbose=0)
    assert loss_penalized == pytest.approx(loss_plain + expected, rel=1e-4)
    plain.fit(X, Y, epochs=2, batch_size=8, verbose=0)
    penalized.fit(X, Y, epochs=2, batch_size=8, verbose=0)
    norm_plain = np.linalg.norm(plain.get_layer("hidden").kernel.numpy())
    norm_penalized = np.linalg.norm(penalized.get_layer("hidden").kernel.numpy())
    assert norm_penalized < norm_plain


@pytest.mark.parametrize(
    "layers",
    [keras.layers.Dense, "out", lambda layer: layer.name == "out"],
    ids=["type", "pattern", "callable"],
)
def test_layer_selection(layers):
    model = pretrained()
    report = kreg.regularize(model, kernel=kreg.regularizers.L1(0.1), layers=layers)
    expected = ["out/kernel"]
    if layers is keras.layers.Dense:
        expected = ["hidden/kernel", "out/kernel"]
    assert report.applied == expected


def test_pattern_must_match_the_whole_name():
    model = pretrained()
    report = kreg.regularize(model, kernel=kreg.regularizers.L1(0.1), layers="hid")
    assert report.applied == []
    report = kreg.regularize(model, kernel=kreg.regularizers.L1(0.1), layers="hid.*")
    assert report.applied == ["hidden/kernel"]


def test_bias_regularizer_and_nested_models():
    inner = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="inner")])
    outer = keras.Sequential([keras.Input((4,)), inner, keras.layers.Dense(1)])
    report = kreg.regularize(outer, bias=kreg.regularizers.L2(1.0))
    assert "inner/bias" in " ".join(report.applied)
    assert len(report.applied) == 2
    assert all(p.endswith("/bias") for p in report.applied)


def test_frozen_layers_are_reported_not_skipped_silently():
    model = pretrained()
    model.get_layer("hidden").trainable = False
    with pytest.warns(UserWarning, match="hidden: frozen"):
        report = kreg.regularize(model, kernel=kreg.regularizers.L2(0.1))
    assert report.applied == ["out/kernel"]
    assert "frozen" in report.skipped["hidden"]
    assert len(model.losses) == 1


def test_shared_regularizer_one_strength_for_all_layers():
    model = pretrained()
    reg = kreg.regularizers.L2(0.1)
    kreg.regularize(model, kernel=reg)
    before = float(sum(model.losses))
    reg.strength = 0.2
    assert float(sum(model.losses)) == pytest.approx(2 * before, rel=1e-5)
    separate = pretrained()
    reg2 = kreg.regularizers.L2(0.1)
    kreg.regularize(separate, kernel=reg2, share=False)
    reg2.strength = 0.2
    assert float(sum(separate.losses)) == pytest.approx(before, rel=1e-5)


def test_penalty_survives_save_and_load_in_a_fresh_process(tmp_path):
    model = pretrained()
    kreg.regularize(model, kernel=kreg.regularizers.ElasticNet(0.3, l1_ratio=0.4))
    path = tmp_path / "model.keras"
    model.save(path)
    expected = float(sum(model.losses))
    script = textwrap.dedent(
        f"""
        import keras
        import kreg  # registers kreg's classes; no custom_objects needed
        model = keras.models.load_model({str(path)!r})
        reg = model.get_layer("out").kernel_regularizer
        print(type(reg).__module__, type(reg).__name__, reg.l1_ratio)
        print(float(sum(model.losses)))
        """
    )
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert lines[-2] == "kreg.regularizers.elastic_net ElasticNet 0.4"
    assert float(lines[-1]) == pytest.approx(expected, rel=1e-5)


def test_bad_arguments():
    unbuilt = keras.Sequential([keras.layers.Dense(1)])
    assert_invalid(
        lambda: kreg.regularize(unbuilt, kernel=kreg.regularizers.L2()),
        "model",
        unbuilt,
        "regularize",
    )
    model = pretrained()
    assert_invalid(
        lambda: kreg.regularize(model, kernel="l2"), "kernel", "l2", "regularize"
    )
    assert_invalid(lambda: kreg.regularize(model), "kernel", None, "regularize")
    assert_invalid(
        lambda: kreg.regularize(model, kernel=kreg.regularizers.L2(), layers=3),
        "layers",
        3,
        "regularize",
    )

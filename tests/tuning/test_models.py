"""kreg's default tabular model and its search space."""

import keras
import keras_tuner
import numpy as np
import pytest

import kreg
from tests.helpers import assert_invalid


@pytest.mark.parametrize(
    ("task", "outputs", "loss"),
    [
        ("regression", 1, "mse"),
        ("binary", 1, "binary_crossentropy"),
        ("multiclass", 3, "sparse_categorical_crossentropy"),
    ],
)
def test_tabular_model_per_task(task, outputs, loss):
    reg = kreg.regularizers.GroupLasso(0.1, groups="inputs")
    model = kreg.tuning.tabular_model(
        reg, 0.2, n_features=4, n_outputs=outputs, task=task
    )
    assert model.output_shape == (None, outputs)
    # Both input kernels carry the penalty; nothing else does.
    penalized = [v.path for v in model.trainable_weights if v.regularizer is not None]
    assert sorted(penalized) == ["hidden/kernel", "linear/kernel"]
    assert isinstance(model.optimizer, kreg.optimizers.Proximal)
    assert model._compile_config.config["loss"] == loss
    prediction = model.predict(np.ones((2, 4), "float32"), verbose=0)
    if task != "regression":
        assert np.all((prediction >= 0) & (prediction <= 1))


def test_tabular_model_with_no_hidden_units_is_the_glm():
    reg = kreg.regularizers.L1(0.1)
    model = kreg.tuning.tabular_model(reg, n_features=4, task="binary", units=0)
    assert [layer.name for layer in model.layers if layer.weights] == ["linear"]
    penalized = [v.path for v in model.trainable_weights if v.regularizer is not None]
    assert penalized == ["linear/kernel"]
    x = np.ones((2, 4), "float32")
    kernel, bias = model.get_layer("linear").get_weights()
    expected = 1 / (1 + np.exp(-(x @ kernel + bias)))
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-5)
    assert_invalid(
        lambda: kreg.tuning.tabular_model(reg, n_features=4, units=-1), "units", -1
    )


def test_proximal_training_switches_irrelevant_inputs_off():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(128, 6)).astype("float32")
    y = (x[:, 0] - x[:, 1]).astype("float32")
    model = kreg.tuning.tabular_model(
        kreg.regularizers.GroupLasso(0.3, groups="inputs"), n_features=6
    )
    model.fit(x, y, epochs=40, batch_size=32, verbose=0)
    rows = np.abs(model.get_layer("linear").kernel.numpy()).sum(1) + np.abs(
        model.get_layer("hidden").kernel.numpy()
    ).sum(1)
    assert np.all(rows[2:] == 0.0)  # exact zeros, not small numbers
    assert np.all(rows[:2] > 0)


def test_tabular_hypermodel_space():
    hp = keras_tuner.HyperParameters()
    model = kreg.tuning.tabular_hypermodel(5, task="binary").build(hp)
    assert isinstance(model, keras.Model)
    kind = [p for p in hp.space if p.name == "regularizer_kind"][0]
    assert list(kind.values) == ["l1", "group_lasso"]
    assert {"regularizer_on", "regularizer_strength", "dropout_rate"} <= set(hp.values)


def test_bad_arguments():
    build = kreg.tuning.tabular_model
    assert_invalid(lambda: build(None, n_features=0), "n_features", 0)
    assert_invalid(lambda: build(None, n_features=3, task="ranking"), "task", "ranking")
    assert_invalid(
        lambda: build(None, n_features=3, n_outputs=2, task="binary"), "n_outputs", 2
    )
    assert_invalid(lambda: kreg.tuning.tabular_hypermodel(0), "n_features", 0)

"""kreg.sparsity counts exact zeros, switched-off groups and removable weights."""

import keras
import numpy as np
import pytest

import kreg
from kreg.optimizers import Proximal
from tests.helpers import assert_invalid


def test_dense_counts_match_a_hand_made_kernel():
    model = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(3, name="d"), keras.layers.Dense(1)]
    )
    kernel = np.arange(1.0, 13.0).reshape(4, 3)
    kernel[:, 2] = 0.0  # unit 2 off
    kernel[1] = 0.0  # input 1 off
    kernel[3, 0] = 0.0  # a lone zero
    model.get_layer("d").set_weights([kernel, np.array([0.0, 1.0, 2.0])])
    report = kreg.sparsity(model)
    layer = report.layers["d"]
    assert (layer.weights, layer.zeros) == (15, 8)  # 7 kernel zeros + 1 bias
    assert layer.zero_fraction == pytest.approx(8 / 15)
    assert (layer.units, layer.units_off) == (3, 1)
    assert (layer.inputs, layer.inputs_off) == (4, 1)
    assert layer.removable == 4 + 2 + 1  # column, rest of the row, its bias
    out = report.layers["dense"]
    assert (out.units_off, out.inputs_off) == (0, 0)
    assert report.weights == 15 + 4
    assert report.removable == layer.removable + out.removable


def test_conv_groups_are_filters_and_input_channels_and_nested_models_count():
    inner = keras.Sequential(
        [keras.Input((5, 5, 3)), keras.layers.Conv2D(4, 3, name="conv")], name="inner"
    )
    model = keras.Sequential(
        [keras.Input((5, 5, 3)), inner, keras.layers.Flatten(), keras.layers.Dense(1)]
    )
    kernel = np.ones((3, 3, 3, 4))
    kernel[..., 1] = 0.0
    kernel[:, :, 0, :] = 0.0
    inner.get_layer("conv").kernel.assign(kernel)
    layer = kreg.sparsity(model).layers["conv"]
    assert (layer.units_off, layer.inputs_off) == (1, 1)
    assert layer.removable == 27 + 9 * 3 + 1
    assert layer.zeros == 27 + 27 + 4  # filter, channel rest, zero biases


def test_layers_without_kernel_report_zero_fractions_only():
    model = keras.Sequential(
        [keras.Input((2,)), keras.layers.BatchNormalization(name="bn")]
    )
    layer = kreg.sparsity(model).layers["bn"]
    assert layer.units is None and layer.removable == 0
    assert layer.weights == 4 and layer.zeros == 2  # beta starts at zero


def test_table_and_invalid_model():
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2, name="d")])
    text = str(kreg.sparsity(model))
    assert "units off" in text and "d " in text and "total" in text
    assert_invalid(lambda: kreg.sparsity("model"), "model", "model", "sparsity")


def test_proximal_l1_gives_exact_zeros_where_plain_adam_gives_none():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(128, 30)).astype("float32")
    y = (x[:, :5] @ rng.normal(size=5))[:, None].astype("float32")

    def train(optimizer):
        keras.utils.set_random_seed(0)
        model = keras.Sequential(
            [
                keras.Input((30,)),
                keras.layers.Dense(
                    1, kernel_regularizer=kreg.regularizers.L1(0.05), name="d"
                ),
            ]
        )
        model.compile(optimizer, "mse")
        model.fit(np.tile(x, (20, 1)), np.tile(y, (20, 1)), batch_size=128, verbose=0)
        return kreg.sparsity(model).layers["d"]

    plain = train(keras.optimizers.Adam(0.05))
    proximal = train(Proximal(keras.optimizers.Adam(0.05)))
    assert plain.zeros == 0
    assert proximal.zeros >= 20  # of the 25 uninformative weights


def test_used_inputs_are_the_rows_of_the_layers_on_the_input():
    from kreg.sparsity import used_inputs

    model = kreg.tuning.tabular_model("l1", n_features=4, units=3, task="binary")
    linear, hidden = model.get_layer("linear"), model.get_layer("hidden")
    linear.kernel.assign(np.array([[1.0], [0.0], [0.0], [0.0]]))
    hidden_kernel = np.zeros((4, 3))
    hidden_kernel[2, 1] = -0.5
    hidden.kernel.assign(hidden_kernel)
    # The head reads the hidden units, not the inputs: its rows do not count.
    assert used_inputs(model).tolist() == [True, False, True, False]
    # An ensemble's members are nested models called on its input.
    other = kreg.tuning.tabular_model("l1", n_features=4, units=0, task="binary")
    other.get_layer("linear").kernel.assign(np.array([[0.0], [0.0], [0.0], [3.0]]))
    inputs = keras.Input((4,))
    ensemble = keras.Model(
        inputs, keras.layers.Average()([model(inputs), other(inputs)])
    )
    assert used_inputs(ensemble).tolist() == [True, False, True, True]
    with pytest.raises(kreg.InvalidArgumentError, match="`model` of used_inputs"):
        used_inputs(keras.layers.Dense(2))

"""Pruning keeps predictions (<= 1e-5) and removes what is off; relax refits."""

import keras
import numpy as np
import pytest
from sklearn.linear_model import LinearRegression

import kreg
from kreg.optimizers import Proximal
from tests.helpers import assert_invalid, assert_saved_model_roundtrip

rng = np.random.default_rng(0)


def _randomize(model, seed=0):
    """Random weights (biases too), so that folded constants are not zero."""
    generator = np.random.default_rng(seed)
    model.set_weights(
        [generator.normal(size=w.shape).astype("float32") for w in model.get_weights()]
    )
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.moving_variance.assign(
                generator.uniform(0.5, 2.0, size=layer.moving_variance.shape)
            )


def _zero(layer, units=(), inputs=()):
    kernel = layer.kernel.numpy()
    kernel[..., list(units)] = 0.0
    kernel[..., list(inputs), :] = 0.0
    layer.kernel.assign(kernel)


def _assert_same_predictions(model, report, x):
    expected = model.predict(x, verbose=0)
    actual = report.model.predict(x[..., report.kept_inputs], verbose=0)
    assert np.max(np.abs(actual - expected)) <= 1e-5


def test_dense_chain_folds_constant_units_through_activations_dropout_and_bn():
    model = keras.Sequential(
        [
            keras.Input((6,)),
            keras.layers.Dense(8, activation="sigmoid", name="a"),
            keras.layers.Dropout(0.3),
            keras.layers.BatchNormalization(),
            keras.layers.Dense(5, activation="tanh", name="b"),
            keras.layers.Activation("relu"),
            keras.layers.Dense(2, name="out"),
        ]
    )
    _randomize(model)
    _zero(model.get_layer("a"), units=[1, 4, 5], inputs=[2])
    _zero(model.get_layer("b"), units=[0], inputs=[7])  # unit 7 of "a" ignored
    report = kreg.prune(model, drop_inputs=True)
    assert report.kept_units == {
        "a": [0, 2, 3, 6],
        "b": [1, 2, 3, 4],
        "out": [0, 1],
    }
    assert report.kept_inputs == [0, 1, 3, 4, 5]
    _assert_same_predictions(model, report, rng.normal(size=(32, 6)))
    before = 6 * 8 + 8 + 4 * 8 + 8 * 5 + 5 + 5 * 2 + 2
    after = 5 * 4 + 4 + 4 * 4 + 4 * 4 + 4 + 4 * 2 + 2
    assert (report.params_before, report.params_after) == (before, after)
    assert report.reduction == pytest.approx(1 - after / before)


def test_inputs_are_kept_by_default_and_outputs_always():
    model = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(3, name="a"), keras.layers.Dense(2)]
    )
    _randomize(model)
    _zero(model.get_layer("a"), inputs=[0])
    _zero(model.layers[-1], units=[1])
    report = kreg.prune(model)
    assert report.kept_inputs == [0, 1, 2, 3]
    assert report.model.output_shape == (None, 2)
    _assert_same_predictions(model, report, rng.normal(size=(8, 4)))


def test_conv_valid_chain_folds_constant_filters():
    model = keras.Sequential(
        [
            keras.Input((9, 9, 3)),
            keras.layers.Conv2D(6, 3, activation="relu", name="c1"),
            keras.layers.MaxPooling2D(),
            keras.layers.Conv2D(4, 2, padding="valid", activation="elu", name="c2"),
            keras.layers.Flatten(),
            keras.layers.Dense(3, name="d"),
            keras.layers.Dense(1),
        ]
    )
    _randomize(model, seed=1)
    c1_bias = model.get_layer("c1").bias.numpy()
    c1_bias[[0, 3]] = np.abs(c1_bias[[0, 3]]) + 0.5  # relu keeps them non-zero
    model.get_layer("c1").bias.assign(c1_bias)
    _zero(model.get_layer("c1"), units=[0, 3])
    _zero(model.get_layer("c2"), units=[2])
    _zero(model.get_layer("d"), units=[1])
    report = kreg.prune(model)
    assert report.kept_units["c1"] == [1, 2, 4, 5]
    assert report.kept_units["c2"] == [0, 1, 3]
    assert report.kept_units["d"] == [0, 2]
    _assert_same_predictions(model, report, rng.normal(size=(4, 9, 9, 3)))


def test_same_padding_keeps_nonzero_constant_filters_and_removes_zero_ones():
    model = keras.Sequential(
        [
            keras.Input((6, 6, 2)),
            keras.layers.Conv2D(4, 3, padding="same", activation="relu", name="c1"),
            keras.layers.Conv2D(3, 3, padding="same", name="c2"),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(1),
        ]
    )
    _randomize(model, seed=2)
    bias = model.get_layer("c1").bias.numpy()
    bias[[0, 1]] = [1.0, -1.0]  # relu: constant 1 (kept), constant 0 (removed)
    model.get_layer("c1").bias.assign(bias)
    _zero(model.get_layer("c1"), units=[0, 1])
    _zero(model.get_layer("c2"), units=[2])
    report = kreg.prune(model)
    assert report.kept_units["c1"] == [0, 2, 3]
    assert report.kept_units["c2"] == [0, 1]  # folded through global pooling
    _assert_same_predictions(model, report, rng.normal(size=(4, 6, 6, 2)))


def test_functional_chain_is_pruned_and_a_branching_model_is_refused():
    inputs = keras.Input((5,))
    hidden = keras.layers.Dense(4, activation="relu", name="h")(inputs)
    chain = keras.Model(inputs, keras.layers.Dense(1)(hidden))
    _randomize(chain)
    _zero(chain.get_layer("h"), units=[2])
    report = kreg.prune(chain)
    assert report.kept_units["h"] == [0, 1, 3]
    _assert_same_predictions(chain, report, rng.normal(size=(8, 5)))

    branch = keras.layers.Dense(4)(inputs)
    merged = keras.layers.Add()([hidden, branch])
    residual = keras.Model(inputs, merged)
    assert_invalid(lambda: kreg.prune(residual), "model", residual, "prune")
    assert_invalid(lambda: kreg.prune(chain, drop_inputs=1), "drop_inputs", 1, "prune")


def test_softmax_mixes_units_so_they_are_kept():
    model = keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(3, activation="softmax", name="a"),
            keras.layers.Dense(3, name="b"),
            keras.layers.Activation("softmax"),
            keras.layers.Dense(1),
        ]
    )
    _randomize(model)
    _zero(model.get_layer("a"), units=[0])
    _zero(model.get_layer("b"), units=[1], inputs=[2])
    report = kreg.prune(model)
    assert report.kept_units["a"] == [0, 1, 2]
    assert report.kept_units["b"] == [0, 1, 2]
    _assert_same_predictions(model, report, rng.normal(size=(8, 4)))


def test_unknown_layer_between_dense_layers_stops_pruning():
    model = keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(3, name="a"),
            keras.layers.LayerNormalization(),  # mixes units
            keras.layers.Dense(2, name="b"),
            keras.layers.Dense(1),
        ]
    )
    _randomize(model)
    _zero(model.get_layer("a"), units=[0])
    _zero(model.get_layer("b"), units=[1])
    report = kreg.prune(model)
    assert report.kept_units["a"] == [0, 1, 2]
    assert report.kept_units["b"] == [0]
    _assert_same_predictions(model, report, rng.normal(size=(8, 4)))


def test_regularizers_are_kept_with_sliced_factors_and_model_saves(tmp_path):
    reg = kreg.regularizers.GroupLasso(
        0.1, groups="units", penalty_factor=[1.0, 2.0, 3.0, 4.0]
    ) + kreg.regularizers.L1(0.01, penalty_factor=np.arange(12.0).reshape(3, 4))
    model = keras.Sequential(
        [
            keras.Input((3,)),
            keras.layers.Dense(4, kernel_regularizer=reg, name="a"),
            keras.layers.Dense(1),
        ]
    )
    _randomize(model)
    _zero(model.get_layer("a"), units=[1], inputs=[0])
    report = kreg.prune(model, drop_inputs=True)
    new = report.model.get_layer("a").kernel_regularizer
    np.testing.assert_array_equal(new.terms[0].penalty_factor, [1.0, 3.0, 4.0])
    np.testing.assert_array_equal(
        new.terms[1].penalty_factor, [[4.0, 6.0, 7.0], [8.0, 10.0, 11.0]]
    )
    assert kreg.penalty(report.model).total > 0
    assert_saved_model_roundtrip(
        report.model, rng.normal(size=(4, 2)).astype("float32"), tmp_path
    )


def test_prune_after_group_lasso_training_keeps_predictions():
    x = rng.normal(size=(200, 30)).astype("float32")
    y = (x[:, :3] @ np.array([1.0, -2.0, 1.5]))[:, None].astype("float32")
    model = keras.Sequential(
        [
            keras.Input((30,)),
            keras.layers.Dense(
                16,
                activation="relu",
                kernel_regularizer=kreg.regularizers.GroupLasso(0.05, "inputs"),
                name="first",
            ),
            keras.layers.Dense(
                8,
                activation="relu",
                kernel_regularizer=kreg.regularizers.GroupLasso(0.05, "units"),
            ),
            keras.layers.Dense(1),
        ]
    )
    model.compile(Proximal(keras.optimizers.Adam(0.01)), "mse")
    # 30 passes over the data in one epoch (epochs are slow to start).
    model.fit(np.tile(x, (30, 1)), np.tile(y, (30, 1)), batch_size=50, verbose=0)
    report = kreg.prune(model, drop_inputs=True)
    inputs_off = kreg.sparsity(model).layers["first"].inputs_off
    assert inputs_off >= 15
    assert len(report.kept_inputs) == 30 - inputs_off
    assert report.params_after < report.params_before
    _assert_same_predictions(model, report, x)


def _lasso_model(x, y, strength, regularizer=None):
    model = keras.Sequential(
        [
            keras.Input((x.shape[1],)),
            keras.layers.Dense(
                1,
                kernel_regularizer=regularizer or kreg.regularizers.L1(strength),
                name="linear",
            ),
        ]
    )
    model.compile(Proximal(keras.optimizers.SGD(0.1)), "mse")
    model.fit(
        np.tile(x, (300, 1)),
        np.tile(y, (300, 1)),
        batch_size=len(x),
        shuffle=False,
        verbose=0,
    )
    return model


def test_relax_refits_the_support_without_shrinkage():
    x = rng.normal(size=(100, 8)).astype("float32")
    y = (x[:, :3] @ np.array([2.0, -1.0, 0.5]) + 0.1 * rng.normal(size=100))[
        :, None
    ].astype("float32")
    model = _lasso_model(x, y, 0.3)
    kernel = model.get_layer("linear").kernel.numpy().ravel()
    support = kernel != 0
    assert 0 < support.sum() < 8
    relaxed = kreg.relax(
        model,
        np.tile(x, (300, 1)),
        np.tile(y, (300, 1)),
        optimizer=keras.optimizers.SGD(0.1),
        epochs=1,
        batch_size=100,
        shuffle=False,
        verbose=0,
    )
    ols = LinearRegression().fit(x[:, support], y)
    new = relaxed.get_layer("linear").kernel.numpy().ravel()
    np.testing.assert_array_equal(new != 0, support)  # zeros stay zero
    np.testing.assert_allclose(new[support], ols.coef_.ravel(), atol=1e-3)
    assert np.all(np.abs(new[support]) > np.abs(kernel[support]))  # less shrunk
    # The original is untouched; the copy has no penalty and no zero mask left.
    np.testing.assert_array_equal(
        model.get_layer("linear").kernel.numpy().ravel(), kernel
    )
    assert kreg.penalty(relaxed).total == 0
    assert relaxed.get_layer("linear").kernel.constraint is None


def test_relax_keeps_non_proximable_terms_and_defaults_to_the_inner_optimizer():
    x = rng.normal(size=(50, 4)).astype("float32")
    y = x[:, :1]
    reg = kreg.regularizers.L1(0.2) + kreg.regularizers.L2(0.01)
    model = _lasso_model(x, y, None, regularizer=reg)
    relaxed = kreg.relax(model, x, y, metrics=["mae"], epochs=1, verbose=0)
    assert type(relaxed.optimizer) is keras.optimizers.SGD
    assert "mae" in relaxed.history.history
    kept = relaxed.get_layer("linear").kernel_regularizer
    assert isinstance(kept, kreg.regularizers.L2)
    assert relaxed.get_layer("linear").kernel.regularizer is kept


def test_relax_rejects_bad_arguments():
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    x, y = np.ones((4, 2)), np.ones((4, 1))
    assert_invalid(lambda: kreg.relax(model, x, y), "loss", None, "relax")
    model.compile("sgd", "mse")
    assert_invalid(lambda: kreg.relax(model, x, y, epochs=0), "epochs", 0, "relax")
    assert_invalid(lambda: kreg.relax("m", x, y), "model", "m", "relax")

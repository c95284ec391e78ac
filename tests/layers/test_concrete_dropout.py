"""ConcreteDropout: learned rate and the paper's regularization term."""

import keras
import numpy as np
import pytest

import kreg


def test_regularization_term_matches_the_paper():
    layer = kreg.layers.ConcreteDropout(
        keras.layers.Dense(3),
        weight_regularizer=1e-2,
        dropout_regularizer=1e-1,
        init_min=0.2,
        init_max=0.2,
    )
    x = np.ones((4, 5), "float32")
    layer(x, training=True)
    kernel = layer.layer.kernel.numpy()
    p, k = 0.2, 5
    expected = 1e-2 * np.sum(kernel**2) / (1 - p) + 1e-1 * k * (
        p * np.log(p) + (1 - p) * np.log(1 - p)
    )
    assert len(layer.losses) == 1
    assert float(layer.losses[0]) == pytest.approx(expected, rel=1e-5)
    layer(x, training=True)
    assert len(layer.losses) == 1  # not accumulated over calls


def test_input_dim_counts_all_non_batch_units():
    layer = kreg.layers.ConcreteDropout(
        keras.layers.Dense(2),
        weight_regularizer=0.0,
        dropout_regularizer=1.0,
        init_min=0.5,
        init_max=0.5,
    )
    layer(np.ones((2, 3, 4), "float32"))
    assert float(layer.losses[0]) == pytest.approx(12 * np.log(0.5), rel=1e-5)


def test_rate_is_readable_and_not_assignable():
    layer = kreg.layers.ConcreteDropout(
        keras.layers.Dense(2), init_min=0.3, init_max=0.3
    )
    assert float(layer.rate) == pytest.approx(0.3, rel=1e-5)
    assert not isinstance(layer, kreg.layers.VariableRate)  # schedules skip it
    with pytest.raises(AttributeError, match="learned"):
        layer.rate = 0.5
    assert layer.p_logit.trainable


def test_init_range_draws_the_initial_rate():
    layer = kreg.layers.ConcreteDropout(
        keras.layers.Dense(2), init_min=0.1, init_max=0.4, seed=0
    )
    assert 0.1 <= float(layer.rate) <= 0.4


def test_rate_is_learned_in_fit_and_saved(tmp_path):
    # A strong entropy term pulls p towards 0.5; the weight term pulls it to 0.
    def build(dropout_regularizer):
        inputs = keras.Input((8,))
        wrapper = kreg.layers.ConcreteDropout(
            keras.layers.Dense(4),
            weight_regularizer=1e-6,
            dropout_regularizer=dropout_regularizer,
            init_min=0.2,
            init_max=0.2,
            seed=0,
        )
        outputs = keras.layers.Dense(1)(wrapper(inputs))
        model = keras.Model(inputs, outputs)
        model.compile(keras.optimizers.Adam(0.1), "mse")
        return model, wrapper

    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 8)).astype("float32")
    y = x[:, :1] + 0.1 * rng.normal(size=(64, 1)).astype("float32")
    model, wrapper = build(dropout_regularizer=1.0)
    model.fit(x, y, epochs=5, batch_size=16, verbose=0)
    learned = float(wrapper.rate)
    assert learned > 0.35
    quiet_model, quiet = build(dropout_regularizer=0.0)
    quiet_model.fit(x, y, epochs=5, batch_size=16, verbose=0)
    assert float(quiet.rate) < 0.2  # dropping hurts the fit: p shrinks
    path = str(tmp_path / "concrete.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    twin = next(
        lay for lay in loaded.layers if isinstance(lay, kreg.layers.ConcreteDropout)
    )
    assert float(twin.rate) == pytest.approx(learned, rel=1e-6)


def test_layer_without_kernel_is_refused():
    layer = kreg.layers.ConcreteDropout(keras.layers.Activation("relu"))
    with pytest.raises(
        ValueError, match=r"Invalid value for argument `layer` of ConcreteDropout"
    ):
        layer.build((None, 3))

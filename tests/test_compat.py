"""Each private Keras and KerasTuner name kreg reads, through kreg._compat.

When an upgrade moves one, its test fails with the versions and the name, so the
fix is one function of kreg/_compat.py.
"""

import contextlib

import keras
import keras_tuner
import numpy as np
import pytest

from kreg import _compat


@contextlib.contextmanager
def private(name):
    """Turns any failure into one that names the private name and the versions."""
    try:
        yield
    except Exception as error:  # noqa: BLE001 - any failure means it moved
        pytest.fail(
            f"{name} moved or changed in {_compat.versions()}: update "
            f"kreg/_compat.py ({type(error).__name__}: {error})"
        )


def _nested():
    inner = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, name="inner")])
    inputs = keras.Input((3,))
    hidden = keras.layers.Dense(3, name="hidden")(inputs)
    outputs = keras.layers.Dense(1, name="out")(inner(hidden))
    return keras.Model(inputs, outputs), inner


def test_flatten_layers_reaches_nested_layers():
    model, inner = _nested()
    with private("Layer._flatten_layers"):
        names = [layer.name for layer in _compat.flatten_layers(model)]
        shallow = _compat.flatten_layers(model, include_self=False, recursive=False)
        assert model.name in names and "inner" in names and "hidden" in names
        assert model not in list(shallow) and "inner" not in [x.name for x in shallow]


def test_own_trainable_variables_excludes_sublayers():
    model, inner = _nested()
    with private("Layer._trainable_variables"):
        dense = model.get_layer("hidden")
        assert len(_compat.own_trainable_variables(dense)) == 2
        assert list(_compat.own_trainable_variables(inner)) == []


def test_outbound_operations_follow_the_graph():
    model, inner = _nested()
    with private("Layer._outbound_nodes / Node.operation"):
        assert _compat.outbound_operations(model.get_layer("hidden")) == [inner]


def test_compile_config_is_a_copy_of_compile_arguments():
    model, _ = _nested()
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    with private("Model._compile_config"):
        config = _compat.compile_config(model)
        assert config["loss"] == "mse" and config["metrics"] == ["mae"]
        config["loss"] = "mae"
        assert _compat.compile_config(model)["loss"] == "mse"


def test_learning_rate_of_gives_the_variable_or_the_schedule():
    schedule = keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.5)
    with private("Optimizer._learning_rate"):
        assert isinstance(
            _compat.learning_rate_of(keras.optimizers.SGD(0.1)), keras.Variable
        )
        assert _compat.learning_rate_of(keras.optimizers.SGD(schedule)) is schedule


def test_optimizer_variables():
    variable = keras.Variable(np.ones((2, 3), "float32"))
    optimizer = keras.optimizers.Adam()
    optimizer.build([variable])
    with private("Optimizer._variables / Optimizer._trainable_variables"):
        own = _compat.optimizer_own_variables(optimizer)
        assert any(v is optimizer.iterations for v in own)
        assert list(_compat.optimizer_trainable_variables(optimizer)) == [variable]


OPTIMIZERS = {
    "SGD": lambda: keras.optimizers.SGD(momentum=0.9),
    "Adam": lambda: keras.optimizers.Adam(amsgrad=True),
    "AdamW": lambda: keras.optimizers.AdamW(amsgrad=True),
    "Nadam": keras.optimizers.Nadam,
    "Adamax": keras.optimizers.Adamax,
    "RMSprop": lambda: keras.optimizers.RMSprop(momentum=0.9, centered=True),
    "Adagrad": keras.optimizers.Adagrad,
}


def test_every_optimizer_with_slots_is_tested():
    assert set(OPTIMIZERS) == set(_compat.OPTIMIZER_SLOTS)


@pytest.mark.parametrize("kind", sorted(_compat.OPTIMIZER_SLOTS))
def test_optimizer_slots(kind):
    variables = [keras.Variable(np.ones(shape, "float32")) for shape in [(2,), (2, 3)]]
    optimizer = OPTIMIZERS[kind]()
    assert type(optimizer).__name__ == kind
    optimizer.build(variables)
    for slot, attribute in _compat.OPTIMIZER_SLOTS[kind].items():
        with private(f"{kind}.{attribute} / Optimizer._get_variable_index"):
            assert len(_compat.optimizer_slots(optimizer, slot)) == 2
            for variable in variables:
                value = _compat.optimizer_slot(optimizer, slot, variable)
                assert tuple(value.shape) == tuple(variable.shape)
    assert _compat.optimizer_slots(optimizer, "no such slot") is None


def _oracle(cls=keras_tuner.oracles.RandomSearchOracle, **kwargs):
    hp = keras_tuner.HyperParameters()
    hp.Float("x", 0.0, 1.0)
    return cls(hyperparameters=hp, max_trials=2, **kwargs)


def test_objective_classes():
    with private("keras_tuner.src.engine.objective"):
        assert _compat.is_default_objective(_oracle().objective)
        assert not _compat.is_default_objective(_oracle(objective="val_loss").objective)
        multi = _oracle(objective=["val_loss", "loss"]).objective
        assert _compat.is_multi_objective(multi)
        assert not _compat.is_multi_objective(_oracle(objective="loss").objective)


def test_distribution_helpers_outside_a_distributed_search(monkeypatch):
    monkeypatch.delenv("KERASTUNER_ORACLE_IP", raising=False)
    monkeypatch.delenv("KERASTUNER_TUNER_ID", raising=False)
    with private("keras_tuner.src.distribute.utils"):
        assert _compat.has_chief_oracle() is False
        assert _compat.is_chief_oracle() is False


def test_distribution_helpers_in_the_chief(monkeypatch):
    monkeypatch.setenv("KERASTUNER_ORACLE_IP", "127.0.0.1")
    monkeypatch.setenv("KERASTUNER_ORACLE_PORT", "8000")
    monkeypatch.setenv("KERASTUNER_TUNER_ID", "chief")
    with private("keras_tuner.src.distribute.utils"):
        assert _compat.has_chief_oracle() and _compat.is_chief_oracle()


@pytest.mark.parametrize(
    "cls",
    [
        keras_tuner.oracles.RandomSearchOracle,
        keras_tuner.oracles.BayesianOptimizationOracle,
    ],
)
def test_seed_oracle_repeats_the_draws(cls):
    def draws():
        oracle = _oracle(cls, objective="loss")
        with private(f"{cls.__name__}._seed_state / _random_state"):
            _compat.seed_oracle(oracle, 7)
            assert oracle.seed == 7 and oracle._seed_state == 7
        return [oracle._random_values()["x"] for _ in range(3)]

    assert draws() == draws()


def test_retry_queue_is_the_list_create_trial_reads():
    oracle = _oracle(objective="loss")
    with private("Oracle._retry_queue"):
        queue = _compat.retry_queue(oracle)
        assert queue == [] and queue is _compat.retry_queue(oracle)


def test_oracle_protos_and_servicer():
    with private("keras_tuner.src.protos / keras_tuner.src.distribute.oracle_chief"):
        protos = _compat.oracle_protos()
        assert protos.get_service().EndTrialResponse() is not None
        assert hasattr(protos.get_service_grpc(), "add_OracleServicer_to_server")
        servicer = _compat.oracle_servicer()
        for method in ("CreateTrial", "UpdateTrial", "EndTrial"):
            assert callable(getattr(servicer, method))


def test_versions_names_both_libraries():
    assert _compat.versions() == (
        f"Keras {keras.__version__}, KerasTuner {keras_tuner.__version__}"
    )


def test_declared_direction_of_keras_metrics():
    with private("Metric._direction"):
        assert _compat.declared_direction(keras.metrics.AUC()) == "max"
        assert _compat.declared_direction(keras.metrics.F1Score()) == "max"
        assert _compat.declared_direction(keras.metrics.MeanSquaredError()) == "min"
    assert _compat.declared_direction(object()) is None

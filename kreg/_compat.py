"""The one door to Keras' and KerasTuner's private names.

kreg needs a few things neither library makes public: every layer of a model
including nested and custom ones, a compiled model's arguments, an optimizer's
per-variable state, and KerasTuner's objective classes, distribution helpers
and oracle internals. Each is read here and only here, so an upgrade that moves
one breaks this module (and ``tests/test_compat.py``, which names the version),
not a dozen call sites. KerasTuner is imported lazily: ``kreg.ops`` and the
Keras objects load without it.
"""

import keras
import numpy as np

# Keras


def flatten_layers(model, include_self: bool = True, recursive: bool = True):
    """Every layer of ``model``, nested models and custom layers included.

    The walk ``Layer.losses`` itself uses; Keras has no public equivalent
    (``model.layers`` stops at the first level and misses tracked attributes).
    """
    return model._flatten_layers(include_self=include_self, recursive=recursive)


def own_trainable_variables(layer) -> list:
    """The trainable variables ``layer`` owns itself, not its sublayers'."""
    return layer._trainable_variables


def outbound_operations(layer) -> list:
    """The operations that consume ``layer``'s outputs in a functional graph."""
    return [node.operation for node in layer._outbound_nodes]


def compile_config(model) -> dict:
    """A copy of the arguments ``model.compile`` was last called with."""
    return dict(model._compile_config.config)


def learning_rate_of(optimizer):
    """An optimizer's learning rate as given: a variable, a schedule or a
    callable (the public ``learning_rate`` evaluates a schedule)."""
    return optimizer._learning_rate


def declared_direction(metric) -> str | None:
    """``"max"`` or ``"min"`` as a Keras metric declares it, None if it does not."""
    direction = getattr(metric, "_direction", None)
    if direction is None:
        return None
    return "max" if direction == "up" else "min"


def optimizer_own_variables(optimizer) -> list:
    """The variables an optimizer's base class made (iterations, learning rate)."""
    return optimizer._variables


def optimizer_trainable_variables(optimizer) -> list:
    """The variables ``optimizer`` was built for."""
    return optimizer._trainable_variables


# The per-variable state ``kreg.optimizers.Proximal`` reads to know each
# coordinate's step, by optimizer class: kreg's name -> Keras' attribute.
OPTIMIZER_SLOTS = {
    "SGD": {"momentum": "momentums"},
    "Adam": {"velocity": "_velocities", "velocity_hat": "_velocity_hats"},
    "AdamW": {"velocity": "_velocities", "velocity_hat": "_velocity_hats"},
    "Nadam": {"velocity": "_velocities"},
    "Adamax": {"u": "_u"},
    "RMSprop": {
        "momentum": "_momentums",
        "velocity": "_velocities",
        "average_gradient": "_average_gradients",
    },
    "Adagrad": {"accumulator": "_accumulators"},
}


def optimizer_slots(optimizer, slot: str) -> list | None:
    """The list of ``slot`` variables of a built ``optimizer`` (one per
    trainable variable), or None when its class keeps no such slot."""
    attribute = OPTIMIZER_SLOTS.get(type(optimizer).__name__, {}).get(slot)
    return None if attribute is None else getattr(optimizer, attribute, None)


def optimizer_slot(optimizer, slot: str, variable):
    """The ``slot`` variable a built ``optimizer`` keeps for ``variable``."""
    return optimizer_slots(optimizer, slot)[optimizer._get_variable_index(variable)]


# KerasTuner, imported inside each function: kreg.ops and the Keras objects
# load without it.


def is_default_objective(objective) -> bool:
    """Whether ``objective`` is the placeholder an oracle gets when given none."""
    from keras_tuner.src.engine import objective as kt_objective

    return isinstance(objective, kt_objective.DefaultObjective)


def is_multi_objective(objective) -> bool:
    """Whether ``objective`` combines several metrics."""
    from keras_tuner.src.engine import objective as kt_objective

    return isinstance(objective, kt_objective.MultiObjective)


def has_chief_oracle() -> bool:
    """Whether this process takes part in a distributed search."""
    from keras_tuner.src.distribute import utils

    return utils.has_chief_oracle()


def is_chief_oracle() -> bool:
    """Whether this process is a distributed search's chief."""
    from keras_tuner.src.distribute import utils

    return utils.is_chief_oracle()


def seed_oracle(oracle, seed: int) -> None:
    """Seeds ``oracle`` after construction: its public seed, the counter its
    trials' seeds are drawn from, and Bayesian optimization's random state."""
    oracle.seed = seed
    oracle._seed_state = seed
    if hasattr(oracle, "_random_state"):  # Bayesian optimization
        oracle._random_state = np.random.RandomState(seed)


def retry_queue(oracle) -> list:
    """The trial ids ``oracle.create_trial`` hands out again first."""
    return oracle._retry_queue


def oracle_protos():
    """KerasTuner's gRPC messages and service of a distributed search."""
    from keras_tuner.src import protos

    return protos


def oracle_servicer():
    """KerasTuner's chief servicer class, which kreg's chief extends."""
    from keras_tuner.src.distribute import oracle_chief

    return oracle_chief.OracleServicer


def versions() -> str:
    """The Keras and KerasTuner versions, for messages about moved names."""
    import keras_tuner

    return f"Keras {keras.__version__}, KerasTuner {keras_tuner.__version__}"

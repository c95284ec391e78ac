"""Issue 15: every public constructor and function, fed generated bad values.

Each registered callable declares, per argument, what a valid value is (as
scikit-learn's ``_parameter_constraints``). Hypothesis then calls it with one
argument replaced by a generated value of every kind (negative, zero, NaN,
inf, huge, wrong type, arrays, tensors, wrong shapes, unknown strings, and
valid ones). The only acceptable outcomes: a ValueError or TypeError whose
message names the argument, or acceptance of a value the constraint calls
valid. Construction only: nothing trains.

Every public name of kreg is either registered here or listed in
``NOT_FUZZED`` with the reason, so a new public name cannot slip past.
"""

import inspect
import math
from dataclasses import dataclass

import keras
import keras_tuner
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kreg

FLOAT32_MAX = float(np.finfo("float32").max)


# -- constraints -------------------------------------------------------------
def _real(value) -> float | None:
    """The value as a float if it is a real number (not a bool), else None.

    A 0-d numeric array or tensor counts (kreg reads a scalar from either).
    """
    if isinstance(value, (bool, np.bool_)):
        return None
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value)
    if getattr(value, "shape", None) is not None and tuple(value.shape) == ():
        array = np.asarray(value)
        if array.dtype.kind in "fiu":
            return float(array)
    return None


@dataclass(frozen=True)
class Real:
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False

    def ok(self, value) -> bool:
        x = _real(value)
        if x is None or not math.isfinite(x) or abs(x) > FLOAT32_MAX:
            return False
        if self.low is not None and (x < self.low or (self.low_open and x == self.low)):
            return False
        return not (
            self.high is not None
            and (x > self.high or (self.high_open and x == self.high))
        )


@dataclass(frozen=True)
class Int:
    low: int | None = None
    high: int | None = None

    def ok(self, value) -> bool:
        if isinstance(value, (bool, np.bool_)) or not isinstance(
            value, (int, np.integer)
        ):
            return False
        if self.low is not None and value < self.low:
            return False
        return self.high is None or value <= self.high


@dataclass(frozen=True)
class Bool:
    def ok(self, value) -> bool:
        return isinstance(value, (bool, np.bool_))


@dataclass(frozen=True)
class Choice:
    values: tuple

    def ok(self, value) -> bool:
        return any(
            (value is None and v is None)
            or (isinstance(v, str) and isinstance(value, str) and value == v)
            or (
                isinstance(v, bool)
                and isinstance(value, (bool, np.bool_))
                and bool(value) is v
            )
            for v in self.values
        )


@dataclass(frozen=True)
class ListOf:
    """A non-empty list, tuple or 1-d array of items that pass ``item``."""

    item: object

    def ok(self, value) -> bool:
        if isinstance(value, np.ndarray):
            if value.ndim != 1:
                return False
            value = value.tolist()
        if not isinstance(value, (list, tuple)) or not value:
            return False
        return all(self.item.ok(v) for v in value)


@dataclass(frozen=True)
class Opt:
    """None or the inner constraint."""

    inner: object

    def ok(self, value) -> bool:
        return value is None or self.inner.ok(value)


@dataclass(frozen=True)
class Either:
    options: tuple

    def ok(self, value) -> bool:
        return any(option.ok(value) for option in self.options)


SEED = Opt(Int(0, 2**32 - 1))
VERBOSE = Either((Int(0), Bool()))
RATE = Real(0.0, 1.0, high_open=True)
NONNEG = Real(0.0)
POSITIVE = Real(0.0, low_open=True)
UNIT = Real(0.0, 1.0)
# One strength, or one per member of a stacked weight.
STRENGTH = Either((Real(0.0), ListOf(Real(0.0))))


# -- the registry ------------------------------------------------------------
@dataclass
class Entry:
    """``make(**arguments)`` with ``base`` arguments; ``checks`` per argument."""

    make: object
    base: dict
    checks: dict


def _dense():
    return keras.layers.Dense(2)


def _hp():
    return keras_tuner.HyperParameters()


X2 = np.ones((2, 3), "float32")
X4 = np.ones((2, 6, 6, 3), "float32")
W = np.ones((3, 2), "float32")
L, C, OPS = kreg.layers, kreg.callbacks, kreg.ops
T = kreg.tuning


def _tuner(**kwargs):
    def build(hp):
        return keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])

    return T.Tuner(build, loss="mse", directory=_DIRECTORY[0], **kwargs)


_DIRECTORY = [None]

SCHEDULE_CHECKS = {
    "relative": Bool(),
    "end": Opt(NONNEG),
    "epochs": Int(1),
    "restore": Bool(),
    "verbose": VERBOSE,
    "per_step": Bool(),
}

REGISTRY = {
    # regularizers
    "regularizers.L1": Entry(kreg.regularizers.L1, {}, {"strength": STRENGTH}),
    "regularizers.AdaptiveLasso": Entry(
        kreg.regularizers.AdaptiveLasso,
        {"estimate": W},
        {
            "strength": STRENGTH,
            "gamma": Real(0.0, low_open=True),
            "groups": Opt(Choice(("units", "inputs"))),
        },
    ),
    "regularizers.L2": Entry(kreg.regularizers.L2, {}, {"strength": STRENGTH}),
    "regularizers.ElasticNet": Entry(
        kreg.regularizers.ElasticNet, {}, {"strength": STRENGTH, "l1_ratio": UNIT}
    ),
    "regularizers.GroupLasso": Entry(
        kreg.regularizers.GroupLasso,
        {},
        {"strength": STRENGTH, "groups": Choice(("units", "inputs"))},
    ),
    "regularizers.SparseGroupLasso": Entry(
        kreg.regularizers.SparseGroupLasso,
        {},
        {
            "strength": STRENGTH,
            "l1_ratio": UNIT,
            "groups": Choice(("units", "inputs")),
        },
    ),
    # layers
    "layers.ConcreteDropout": Entry(
        lambda **k: L.ConcreteDropout(_dense(), **k),
        {},
        {
            "weight_regularizer": NONNEG,
            "dropout_regularizer": NONNEG,
            "temperature": POSITIVE,
            "seed": SEED,
        },
    ),
    "layers.DropBlock2D": Entry(
        L.DropBlock2D,
        {},
        {
            "rate": RATE,
            "block_size": Int(1),
            "data_format": Choice((None, "channels_last", "channels_first")),
            "seed": SEED,
        },
    ),
    "layers.DropConnectDense": Entry(
        L.DropConnectDense, {"units": 2}, {"units": Int(1), "rate": RATE, "seed": SEED}
    ),
    "layers.DropPath": Entry(
        L.DropPath, {}, {"rate": RATE, "scale_by_keep": Bool(), "seed": SEED}
    ),
    "layers.FeatureNoise": Entry(
        L.FeatureNoise, {}, {"magnitude": NONNEG, "seed": SEED}
    ),
    "layers.LockedDropout": Entry(L.LockedDropout, {}, {"rate": RATE, "seed": SEED}),
    "layers.MCDropout": Entry(L.MCDropout, {}, {"rate": RATE, "seed": SEED}),
    "layers.SwapNoise": Entry(L.SwapNoise, {}, {"magnitude": UNIT, "seed": SEED}),
    "layers.TabularMixUp": Entry(L.TabularMixUp, {}, {"alpha": NONNEG, "seed": SEED}),
    "layers.StackedDense": Entry(
        L.StackedDense,
        {"units": 2, "members": 2},
        {"units": Int(1), "members": Int(1), "use_bias": Bool()},
    ),
    "layers.StackedDropout": Entry(
        L.StackedDropout,
        {"rate": 0.1, "members": 2},
        {"members": Int(1), "seed": SEED},
    ),
    "layers.BatchEnsembleDense": Entry(
        L.BatchEnsembleDense,
        {"units": 2, "members": 2},
        {
            "units": Int(1),
            "members": Int(1),
            "use_bias": Bool(),
            "input_adapter": Bool(),
            "output_adapter": Bool(),
            "seed": SEED,
        },
    ),
    "layers.EnsembleMLP": Entry(
        L.EnsembleMLP,
        {"units": [4], "outputs": 1, "members": 2},
        {
            "outputs": Int(1),
            "members": Int(1),
            "dropout": RATE,
            "average": Bool(),
            "seed": SEED,
        },
    ),
    "layers.drop_path_rates": Entry(
        L.drop_path_rates,
        {"max_rate": 0.2, "depth": 3},
        {
            "max_rate": RATE,
            "depth": Either((Int(1, 1_000_000), ListOf(Int(1, 1_000_000)))),
        },
    ),
    # callbacks
    "callbacks.EarlyStopping": Entry(
        C.EarlyStopping,
        {},
        {
            "min_delta": NONNEG,
            "patience": Opt(Int(0)),
            "verbose": VERBOSE,
            "mode": Choice(("auto", "min", "max")),
            "baseline": Opt(Real()),
            "restore_best_weights": Bool(),
            "start_from_epoch": Int(0),
            "min_delta_mode": Choice(("absolute", "relative")),
            "strip_length": Int(1),
            "combine": Choice(("any", "all")),
        },
    ),
    "callbacks.PenaltyMonitor": Entry(
        C.PenaltyMonitor, {}, {"per_layer": Bool(), "batch_size": Int(1)}
    ),
    "callbacks.RegularizationSchedule": Entry(
        C.RegularizationSchedule,
        {"schedule": "linear", "epochs": 3},
        SCHEDULE_CHECKS,
    ),
    "callbacks.DropoutSchedule": Entry(
        C.DropoutSchedule, {"schedule": "linear", "epochs": 3}, SCHEDULE_CHECKS
    ),
    "callbacks.AugmentationSchedule": Entry(
        C.AugmentationSchedule,
        {"schedule": "linear", "epochs": 3},
        {**SCHEDULE_CHECKS, "off_epoch": Opt(Int(0))},
    ),
    "callbacks.SWA": Entry(
        C.SWA,
        {},
        {
            "start_epoch": Either((Int(0), Real(0.0, 1.0, True, True))),
            "frequency": Int(1),
            "bn_batch_size": Int(1),
            "learning_rate": Opt(POSITIVE),
            "verbose": VERBOSE,
        },
    ),
    # optimizers and metrics
    "optimizers.Proximal": Entry(
        kreg.optimizers.Proximal,
        {"inner_optimizer": "sgd"},
        {
            "step": Choice(("auto", "learning_rate")),
            "loss_includes_penalty": Bool(),
        },
    ),
    # tuning
    "tuning.Tuner": Entry(
        _tuner,
        {},
        {
            "max_trials": Int(1),
            "max_epochs": Opt(Int(1)),
            "seed": Opt(Int(0, 2**32 - 2)),
            "stratify": Choice(("auto", True, False)),
            "patience": Opt(Int(0)),
            "overwrite": Bool(),
            "max_consecutive_failed_trials": Int(1),
            "worker_timeout": POSITIVE,
            "oracle": Choice(("random", "bayesian", "hyperband", "grid")),
        },
    ),
    "tuning.select": Entry(
        T.select,
        {"means": [1.0], "standard_errors": [0.1], "levels": [1.0]},
        {
            "rule": Choice(("min", "1se")),
            "direction": Choice(("min", "max")),
        },
    ),
    "tuning.ensemble_selection": Entry(
        T.ensemble_selection,
        {"task": "regression", "y": [0.0, 1.0], "predictions": [[[0.0], [1.0]]]},
        {"task": Choice(("regression", "binary", "multiclass")), "steps": Int(1, 1000)},
    ),
    "tuning.dropout_rate": Entry(
        lambda **k: T.dropout_rate(_hp(), **k),
        {},
        {"min_value": RATE, "max_value": RATE, "step": POSITIVE},
    ),
    "tuning.weight_decay": Entry(
        lambda **k: T.weight_decay(_hp(), **k),
        {},
        {"min_value": POSITIVE, "max_value": POSITIVE, "allow_none": Bool()},
    ),
    "tuning.regularizer": Entry(
        lambda **k: T.regularizer(_hp(), **k),
        {},
        {
            "min_strength": POSITIVE,
            "max_strength": POSITIVE,
            "allow_none": Bool(),
            "groups": Choice(("units", "inputs")),
        },
    ),
    "tuning.tabular_hypermodel": Entry(
        T.tabular_hypermodel,
        {"n_features": 3},
        {
            "n_features": Int(1),
            "n_outputs": Int(1),
            "task": Choice(("regression", "binary", "multiclass")),
            "units": Int(1),
            "min_strength": POSITIVE,
            "max_strength": POSITIVE,
            "max_dropout": RATE,
        },
    ),
    # ops (tiny tensors: they compute, but in microseconds)
    # ops: rates may also be tensors (a schedule's variable); seeds go to
    # keras.random as they are (an int, a SeedGenerator or a tensor) and are
    # not fuzzed here.
    "ops.dropout": Entry(OPS.dropout, {"x": X2, "rate": 0.1}, {"rate": RATE}),
    "ops.drop_path": Entry(OPS.drop_path, {"x": X2, "rate": 0.1}, {"rate": RATE}),
    "ops.locked_dropout": Entry(
        OPS.locked_dropout, {"x": X4[:, :, 0], "rate": 0.1}, {"rate": RATE}
    ),
    "ops.drop_block": Entry(
        OPS.drop_block, {"x": X4, "rate": 0.1, "block_size": 3}, {"rate": RATE}
    ),
    "ops.drop_connect": Entry(
        OPS.drop_connect, {"kernel": W, "rate": 0.1}, {"rate": RATE}
    ),
    "ops.swap_noise": Entry(OPS.swap_noise, {"x": X2, "rate": 0.1}, {"rate": UNIT}),
    "ops.feature_noise": Entry(
        OPS.feature_noise, {"x": X2, "magnitude": 0.1}, {"magnitude": NONNEG}
    ),
    "ops.soft_threshold": Entry(OPS.soft_threshold, {"w": W, "threshold": 0.1}, {}),
    "ops.group_soft_threshold": Entry(
        OPS.group_soft_threshold,
        {"w": W, "threshold": 0.1},
        {"groups": Choice(("units", "inputs")), "members": Bool()},
    ),
    "ops.elastic_net_penalty": Entry(
        OPS.elastic_net_penalty, {"w": W, "l1_ratio": 0.5}, {"l1_ratio": UNIT}
    ),
    "ops.group_lasso_penalty": Entry(
        OPS.group_lasso_penalty,
        {"w": W},
        {"groups": Choice(("units", "inputs")), "members": Bool()},
    ),
    "ops.drop_block_gamma": Entry(
        OPS.drop_block_gamma,
        {"rate": 0.1, "block_size": 3},
        {"rate": RATE, "block_size": Int(1)},
    ),
}

NOT_FUZZED = {
    "InvalidArgumentError": "the exception the checks raise",
    # Plain result records, built by kreg, never by a user.
    "PenaltyReport": "a result record",
    "PruneReport": "a result record",
    "LayerSparsity": "a result record",
    "RegularizeReport": "a result record",
    "SparsityReport": "a result record",
    "tuning.RegularizationPath": "a result record",
    "tuning.TabularPath": "a result record",
    "uncertainty.MCPrediction": "a result record",
    # Their arguments are models, data or callables, checked by their own
    # tests; a valid value would train or predict.
    "penalty": "takes a model",
    "sparsity": "takes a model",
    "prune": "takes a trained model",
    "relax": "trains",
    "regularize": "takes a model",
    "uncertainty.mc_predict": "predicts with a model",
    "tuning.regularization_path": "trains",
    "tuning.member_path": "trains",
    "tuning.tabular_path": "trains",
    "tuning.tabular_model": "builds a model per call (tests/tuning/test_models.py)",
    "tuning.HyperModel": "its arguments are a build function and search spaces",
    "tuning.augmentation_strength": "search-space helper like dropout_rate",
    "tuning.default_candidates": "takes no argument",
    "tuning.regularization_level": "takes hyperparameters",
    "tuning.standard_error": "takes a list of scores",
    "regularizers.Regularizer": "the abstract base of the registered ones",
    "regularizers.Sum": "takes regularizers (tests/regularizers)",
    "layers.MemberAverage": "no arguments of its own",
    "layers.VariableRate": "a mixin base class",
    "metrics.DataLoss": "takes a Keras loss (tests/metrics)",
    "ops.mixup": "like swap_noise, on (x, y) pairs",
    "ops.concrete_dropout": "its rate is a tensor of the layer",
    "ops.concrete_dropout_regularizer": "its rate is a tensor of the layer",
    "ops.drop_block_mask": "under drop_block",
    "ops.keep_mask": "under dropout",
    "ops.elastic_net_prox": "thresholds are tensors",
    "ops.sparse_group_prox": "thresholds are tensors",
    "ops.group_norms": "like group_lasso_penalty",
    "ops.l1_penalty": "takes only tensors",
    "ops.l2_penalty": "takes only tensors",
}


def _public_names() -> list[str]:
    names = [n for n in kreg.__all__ if not inspect.ismodule(getattr(kreg, n))]
    for package in (
        "regularizers",
        "layers",
        "callbacks",
        "optimizers",
        "metrics",
        "tuning",
        "ops",
        "uncertainty",
    ):
        module = getattr(kreg, package)
        names += [f"{package}.{n}" for n in module.__all__]
    return names


def test_every_public_name_is_fuzzed_or_says_why_not():
    names = set(_public_names())
    assert names == set(REGISTRY) | set(NOT_FUZZED), (
        "unregistered: "
        + str(sorted(names - set(REGISTRY) - set(NOT_FUZZED)))
        + "; stale: "
        + str(sorted((set(REGISTRY) | set(NOT_FUZZED)) - names))
    )
    for name, entry in REGISTRY.items():
        assert entry.checks or name.startswith("ops."), name


# -- generated values ----------------------------------------------------------
_FIXED = [
    -1,
    0,
    1,
    2,
    3,
    -(2**31),
    2**32 - 1,
    2**32,
    2**63,
    2**64,
    10**20,
    -(10**20),
    -1.0,
    -0.5,
    0.0,
    0.5,
    1.0,
    1.5,
    1e-30,
    1e38,
    3.5e38,
    1e39,
    -1e39,
    1e308,
    float("nan"),
    float("inf"),
    float("-inf"),
    True,
    False,
    None,
    "",
    "x",
    "0.1",
    "auto",
    "units",
    "min",
    "linear",
    "True",
    [],
    [1.0, 2.0],
    (1,),
    {"a": 1},
    {"class_name": "x"},
    np.float32(np.nan),
    np.float64(0.5),
    np.int64(2),
    np.array(0.5),
    np.array([0.1, 0.2]),
    np.zeros((2, 2)),
    np.array(["a", "b"]),
    np.array([True]),
    np.bool_(True),
    object(),
]
VALUES = st.one_of(
    st.sampled_from(_FIXED),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.text(max_size=4),
    st.builds(
        lambda v: keras.ops.convert_to_tensor(v), st.sampled_from([0.5, [0.5, 1.0]])
    ),
)
CASES = [(name, arg) for name, entry in REGISTRY.items() for arg in entry.checks]


def _names_argument(error: Exception, name: str) -> bool:
    # A cross-argument error may name the other argument and quote this one
    # (``expected a float > min_value=0.5``).
    text = str(error)
    return f"`{name}`" in text or f"'{name}'" in text or f"{name}=" in text


@pytest.fixture(scope="module", autouse=True)
def _directory(tmp_path_factory):
    _DIRECTORY[0] = str(tmp_path_factory.mktemp("tuners"))


@settings(
    max_examples=1200,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(case=st.sampled_from(CASES), value=VALUES)
def test_bad_arguments_raise_errors_naming_them(case, value):
    name, argument = case
    entry = REGISTRY[name]
    valid = entry.checks[argument].ok(value)
    try:
        entry.make(**{**entry.base, argument: value})
    except (ValueError, TypeError) as error:
        assert _names_argument(error, argument), (
            f"{name}({argument}={value!r}) raised an error that does not name "
            f"`{argument}`: {type(error).__name__}: {error}"
        )
        return
    except Exception as error:  # noqa: BLE001 - any other outcome is the defect
        raise AssertionError(
            f"{name}({argument}={value!r}) raised {type(error).__name__}: {error}"
        ) from error
    assert valid, f"{name} accepted {argument}={value!r}, which is not valid"

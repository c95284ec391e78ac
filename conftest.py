"""Shared pytest set-up: quiet TensorFlow, names for docstring examples."""

import gc
import os

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

# Keras (and with it TensorFlow) is imported in the fixtures, not here: the
# xdist controller loads this file too, and runs no test; importing
# TensorFlow there held up the workers' start by a few seconds.

# Run only in a fresh process by tests/test_mirrored.py: importing it configures
# TensorFlow's logical devices, which fails once TensorFlow has initialized them.
collect_ignore = ["tests/mirrored_checks.py"]


def pytest_collection_finish(session):
    # Everything imported so far (TensorFlow, Keras, the collected tests) lives
    # to the end: out of the cyclic collector's reach, a full collection no
    # longer walks those ~400,000 objects (~5 % of the suite's CPU time).
    gc.collect()
    gc.freeze()
    # What the tests leave behind is mostly Keras' traced functions and caches,
    # which outlive their test anyway: a full pass after 100 middle-generation
    # ones, not 10 (GC time in 84 tests: 1.9 -> 0.5 s; younger garbage is still
    # collected as often).
    gc.set_threshold(700, 10, 100)


@pytest.fixture(autouse=True)
def _doctest_names(doctest_namespace):
    import keras
    import numpy as np

    import kreg

    doctest_namespace.update(np=np, keras=keras, kreg=kreg)


@pytest.fixture(autouse=True)
def _fixed_seed():
    import keras

    keras.utils.set_random_seed(1234)
    yield
    # free_memory=False skips a gc.collect() per test (~0.15 s each, over a minute
    # in all); names and graphs are still reset.
    keras.backend.clear_session(free_memory=False)


@pytest.fixture
def float64():
    """Float64 weights and computations for one test.

    The dtype policy is set with floatx: Keras pins its global policy at the
    first layer it builds, so floatx alone leaves a later model float32 (and its
    compiled loss float64, which cannot add the float32 penalty).
    """
    import keras

    policy = keras.config.dtype_policy()
    keras.config.set_floatx("float64")
    keras.config.set_dtype_policy("float64")
    yield
    keras.config.set_floatx("float32")
    keras.config.set_dtype_policy(policy)

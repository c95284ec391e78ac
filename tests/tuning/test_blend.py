"""Greedy ensemble selection: the weights of kreg tune's blend of families."""

import numpy as np
import pytest
from sklearn import metrics

from kreg.tuning.blend import data_loss, ensemble_selection
from tests.helpers import assert_invalid


def test_data_loss_equals_scikit_learns():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 40)
    p = rng.dirichlet(np.ones(3), 40)
    np.testing.assert_allclose(
        data_loss("multiclass", y, p), metrics.log_loss(y, p, labels=[0, 1, 2])
    )
    binary = (y > 0).astype(int)
    q = p[:, :1]
    np.testing.assert_allclose(
        data_loss("binary", binary, q), metrics.log_loss(binary, q)
    )
    z = rng.normal(size=40)
    np.testing.assert_allclose(
        data_loss("regression", z, z[:, None] + 0.5),
        metrics.mean_squared_error(z, z + 0.5),
    )


def test_two_independent_errors_are_averaged_and_a_biased_model_is_left_out():
    rng = np.random.default_rng(0)
    y = rng.normal(size=2000)
    first = y + rng.normal(size=2000)
    second = y + rng.normal(size=2000)
    # A constant 0 would get weight 1/3 (the optimal shrinkage of the
    # average); one far off helps nothing.
    useless = np.full(2000, 10.0)
    weights = ensemble_selection(
        "regression", y, [useless[:, None], first[:, None], second[:, None]]
    )
    assert weights[0] == 0
    np.testing.assert_allclose(weights[1:], [0.5, 0.5], atol=0.1)
    blended = sum(w * p for w, p in zip(weights, [useless, first, second]))
    assert data_loss("regression", y, blended) < 0.6  # each alone: 1.0


def test_a_model_that_does_not_help_gets_no_weight():
    y = np.array([0.0, 1.0, 2.0, 3.0])
    exact, off = y[:, None], y[:, None] + 1.0
    np.testing.assert_array_equal(
        ensemble_selection("regression", y, [off, exact]), [0, 1]
    )
    # Equal models: the first (the simplest family) alone.
    np.testing.assert_array_equal(
        ensemble_selection("regression", y, [exact, exact]), [1, 0]
    )


def test_a_model_with_nan_is_never_chosen_and_bad_arguments_are_refused():
    y = np.array([0.0, 1.0])
    nan = np.array([[np.nan], [1.0]])
    np.testing.assert_array_equal(
        ensemble_selection("regression", y, [nan, y[:, None] + 1]), [0, 1]
    )
    with pytest.raises(ValueError, match="argument `predictions`"):
        ensemble_selection("regression", y, [nan])
    assert_invalid(lambda: ensemble_selection("regression", y, []), "predictions", [])
    assert_invalid(
        lambda: ensemble_selection("regression", y, [nan], steps=0), "steps", 0
    )
    assert_invalid(lambda: data_loss("ranking", y, y), "task", "ranking")

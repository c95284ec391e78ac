"""The min and one-standard-error rules, against hand computations."""

import numpy as np
import pytest

import kreg
from tests.helpers import assert_invalid


def test_standard_error_matches_numpy():
    scores = [0.3, 0.5, 0.4, 0.9]
    expected = np.std(scores, ddof=1) / np.sqrt(4)
    assert kreg.tuning.standard_error(scores) == pytest.approx(expected)
    assert kreg.tuning.standard_error([1.0]) == 0.0


def test_one_standard_error_picks_the_most_regularized_within_one_se():
    # As glmnet's lambda.1se: best is index 1 (0.50 +- 0.05); within 0.55 are
    # indices 1, 2 (0.54) and 4 (0.55); the most regularized of them is 4.
    means = [0.60, 0.50, 0.54, 0.70, 0.55]
    ses = [0.05, 0.05, 0.05, 0.05, 0.05]
    levels = [0.0, 0.5, 1.0, 3.0, 2.0]
    assert kreg.tuning.select(means, ses, levels, rule="min") == 1
    assert kreg.tuning.select(means, ses, levels, rule="1se") == 4


def test_one_standard_error_uses_the_se_of_the_best_only():
    # Index 2 has a huge SE of its own but is 0.2 above the best (SE 0.01).
    means, ses, levels = [0.5, 0.6, 0.7], [0.01, 0.01, 1.0], [0.0, 1.0, 2.0]
    assert kreg.tuning.select(means, ses, levels, rule="1se") == 0


def test_direction_max_and_nan_means():
    means = [0.80, np.nan, 0.78, 0.70]
    ses = [0.03, 0.0, 0.03, 0.03]
    levels = [0.0, 5.0, 1.0, 2.0]
    assert kreg.tuning.select(means, ses, levels, direction="max") == 0
    assert kreg.tuning.select(means, ses, levels, rule="1se", direction="max") == 2


def test_ties_in_level_go_to_the_better_score():
    assert kreg.tuning.select([0.5, 0.52, 0.51], [0.1] * 3, [1, 1, 1], rule="1se") == 0


def test_bad_arguments():
    assert_invalid(
        lambda: kreg.tuning.select([1.0], [0.1], [0.0], rule="max"), "rule", "max"
    )
    assert_invalid(
        lambda: kreg.tuning.select([np.nan], [0.1], [0.0]), "means", [np.nan]
    )
    with pytest.raises(ValueError, match="standard_errors"):
        kreg.tuning.select([1.0, 2.0], [0.1], [0.0, 1.0])

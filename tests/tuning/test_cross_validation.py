"""Folds and input checks."""

import numpy as np
import pytest
import tensorflow as tf
from sklearn.model_selection import PredefinedSplit

from kreg.tuning.cross_validation import (
    check_data,
    class_labels,
    fixed_splits,
    make_splits,
)
from tests.helpers import assert_invalid


def test_classification_folds_are_stratified():
    y = np.array([0] * 30 + [1] * 10)
    splits = make_splits(y, 5, seed=0)
    assert len(splits) == 5
    for train, val in splits:
        assert np.sum(y[val] == 1) == 2  # 10 positives over 5 folds, exactly
        assert len(np.intersect1d(train, val)) == 0
    all_val = np.sort(np.concatenate([v for _, v in splits]))
    np.testing.assert_array_equal(all_val, np.arange(40))


def test_one_hot_targets_are_class_labels_and_floats_are_not():
    y = np.eye(3)[[0, 1, 2, 1]]
    np.testing.assert_array_equal(class_labels(y), [0, 1, 2, 1])
    assert class_labels(np.array([0.5, 1.5])) is None
    assert class_labels(np.array([[1.0, 2.0], [3.0, 4.0]])) is None


def test_regression_uses_shuffled_kfold_and_the_seed_fixes_it():
    y = np.linspace(0, 1, 20)
    first = make_splits(y, 4, seed=3)
    again = make_splits(y, 4, seed=3)
    other = make_splits(y, 4, seed=4)
    for (_, a), (_, b) in zip(first, again):
        np.testing.assert_array_equal(a, b)
    assert any(not np.array_equal(a, b) for (_, a), (_, b) in zip(first, other))
    assert not np.array_equal(first[0][1], np.arange(5))  # shuffled


def test_a_scikit_learn_splitter_is_used_as_is():
    y = np.arange(6.0)
    splits = make_splits(y, PredefinedSplit([0, 0, 1, 1, -1, -1]))
    np.testing.assert_array_equal(splits[0][1], [0, 1])
    np.testing.assert_array_equal(splits[1][0], [0, 1, 4, 5])


def test_errors():
    assert_invalid(lambda: make_splits(np.arange(10.0), 1), "cv", 1)
    assert_invalid(lambda: make_splits(np.arange(10.0), True), "cv", True)
    assert_invalid(lambda: make_splits(np.arange(3.0), 5), "cv", 5)
    assert_invalid(lambda: make_splits(np.array([0, 0, 0, 1]), 2), "cv", 2)
    x = np.ones((4, 2))
    with pytest.raises(ValueError, match=r"finite values.*1 non-finite"):
        check_data(np.array([[1.0], [np.nan], [0.0], [2.0]]), np.ones(4), "f")
    with pytest.raises(ValueError, match=r"argument `y`.*as many rows as x \(\[4\]\)"):
        check_data(x, np.ones(3), "f")
    with pytest.raises(ValueError, match="argument `y`.*finite"):
        check_data(x, np.array([1.0, np.inf, 0.0, 0.0]), "f")
    with pytest.raises(ValueError, match="argument `x`.*tf.data"):
        check_data(tf.data.Dataset.from_tensor_slices(x), np.ones(4), "f")
    with pytest.raises(ValueError, match=r"as many rows as x \(\[3, 4\]\)"):
        check_data({"a": x, "b": np.ones((3, 1))}, np.ones(4), "f")


def test_fixed_splits_keep_make_splits_folds_for_another_encoding():
    labels = np.array([0] * 12 + [1] * 6)
    splitter = fixed_splits(labels, 3, stratify=True, seed=2)
    expected = make_splits(labels, 3, seed=2)
    floats = labels.astype("float32").reshape(-1, 1)  # not class labels
    for (_, want), (_, got) in zip(expected, make_splits(floats, splitter)):
        np.testing.assert_array_equal(got, want)
    unstratified = fixed_splits(labels, 3, stratify=False, seed=2)
    for (_, want), (_, got) in zip(
        make_splits(labels, 3, stratify=False, seed=2),
        make_splits(floats, unstratified),
    ):
        np.testing.assert_array_equal(got, want)

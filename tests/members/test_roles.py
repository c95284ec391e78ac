"""Roles of rows: folds partition the rows; training and validation stay apart."""

import numpy as np

import kreg
from tests.helpers import assert_invalid


def test_fold_roles_partition_the_rows():
    roles = kreg.members.fold_roles(23, 5, labels=np.arange(23) % 2, seed=1)
    assert roles.shape == (23, 5)
    validation = roles == kreg.members.VALIDATION
    np.testing.assert_array_equal(validation.sum(axis=1), np.ones(23))
    np.testing.assert_array_equal(roles == kreg.members.TRAIN, ~validation)
    grid = kreg.members.repeat_roles(roles, 3)
    np.testing.assert_array_equal(grid[:, 7], roles[:, 2])


def test_split_roles_rejects_shared_rows():
    assert_invalid(
        lambda: kreg.members.split_roles([([0, 1], [1])], 2),
        "splits",
        "<member 0 shares rows>",
        "split_roles",
    )
    assert_invalid(lambda: kreg.members.fold_roles(5, 1), "folds", 1, "fold_roles")

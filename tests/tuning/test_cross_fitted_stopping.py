"""A net's fold member early-stops on the other folds' held-out rows."""

import numpy as np

from kreg.tuning.path.stack_steps import _cross_fitted


def test_each_fold_stops_on_the_pooled_loss_of_the_other_folds():
    sums = np.array([3.0, 5.0, 10.0])  # each fold's summed held-out loss
    counts = np.array([3.0, 5.0, 4.0])  # and its held-out rows
    monitored = _cross_fitted(sums, counts)
    np.testing.assert_allclose(monitored[:3], [15 / 9, 13 / 7, 8 / 8])
    assert monitored[3] == np.inf  # the all-rows member has its own budget


def test_a_fold_s_own_held_out_loss_does_not_change_what_it_stops_on():
    sums = np.array([3.0, 5.0, 10.0])
    counts = np.array([3.0, 5.0, 4.0])
    worse = sums.copy()
    worse[0] = 300.0  # fold 0 fits its own held-out rows badly
    np.testing.assert_array_equal(
        _cross_fitted(sums, counts)[0], _cross_fitted(worse, counts)[0]
    )

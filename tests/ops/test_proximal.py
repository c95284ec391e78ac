"""Proximal operators against numpy closed forms and their optimality conditions."""

import numpy as np
import pytest

from kreg import ops
from tests.helpers import assert_invalid


def _soft(w, t):
    return np.sign(w) * np.maximum(np.abs(w) - t, 0.0)


def _group_prox_bisection(z, t):
    """Exact prox of ||x|| in the metric sum (x_i - z_i)^2 / (2 t_i), by bisection."""
    if np.sum((z / t) ** 2) <= 1.0:
        return np.zeros_like(z)
    low, high = 0.0, float(np.linalg.norm(z))
    for _ in range(200):
        mid = (low + high) / 2
        if np.sum(z**2 / (mid + t) ** 2) > 1.0:
            low = mid
        else:
            high = mid
    r = (low + high) / 2
    return z * r / (r + t)


def test_soft_threshold_matches_numpy_and_gives_exact_zeros():
    rng = np.random.default_rng(0)
    w = rng.normal(size=(5, 7))
    t = rng.uniform(0, 1, size=(5, 7))
    out = ops.soft_threshold(w, t).numpy()
    np.testing.assert_allclose(out, _soft(w, t), atol=1e-12)
    assert np.all(out[np.abs(w) <= t] == 0.0)
    np.testing.assert_array_equal(ops.soft_threshold(w, 0.0).numpy(), w)


def test_elastic_net_prox_is_the_minimizer():
    rng = np.random.default_rng(1)
    w = rng.normal(size=200)
    l1, l2 = 0.3, 0.7
    x = ops.elastic_net_prox(w, l1, l2).numpy()
    np.testing.assert_allclose(x, _soft(w, l1) / (1 + l2), atol=1e-12)

    def objective(v):
        return 0.5 * (v - w) ** 2 + l1 * np.abs(v) + 0.5 * l2 * v**2

    for delta in (1e-3, -1e-3):
        assert np.all(objective(x) <= objective(x + delta) + 1e-12)


@pytest.mark.parametrize("groups", ["units", "inputs"])
def test_group_soft_threshold_uniform_matches_closed_form(groups):
    rng = np.random.default_rng(2)
    w = rng.normal(size=(6, 4)) * rng.uniform(0.1, 2.0, size=(1, 4))
    t = 1.5
    out = ops.group_soft_threshold(w, t, groups).numpy()
    axis = 0 if groups == "units" else 1
    norm = np.linalg.norm(w, axis=axis, keepdims=True)
    expected = w * np.maximum(0.0, 1.0 - t / norm)
    np.testing.assert_allclose(out, expected, atol=1e-12)
    zero = (norm <= t).ravel()
    assert zero.any() and not zero.all()
    off = out[:, zero] if groups == "units" else out[zero, :]
    assert np.all(off == 0.0)


def test_group_soft_threshold_on_conv_kernel_groups_filters_and_channels():
    rng = np.random.default_rng(3)
    w = rng.normal(size=(3, 3, 4, 5))
    for groups, axes in (("units", (0, 1, 2)), ("inputs", (0, 1, 3))):
        out = ops.group_soft_threshold(w, 2.5, groups).numpy()
        norm = np.sqrt(np.sum(w**2, axis=axes, keepdims=True))
        np.testing.assert_allclose(out, w * np.maximum(0.0, 1 - 2.5 / norm), atol=1e-12)


def test_group_soft_threshold_per_weight_thresholds_is_the_metric_prox():
    rng = np.random.default_rng(4)
    for _ in range(20):
        size = int(rng.integers(1, 12))
        z = rng.normal(size=(size, 1)) * 10 ** rng.uniform(-2, 2)
        # Adam-like steps spread over ten orders of magnitude.
        t = 10 ** rng.uniform(-9, 1, size=(size, 1))
        out = ops.group_soft_threshold(z, t, "units").numpy()
        expected = _group_prox_bisection(z.ravel(), t.ravel()).reshape(-1, 1)
        np.testing.assert_allclose(out, expected, rtol=1e-9, atol=1e-12)


def test_group_soft_threshold_zero_threshold_is_identity():
    w = np.array([[1.0, 0.0], [2.0, 0.0]])
    np.testing.assert_array_equal(ops.group_soft_threshold(w, 0.0).numpy(), w)


def test_group_soft_threshold_rejects_bad_groups_and_vectors():
    assert_invalid(
        lambda: ops.group_soft_threshold(np.ones((2, 2)), 1.0, "rows"),
        "groups",
        "rows",
        "group_soft_threshold",
    )
    assert_invalid(
        lambda: ops.sparse_group_prox(np.ones((2, 2)), 0.1, 1.0, "all"),
        "groups",
        "all",
        "sparse_group_prox",
    )
    with pytest.raises(ValueError, match="rank >= 2"):
        ops.group_soft_threshold(np.ones(3), 1.0)


def test_sparse_group_prox_satisfies_optimality_conditions():
    rng = np.random.default_rng(5)
    z = rng.normal(size=(8, 6)) * 2
    step = rng.uniform(0.5, 2.0, size=(8, 6))  # per-weight (diagonal metric)
    lam1, lam2 = 0.4, 1.2
    x = ops.sparse_group_prox(z, step * lam1, step * lam2, "units").numpy()
    np.testing.assert_allclose(
        x,
        np.stack(
            [
                _group_prox_bisection(
                    _soft(z[:, j], step[:, j] * lam1), step[:, j] * lam2
                )
                for j in range(6)
            ],
            axis=1,
        ),
        atol=1e-10,
    )
    # KKT of min sum (x - z)^2 / (2 step) + lam1 |x|_1 + lam2 sum_g ||x_g||.
    for j in range(6):
        xj, zj, sj = x[:, j], z[:, j], step[:, j]
        residual = (zj - xj) / sj  # must lie in lam1 d|x| + lam2 d||x||
        norm = np.linalg.norm(xj)
        if norm == 0:
            assert np.linalg.norm(_soft(zj / sj, lam1)) <= lam2 + 1e-9
            continue
        nonzero = xj != 0
        np.testing.assert_allclose(
            residual[nonzero],
            lam1 * np.sign(xj[nonzero]) + lam2 * xj[nonzero] / norm,
            atol=1e-9,
        )
        assert np.all(np.abs(residual[~nonzero]) <= lam1 + 1e-9)

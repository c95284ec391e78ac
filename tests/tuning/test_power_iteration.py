"""The power iteration behind both curvature estimates (single and stacked)."""

import numpy as np
import tensorflow as tf

from kreg.tuning.path.solver import _power_iteration


def _block_operator(matrices):
    """``vectors -> [A_m v_m]`` for one variable ``(members, n)``: a
    block-diagonal Hessian, one block per member."""
    stacked = tf.constant(np.stack(matrices), "float32")

    def hessian_times(vectors):
        return [tf.einsum("mij,mj->mi", stacked, vectors[0])]

    return hessian_times


def test_each_block_gets_its_own_largest_eigenvalue():
    rng = np.random.default_rng(0)
    matrices = []
    for top in (4.0, 40.0):
        q, _ = np.linalg.qr(rng.normal(size=(4, 4)))
        matrices.append(q @ np.diag([0.1, 0.5, 1.0, 1.0]) * top @ q.T)
    variables = [tf.Variable(np.zeros((2, 4), "float32"))]
    stacked = _power_iteration(_block_operator(matrices), variables, 30, blocks=2)
    np.testing.assert_allclose(stacked, [4.0, 40.0], rtol=1e-4)
    # One block alone: the same estimate as within the stack.
    alone = [tf.Variable(np.zeros((1, 4), "float32"))]
    (first,) = _power_iteration(_block_operator(matrices[:1]), alone, 30)
    np.testing.assert_allclose(first, stacked[0], rtol=1e-6)


def test_a_zero_block_reads_zero_and_leaves_the_others_alone():
    matrices = [np.zeros((3, 3)), np.diag([1.0, 2.0, 3.0])]
    variables = [tf.Variable(np.zeros((2, 3), "float32"))]
    top = _power_iteration(_block_operator(matrices), variables, 30, blocks=2)
    assert top[0] == 0.0
    np.testing.assert_allclose(top[1], 3.0, rtol=1e-4)

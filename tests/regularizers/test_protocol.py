"""The penalty protocol: what the optimizer, the λ path and prune ask a penalty."""

import keras
import numpy as np
import pytest

from kreg import regularizers
from kreg.optimizers import Proximal
from kreg.regularizers.kinds import KINDS, build
from kreg.tuning import search_space

RNG = np.random.default_rng(5)
# A data-loss gradient at zero, 4 inputs x 3 units.
G = RNG.normal(size=(4, 3)).astype("float32")
FACTOR = np.array([[1.0, 0.5, 2.0]] * 4)

SPARSE = {
    "L1": lambda s: regularizers.L1(s, penalty_factor=FACTOR),
    "ElasticNet": lambda s: regularizers.ElasticNet(s, l1_ratio=0.3),
    "GroupLasso-units": lambda s: regularizers.GroupLasso(s, groups="units"),
    "GroupLasso-inputs": lambda s: regularizers.GroupLasso(
        s, groups="inputs", penalty_factor=[1.0, 0.3, 2.0, 0.5]
    ),
    "SparseGroupLasso": lambda s: regularizers.SparseGroupLasso(
        s, l1_ratio=0.4, groups="inputs"
    ),
    "AdaptiveLasso": lambda s: regularizers.AdaptiveLasso(s, estimate=G[::-1]),
}


def _zero_after_one_step(reg) -> bool:
    """One proximal step from zero weights with gradient G."""
    variable = keras.Variable(np.zeros(G.shape, "float32"))
    variable.regularizer = reg
    Proximal(keras.optimizers.SGD(0.1), loss_includes_penalty=False).apply(
        [G], [variable]
    )
    return bool(np.all(variable.numpy() == 0))


@pytest.mark.parametrize("name", sorted(SPARSE))
def test_lambda_max_is_where_zero_weights_stay_zero(name):
    top = SPARSE[name](1.0).lambda_max(G)
    assert top > 0
    assert _zero_after_one_step(SPARSE[name](1.0001 * top))
    assert not _zero_after_one_step(SPARSE[name](0.999 * top))


def test_lambda_max_closed_forms():
    abs_g = np.abs(G)
    assert regularizers.L1(penalty_factor=FACTOR).lambda_max(G) == pytest.approx(
        np.max(abs_g / FACTOR)
    )
    assert regularizers.ElasticNet(l1_ratio=0.3).lambda_max(G) == pytest.approx(
        abs_g.max() / 0.3
    )
    # No finite strength zeroes a ridge: glmnet's l1_ratio of 1e-3 stands in.
    assert regularizers.L2().lambda_max(G) == pytest.approx(abs_g.max() / 1e-3)
    assert regularizers.ElasticNet(l1_ratio=0.0).lambda_max(G) == pytest.approx(
        abs_g.max() / 1e-3
    )
    units = np.linalg.norm(G, axis=0) / np.sqrt(4)
    assert regularizers.GroupLasso(groups="units").lambda_max(G) == pytest.approx(
        units.max()
    )


def test_a_penalty_without_the_protocol_is_smooth_and_says_it_has_no_lambda_max():
    class Quartic(regularizers.Regularizer):
        def penalty(self, x):
            return keras.ops.sum(x**4)

    reg = Quartic(0.1)
    assert reg.proximal((4, 3), "float32") is None  # stays in the gradient
    assert regularizers.L2(0.1).proximal((4, 3), "float32") is None
    with pytest.raises(NotImplementedError, match="Quartic defines no lambda_max"):
        reg.lambda_max(G)
    assert (reg.label, reg.description) == ("Quartic", "Quartic")


def test_one_registry_of_kinds():
    assert list(KINDS) == [
        "l1",
        "l2",
        "elastic_net",
        "group_lasso",
        "sparse_group_lasso",
    ]
    assert all(cls.kind == kind for kind, cls in KINDS.items())
    assert search_space.KINDS is KINDS
    # Options a kind does not take are ignored.
    reg = build("group_lasso", 0.5, l1_ratio=0.3, groups="inputs")
    assert reg.get_config() == {"strength": 0.5, "groups": "inputs"}
    with pytest.raises(ValueError, match="argument `kind` of build"):
        build("lasso")


def test_labels_and_descriptions():
    named = {
        regularizers.L1(): ("l1", "lasso (L1)"),
        regularizers.L2(): ("l2", "ridge (L2)"),
        regularizers.ElasticNet(l1_ratio=0.1): (
            "elastic_net-0.1",
            "elastic net, l1_ratio 0.1",
        ),
        regularizers.GroupLasso(groups="inputs"): (
            "group_lasso",
            "group lasso over inputs",
        ),
        regularizers.SparseGroupLasso(l1_ratio=0.5): (
            "sparse_group_lasso-0.5",
            "sparse group lasso over units, l1_ratio 0.5",
        ),
    }
    for reg, expected in named.items():
        assert (reg.label, reg.description) == expected


def test_sliced_keeps_each_kept_weights_factor():
    rows, cols = np.array([0, 2, 3]), np.array([1, 2])
    reg = regularizers.L1(0.1, penalty_factor=FACTOR) + regularizers.GroupLasso(
        0.2, groups="inputs", penalty_factor=[1.0, 0.0, 2.0, 0.5]
    )
    cut = reg.sliced((4, 3), rows, cols)
    np.testing.assert_array_equal(cut.terms[0].penalty_factor, FACTOR[rows][:, cols])
    np.testing.assert_array_equal(cut.terms[1].penalty_factor, [1.0, 2.0, 0.5])
    assert float(cut.terms[1].strength) == pytest.approx(0.2)

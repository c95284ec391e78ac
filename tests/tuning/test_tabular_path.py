"""kreg's default for tables: a GLM unless a net is clearly better."""

import keras
import numpy as np
import pytest

import kreg
from kreg.tuning.candidates import label
from tests.helpers import assert_invalid


def _data(curved, n=150, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3)).astype("float32")
    if curved:
        y = 2 * np.abs(x[:, 0]) - 1.6  # no linear part: only a net fits it
    else:
        y = x[:, 0] - x[:, 1]
    y = y + 0.3 * rng.normal(size=n)
    return x, ((y - y.mean()) / y.std()).astype("float32")


def _search(curved, combine="select", checkpoint=None):
    x, y = _data(curved)
    candidates = [(0, "l1"), (0, kreg.regularizers.ElasticNet(1.0)), (8, "l1")]
    return kreg.tuning.tabular_path(
        x,
        y,
        candidates=candidates,
        cv=3,
        n_strengths=2,
        epochs=25,
        min_ratio=1e-2,
        combine=combine,
        checkpoint=checkpoint,
    )


def _one_se_choice(found):
    """Of the narrowest width within one SE of the best minimum, the best."""
    minima = [
        (p.val_data_loss[p.best()], p.val_standard_error[p.best()]) for p in found.paths
    ]
    best_loss, best_se = min(minima)
    widths = [units for units, _ in found.candidates]
    narrowest = min(
        w for w, (loss, _) in zip(widths, minima) if loss <= best_loss + best_se
    )
    return min(
        (i for i, w in enumerate(widths) if w == narrowest), key=lambda i: minima[i]
    )


def _check_select(found, curved, expected):
    assert [p.cv for p in found.paths] == [3, 3, 3]
    assert found.paths[0].direction == "decreasing"  # the GLM, from λ_max down
    assert found.paths[2].direction == "increasing"  # the net, from weak up
    assert found.chosen == _one_se_choice(found)
    assert found.units == expected
    model = found.best_model("1se")
    assert model.output_shape == (None, 1)
    # A net is returned as the mean of its fold models and its all-rows fit,
    # a GLM as its all-rows fit alone.
    assert found.ensembled == (expected > 0)
    single = found.best_model("1se", ensemble=False)
    x, _ = _data(curved, n=20, seed=1)
    if expected:
        members = [*found.fold_models("1se"), single]
        np.testing.assert_allclose(
            model(x), np.mean([m(x) for m in members], axis=0), rtol=1e-5
        )
    else:
        assert model is single
    assert found.best_model("1se", ensemble=True).name == "ensemble"
    assert_invalid(lambda: found.best_model(ensemble="yes"), "ensemble", "yes")
    assert found.best_strength("1se") >= found.best_strength("min")
    rows = found.results
    assert {(r["candidate"], r["units"]) for r in rows} == {(0, 0), (1, 0), (2, 8)}
    assert len(rows) == 6


def test_on_linear_data_the_glm_is_chosen():
    _check_select(_search(False), curved=False, expected=0)


def test_the_blend_weighs_the_families_by_their_out_of_fold_predictions(tmp_path):
    x, y = _data(True)
    found = _search(True, combine="blend", checkpoint=tmp_path / "paths")
    # The same paths with combine="select" (resumed: nothing is fitted
    # again): on a curved target the net is clearly better.
    _check_select(
        _search(True, combine="select", checkpoint=tmp_path / "paths"),
        curved=True,
        expected=8,
    )
    # The out-of-fold predictions, rebuilt here: each row by the fold model
    # that did not train on it, at each family's min strength.
    splits = kreg.tuning.cross_validation.make_splits(y, 3, seed=0)
    predictions = []
    for number in range(3):
        models = found.paths[number].fold_models("min")
        oof = np.zeros((len(y), 1), "float32")
        for model, (_, rows) in zip(models, splits):
            oof[rows] = model(x[rows])
        predictions.append(oof)
    weights = kreg.tuning.blend.ensemble_selection("regression", y, predictions)
    np.testing.assert_allclose(found.weights["min"], weights)
    assert found.chosen == int(np.argmax(weights)) == found.heaviest("min")
    # A curved target: the net has weight, so the saved model is a blend or
    # the net's own ensemble.
    assert weights[2] > 0
    used = found.members("min")
    model = found.best_model("min")
    expected = sum(
        weights[i] * np.asarray(found.family_model(i, "min")(x)) for i in used
    )
    np.testing.assert_allclose(model(x), expected, rtol=1e-5, atol=1e-6)
    described = found.description("min")
    assert all(label(found.candidates[i]) in described for i in used)
    # Only Keras classes: the blend loads without kreg's registrations.
    file = tmp_path / "blend.keras"
    model.save(file)
    loaded = keras.saving.load_model(file, compile=False, safe_mode=True)
    np.testing.assert_allclose(loaded(x), model(x), rtol=1e-6)


def test_bad_arguments_fail_before_training():
    x, y = _data(False, n=20)
    call = kreg.tuning.tabular_path
    assert_invalid(lambda: call(x, y, candidates=()), "candidates", ())
    bad = [(-1, "l1")]
    assert_invalid(lambda: call(x, y, candidates=bad), "candidates", bad)
    assert_invalid(lambda: call(x, y, candidates=[0]), "candidates", [0])
    late = [(0, "l1"), (4, "l3")]  # fails before the first path is fitted
    assert_invalid(lambda: call(x, y, candidates=late), "regularizer", "l3")
    assert_invalid(lambda: call(x, y, task="ranking"), "task", "ranking")
    assert_invalid(lambda: call(x, y, cv=1), "cv", 1)
    assert_invalid(lambda: call(x, y, combine="vote"), "combine", "vote")
    assert_invalid(lambda: call(x, y, keep_weights=False), "keep_weights", False)
    with pytest.raises(ValueError, match="argument `validation_data`"):
        call(x, y, validation_data=(x, y))
    with pytest.raises(ValueError, match="argument `y`.*as many rows"):
        call(x, y[:5])


def test_an_adaptive_net_is_reweighted_from_the_first_net():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(80, 5)).astype("float32")
    y = (np.abs(x[:, 0]) + 0.1 * rng.normal(size=80)).astype("float32")
    plain = (4, "group_lasso", {"select_inputs": True})
    adaptive = (4, "group_lasso", {"select_inputs": True, "adaptive": True})
    found = kreg.tuning.tabular_path(
        x, y, candidates=[plain, adaptive], cv=2, n_strengths=2, epochs=2
    )
    first, second = found.paths
    estimate = first.best_model("min").get_layer("inputs").kernel
    assert isinstance(second.regularizer, kreg.regularizers.AdaptiveLasso)
    np.testing.assert_allclose(second.regularizer.estimate, estimate)
    assert [r["label"] for r in found.results[::2]] == [
        "select4-group_lasso",
        "select4-adaptive_group_lasso",
    ]
    # It needs the same net without adaptive before it.
    call = kreg.tuning.tabular_path
    for alone in ([adaptive], [adaptive, plain], [(0, "l1", {"adaptive": True})]):
        assert_invalid(lambda c=alone: call(x, y, candidates=c), "candidates", alone)

"""The λ path: λ_max against the closed form, warm starts, rules, plot."""

import keras
import numpy as np
import pytest

import kreg
from tests.helpers import assert_invalid


def _linear_data(n=60, p=5, outputs=None, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, p)).astype("float32")
    coef = np.array([2.0, -1.5, 0.0, 0.0, 0.0])
    y = x @ coef + 0.3 * rng.normal(size=n) + 1.0
    if outputs:
        y = np.stack([y, -y + 0.1 * rng.normal(size=n)], axis=1)
    return x, y.astype("float32")


def _linear(units=1):
    calls = []

    def build(regularizer):
        calls.append(regularizer)
        return keras.Sequential(
            [
                keras.Input((5,)),
                keras.layers.Dense(units, kernel_regularizer=regularizer),
            ]
        )

    return build, calls


def _train_part(x, y, split=0.2, seed=0):
    order = np.random.default_rng(seed).permutation(len(y))
    n_val = int(round(len(y) * split))
    return x[order[:-n_val]], y[order[:-n_val]]


@pytest.fixture(scope="module")
def path():
    x, y = _linear_data()
    build, calls = _linear()
    result = kreg.tuning.regularization_path(
        build, x, y, loss="mse", n_strengths=4, min_ratio=1e-2, epochs=4, batch_size=16
    )
    return result, calls


def test_lambda_max_is_glmnets_for_a_linear_lasso(path):
    result, _ = path
    x, y = _train_part(*_linear_data())
    # Keras' mse has no 1/2: strength = 2 * scikit-learn's alpha.
    expected = 2 * np.max(np.abs(x.T @ (y - y.mean()))) / len(y)
    assert result.max_strength == pytest.approx(expected, rel=1e-3)


def test_lambda_max_of_the_group_lasso_over_inputs():
    x, y = _linear_data(outputs=2)
    build, _ = _linear(units=2)
    result = kreg.tuning.regularization_path(
        build, x, y, regularizer="group_lasso", loss="mse", n_strengths=1, epochs=1
    )
    xt, yt = _train_part(x, y)
    # mse averages over the 2 outputs: gradient = 2 / (n * 2) X^T r.
    g = 2 * xt.T @ (yt - yt.mean(axis=0)) / (len(yt) * 2)
    expected = np.max(np.linalg.norm(g, axis=1)) / np.sqrt(2)
    assert result.max_strength == pytest.approx(expected, rel=1e-3)


def test_at_lambda_max_every_penalized_weight_is_exactly_zero():
    x, y = _linear_data()
    build, _ = _linear()
    first = kreg.tuning.regularization_path(
        build, x, y, loss="mse", n_strengths=1, epochs=1
    )
    result = kreg.tuning.regularization_path(
        build,
        x,
        y,
        loss="mse",
        strengths=[1.05 * first.max_strength, 0.05 * first.max_strength],
        epochs=5,
        batch_size=64,
    )
    assert result.sparsity[0] == 1.0 and result.active_inputs[0] == 0
    assert result.sparsity[1] < 1.0  # features enter as λ falls


def test_grid_records_and_warm_start_builds_once(path):
    result, calls = path
    assert len(calls) == 1  # one model for the whole path: warm starts
    assert result.warm_start
    np.testing.assert_allclose(
        result.strengths, result.max_strength * np.geomspace(1, 1e-2, 4), rtol=1e-6
    )
    for name in ("train_data_loss", "val_data_loss", "penalty", "sparsity", "epochs"):
        assert len(getattr(result, name)) == 4
    assert result.sparsity[0] >= result.sparsity[-1]
    assert np.all(result.epochs >= 1) and np.all(result.epochs <= 4)
    assert result.val_data_loss[-1] < result.val_data_loss[0]
    row = result.results[2]
    assert row["strength"] == pytest.approx(result.strengths[2])
    assert set(row) >= {"train_data_loss", "val_data_loss", "penalty", "sparsity"}


def test_cold_fits_build_a_model_per_strength():
    x, y = _linear_data()
    build, calls = _linear()
    result = kreg.tuning.regularization_path(
        build, x, y, loss="mse", n_strengths=2, epochs=1, warm_start=False
    )
    assert len(calls) == 2 and not result.warm_start


def test_best_rules_and_best_model(path):
    result, _ = path
    best = result.best("min")
    assert best == int(np.argmin(result.val_data_loss))
    one_se = result.best("1se")
    assert one_se <= best  # strengths decrease: 1se is at least as strong
    threshold = result.val_data_loss[best] + result.val_standard_error[best]
    assert result.val_data_loss[one_se] <= threshold
    model = result.best_model("1se")
    np.testing.assert_allclose(
        kreg.penalty(model).total, result.penalty[one_se], rtol=1e-5
    )


def test_plot_writes_a_png(path, tmp_path):
    result, _ = path
    target = result.plot(str(tmp_path / "path.png"))
    with open(target, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"


def test_bad_input_fails_before_training():
    build, calls = _linear()
    x, y = _linear_data()
    call = kreg.tuning.regularization_path
    with pytest.raises(ValueError, match="argument `x`.*finite"):
        call(build, np.full_like(x, np.nan), y, loss="mse")
    with pytest.raises(ValueError, match="argument `y`.*as many rows"):
        call(build, x, y[:10], loss="mse")
    assert_invalid(lambda: call(build, x, y, regularizer="l3"), "regularizer", "l3")
    assert_invalid(
        lambda: call(build, x, y, strengths=[0.1, 0.2]), "strengths", [0.1, 0.2]
    )
    assert_invalid(lambda: call(build, x, y, n_strengths=0), "n_strengths", 0)
    assert_invalid(lambda: call(build, x, y, direction="up"), "direction", "up")
    assert_invalid(lambda: call(build, x, y, warm_patience=-1), "warm_patience", -1)
    assert not calls
    with pytest.raises(ValueError, match="argument `loss`"):
        call(build, x, y)


def _net(units=16):
    fits = []

    class Counting(keras.Model):
        def fit(self, *args, **kwargs):
            fits.append(kwargs.get("epochs"))
            return super().fit(*args, **kwargs)

    def build(regularizer):
        inputs = keras.Input((3,))
        hidden = keras.layers.Dense(units, "relu", kernel_regularizer=regularizer)
        outputs = keras.layers.Dense(1)(hidden(inputs))
        return Counting(inputs, outputs)

    return build, fits


def _curved_data(n=240, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3)).astype("float32")
    y = 2 * np.maximum(x[:, 0], 0) + 0.1 * rng.normal(size=n)  # needs a ReLU
    return x, y.astype("float32")


def test_direction_auto_follows_the_model():
    x, y = _linear_data()
    linear = kreg.tuning.regularization_path(
        _linear()[0], x, y, loss="mse", n_strengths=1, epochs=1
    )
    assert linear.direction == "decreasing"  # glmnet: convex, from λ_max down
    table = kreg.tuning.regularization_path(
        lambda reg: kreg.tuning.tabular_model(reg, n_features=5),
        x,
        y,
        n_strengths=1,
        epochs=1,
    )
    assert table.direction == "increasing"  # a penalized layer feeds the head

    def sequential_mlp(regularizer):
        return keras.Sequential(
            [
                keras.Input((5,)),
                keras.layers.Dense(4, "relu", kernel_regularizer=regularizer),
                keras.layers.Dropout(0.1),
                keras.layers.Dense(1),
            ]
        )

    mlp = kreg.tuning.regularization_path(
        sequential_mlp, x, y, loss="mse", max_strength=1.0, n_strengths=1, epochs=1
    )
    assert mlp.direction == "increasing"


def test_a_nets_warm_path_is_one_fit_and_uses_its_hidden_layer():
    x, y = _curved_data()
    build, fits = _net()
    kwargs = dict(loss="mse", n_strengths=3, epochs=40, patience=5, seed=0)
    up = kreg.tuning.regularization_path(build, x, y, **kwargs)
    assert up.direction == "increasing"
    # An unpenalized fit for λ_max (the ReLUs are dead at the null model),
    # then one fit for the whole warm path.
    assert fits == [40, 3 * 40]
    assert np.all(np.diff(up.strengths) < 0)  # results strongest first
    # Started from the null model, a ReLU layer gets no gradient and stays
    # off: the path could not fit the kink at any strength.
    fits.clear()
    down = kreg.tuning.regularization_path(
        build, x, y, direction="decreasing", max_strength=up.max_strength, **kwargs
    )
    assert down.active_inputs[-1] == 0 and down.sparsity[-1] == 1.0
    assert up.active_inputs[-1] >= 1
    # Var(y) is about 1.4: the net explains most of it, the null model none.
    assert up.val_data_loss[-1] < 0.5 * down.val_data_loss[-1]


def test_upwards_the_strengths_past_zero_are_recorded_without_fitting():
    x, y = _curved_data(n=120)
    build, _ = _net(units=4)
    result = kreg.tuning.regularization_path(
        build, x, y, loss="mse", strengths=[100.0, 50.0, 1e-3], epochs=5, patience=1
    )
    assert result.direction == "increasing"
    # 50 switches everything off; 0 is then optimal at 100 too (KKT), so the
    # last strength costs no epoch and keeps the same solution.
    assert list(result.sparsity[:2]) == [1.0, 1.0]
    assert result.epochs[0] == 0 and result.epochs[1] >= 1
    assert result.val_data_loss[0] == result.val_data_loss[1]


@pytest.fixture(scope="module")
def cv_path():
    x, y = _linear_data(n=90)
    build, calls = _linear()
    result = kreg.tuning.regularization_path(
        build,
        x,
        y,
        loss="mse",
        n_strengths=3,
        min_ratio=1e-2,
        epochs=100,
        cv=3,
    )
    return result, x, y


def test_cross_validated_path_averages_the_held_out_folds(cv_path):
    result, x, y = cv_path
    assert result.cv == 3 and result.fold_val_data_loss.shape == (3, 3)
    folds = result.fold_val_data_loss
    np.testing.assert_allclose(result.val_data_loss, folds.mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(
        result.val_standard_error, folds.std(axis=0, ddof=1) / np.sqrt(3), rtol=1e-6
    )
    # As cv.glmnet: one grid for every fold, λ_max from all the rows.
    expected = 2 * np.max(np.abs(x.T @ (y - y.mean()))) / len(y)
    assert result.max_strength == pytest.approx(expected, rel=1e-3)


def test_cross_validated_path_folds_match_scikit_learns_lasso(cv_path):
    from sklearn.linear_model import Lasso

    from kreg.tuning.cross_validation import make_splits

    result, x, y = cv_path
    # A linear model's path stops each λ at convergence (full batch), so
    # each fold's held-out loss at each λ is the lasso's, fitted on the
    # fold's training rows (Keras' mse has no 1/2: alpha = λ / 2).
    for fold, (train, val) in enumerate(make_splits(y[:, None], 3, seed=0)):
        for i, strength in enumerate(result.strengths):
            lasso = Lasso(alpha=strength / 2).fit(x[train], y[train])
            expected = np.mean((lasso.predict(x[val]) - y[val]) ** 2)
            assert result.fold_val_data_loss[fold, i] == pytest.approx(
                expected, rel=0.02
            ), (fold, i)


def test_cross_validated_path_keeps_its_fold_models_as_an_ensemble(cv_path):
    from kreg.tuning.cross_validation import make_splits

    result, x, y = cv_path
    assert len(result.fold_weights) == 3 and len(result.fold_weights[0]) == 3
    models = result.fold_models(1)
    for fold, (_, val) in enumerate(make_splits(y[:, None], 3, seed=0)):
        held_out = np.mean(
            (models[fold].predict(x[val], verbose=0)[:, 0] - y[val]) ** 2
        )
        assert held_out == pytest.approx(result.fold_val_data_loss[fold, 1], rel=1e-4)
    ensemble = result.fold_ensemble(1)
    expected = np.mean([m.predict(x, verbose=0) for m in models], axis=0)
    np.testing.assert_allclose(ensemble.predict(x, verbose=0), expected, rtol=1e-5)
    assert len(result.fold_models("1se")) == 3


def test_cross_validated_path_keeps_the_fit_on_all_rows(cv_path):
    from sklearn.linear_model import Lasso

    result, x, y = cv_path
    i = result.best("min")
    model = result.best_model("min")
    prediction = model.predict(x, verbose=0)[:, 0]
    assert np.mean((prediction - y) ** 2) == pytest.approx(
        result.train_data_loss[i], rel=1e-4
    )
    # The final fit, on every row, is the lasso on all the rows.
    lasso = Lasso(alpha=result.strengths[i] / 2).fit(x, y)
    np.testing.assert_allclose(
        model.layers[-1].kernel.numpy()[:, 0], lasso.coef_, atol=0.01
    )
    assert np.all(result.epochs >= 1)


def test_cross_validated_path_rejects_bad_cv():
    build, calls = _linear()
    x, y = _linear_data()
    call = kreg.tuning.regularization_path
    assert_invalid(lambda: call(build, x, y, loss="mse", cv=1), "cv", 1)
    with pytest.raises(ValueError, match="argument `validation_data`.*cv"):
        call(build, x, y, loss="mse", cv=3, validation_data=(x, y))
    assert not calls


def test_each_strength_lowers_the_learning_rate_once_then_resets_it():
    from kreg.tuning.path import solver

    x, y = _linear_data()
    model = _linear()[0](kreg.regularizers.L1(0.0))
    model.compile(keras.optimizers.SGD(0.1), "mse")
    rates = []

    class Watch(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            rates.append(round(float(self.model.optimizer.learning_rate), 6))

    reg = model.layers[-1].kernel_regularizer
    steps = solver._StrengthSteps(reg, [0.2, 0.1], phases=2, budget=[(2, 1), (1, 0)])
    model.fit(x, y, epochs=steps.total_epochs, callbacks=[Watch(), steps], verbose=0)
    assert rates == [0.1, 0.1, 0.01, 0.1]
    assert float(model.optimizer.learning_rate) == pytest.approx(0.1)
    assert float(reg.strength) == pytest.approx(0.1)


def _logistic_data(n=200, p=5, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, p)).astype("float32")
    x[:, 1] = 0.8 * x[:, 0] + 0.6 * x[:, 1]  # correlated, as real tables are
    logits = x @ np.array([4.5, -3.0, 1.5, 0.0, 0.0]) + 0.5  # nearly separable
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-logits))).astype("float32")
    return x, y


@pytest.fixture(scope="module")
def logistic_path():
    x, y = _logistic_data()
    x_val, y_val = _logistic_data(seed=1)

    def build(regularizer):
        # Compiled with Adam: a GLM's path at convergence replaces it.
        return kreg.tuning.tabular_model(
            regularizer, n_features=5, task="binary", units=0
        )

    result = kreg.tuning.regularization_path(
        build, x, y, validation_data=(x_val, y_val), n_strengths=4, epochs=200
    )
    return result, x, y


def test_a_glms_path_runs_proximal_gradient_at_one_over_the_curvature(logistic_path):
    from kreg.tuning.path.solver import _glm_rate

    result, x, y = logistic_path
    optimizer = result.model.optimizer
    assert isinstance(optimizer, kreg.optimizers.Proximal)
    inner = optimizer.inner_optimizer
    assert isinstance(inner, keras.optimizers.SGD) and inner.nesterov
    assert inner.momentum == pytest.approx(0.9)
    # The logistic loss's Hessian in (w, b) at zero weights is X'X / 4n
    # (X with a column of ones): its largest eigenvalue is L.
    xc = np.c_[x, np.ones(len(x))].astype("float64")
    bound = np.linalg.eigvalsh(xc.T @ xc / len(x)).max() / 4
    model = kreg.tuning.tabular_model(None, n_features=5, task="binary", units=0)
    assert _glm_rate(model, x, y) == pytest.approx(1 / bound, rel=1e-3)
    # The weakest strength starts where the fitted probabilities are far from
    # 1/2 and the curvature is lower: its step is longer, never shorter.
    assert float(inner.learning_rate) > 1.2 / bound
    assert result.stopping == "convergence"


def test_a_logistic_path_reaches_the_penalized_solutions(logistic_path):
    from sklearn.linear_model import LogisticRegression

    result, x, y = logistic_path
    rate = y.mean()
    null = -np.mean(y * np.log(rate) + (1 - y) * np.log(1 - rate))
    for i, strength in enumerate(result.strengths):
        # scikit-learn minimizes C * sum(loss) + |w|_1: C = 1 / (λ n).
        exact = LogisticRegression(
            C=1 / (strength * len(y)),
            l1_ratio=1.0,
            solver="saga",
            tol=1e-10,
            max_iter=100_000,
        ).fit(x, y)
        p = exact.predict_proba(x)[:, 1]
        objective = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
        objective += strength * np.abs(exact.coef_).sum()
        mine = result.train_data_loss[i] + result.penalty[i]
        # Within 1e-4 of the null deviance (Adam left gaps of about 5e-4).
        assert mine - objective < 1e-4 * null, (i, mine, objective)
        # (saga leaves ~1e-7 on a weight that is 0 at λ_max exactly)
        active = np.count_nonzero(np.abs(exact.coef_) > 1e-4)
        assert result.active_inputs[i] == active, i


def test_an_optimizer_argument_replaces_the_compiled_one():
    x, y = _linear_data()

    def build(regularizer):
        model = _linear()[0](regularizer)
        model.compile(keras.optimizers.Adam(1e-3), "mse")
        return model

    result = kreg.tuning.regularization_path(
        build, x, y, optimizer=keras.optimizers.SGD(0.05), n_strengths=2, epochs=2
    )
    assert type(result.model.optimizer) is keras.optimizers.SGD
    assert float(result.model.optimizer.learning_rate) == pytest.approx(0.05)
    # No optimizer given: the compiled one is kept, except for a GLM at
    # convergence (the default here), which gets proximal gradient.
    result = kreg.tuning.regularization_path(
        build, x, y, n_strengths=2, epochs=2, stopping="validation"
    )
    assert type(result.model.optimizer) is keras.optimizers.Adam


def test_a_multinomial_glms_step_allows_for_the_softmax_bound():
    from kreg.tuning.path.solver import _glm_rate

    rng = np.random.default_rng(0)
    x = rng.normal(size=(90, 4)).astype("float32")
    y = np.argmax(x[:, :3] + 0.5 * rng.normal(size=(90, 3)), axis=1)

    def build(regularizer):
        return kreg.tuning.tabular_model(
            regularizer, n_features=4, n_outputs=3, task="multiclass", units=0
        )

    # At zero weights the softmax is uniform: curvature (1/k) X'X/n; two
    # classes at 1/2 reach (1/2) X'X/n, so the step is 1 / (k/2 * that).
    xc = np.c_[x, np.ones(len(x))].astype("float64")
    bound = np.linalg.eigvalsh(xc.T @ xc / len(x)).max() / 2
    assert _glm_rate(build(None), x, y) == pytest.approx(1 / bound, rel=1e-3)
    result = kreg.tuning.regularization_path(
        build, x, y, validation_data=(x, y), n_strengths=3, epochs=50
    )
    assert np.all(np.isfinite(result.train_data_loss))
    assert np.all(np.diff(result.train_data_loss) < 0)  # weaker fits better


def test_a_minibatch_epoch_is_one_pass_over_the_training_rows():
    x, y = _linear_data()  # 48 training rows after the 20 % split
    build, _ = _linear()
    result = kreg.tuning.regularization_path(
        build,
        x,
        y,
        loss="mse",
        n_strengths=3,
        epochs=4,
        batch_size=16,
        stopping="validation",
    )
    steps = int(result.model.optimizer.iterations)
    assert steps == 3 * int(result.epochs.sum())

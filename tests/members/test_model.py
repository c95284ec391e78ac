"""MemberModel: each member trains exactly as its separate model, on its rows."""

import keras
import numpy as np
import pytest

import kreg
from tests.helpers import TraceCounter, assert_saved_model_roundtrip

RNG = np.random.default_rng(0)
N = 24
X = RNG.normal(size=(N, 3)).astype("float32")
Y = (X[:, :1] - 2 * X[:, 1:2] + 0.3 * RNG.normal(size=(N, 1))).astype("float32")
ROLES = kreg.members.fold_roles(N, 3, seed=0)


def _weights(model):
    return [v.numpy().copy() for v in model.trainable_variables]


def _stack(units=4, task="regression", strengths=(0.05, 0.01, 0.001), **kwargs):
    keras.utils.set_random_seed(1)
    reg = kreg.regularizers.L1(list(strengths))
    return kreg.members.stacked_tabular_model(
        reg, members=len(strengths), n_features=3, units=units, task=task, **kwargs
    )


@pytest.mark.parametrize("units", [0, 4], ids=["glm", "net"])
def test_each_member_matches_its_separate_fit(units):
    stack = _stack(units, strengths=(0.05, 0.001))
    separate = kreg.members.split_members(stack)  # the initial weights
    steps = 15
    roles = ROLES[:, :2]
    # Full batches: a member's batch is its training rows, as a separate fit's.
    tile = lambda a: np.tile(a, (steps,) + (1,) * (a.ndim - 1))  # noqa: E731
    stack.fit(
        tile(X),
        tile(Y),
        sample_weight=tile(roles),
        batch_size=N,
        shuffle=False,
        verbose=0,
    )
    predictions = stack.predict(X, verbose=0)
    for m, model in enumerate(separate):
        train = roles[:, m] == kreg.members.TRAIN
        x, y = X[train], Y[train]
        model.fit(tile(x), tile(y), batch_size=len(x), shuffle=False, verbose=0)
        np.testing.assert_allclose(
            model.predict(X, verbose=0), predictions[:, m], atol=1e-5
        )
        kernel = model.get_layer("linear").kernel.numpy()
        stacked = stack.get_layer("linear").kernel.numpy()[m]
        np.testing.assert_allclose(kernel, stacked, atol=1e-5)
        np.testing.assert_array_equal(kernel == 0, stacked == 0)


def test_a_member_never_gets_gradient_from_rows_it_does_not_train_on():
    stack = _stack(units=2)
    stack.optimizer.build(stack.trainable_variables)
    start = _weights(stack)
    state = [v.numpy().copy() for v in stack.optimizer.variables]

    def train(y):
        # The same start, optimizer state and batches; one traced step.
        for variable, value in zip(stack.trainable_variables, start):
            variable.assign(value)
        for variable, value in zip(stack.optimizer.variables, state):
            variable.assign(value)
        stack.fit(
            X, y, sample_weight=ROLES, batch_size=8, epochs=2, shuffle=False, verbose=0
        )
        return _weights(stack)

    reference = train(Y)
    # Wild targets on member 0's validation rows change only the others.
    noisy = Y.copy()
    noisy[ROLES[:, 0] == kreg.members.VALIDATION] = 1e3
    for first, before, after in zip(start, reference, train(noisy)):
        assert not np.allclose(before[0], first[0])  # member 0 did train
        np.testing.assert_allclose(after[0], before[0], atol=1e-6)
        assert not np.allclose(after[1:], before[1:])


def test_validation_loss_is_scored_on_the_validation_rows_only():
    stack = _stack()
    logs = stack.evaluate(X, Y, sample_weight=ROLES, verbose=0, return_dict=True)
    predictions = stack.predict(X, verbose=0)[..., 0]
    errors = (predictions - Y) ** 2
    for m in range(3):
        validation = ROLES[:, m] == kreg.members.VALIDATION
        expected = errors[validation, m].mean()
        assert logs["member_val_data_loss"][m] == pytest.approx(expected, rel=1e-5)
    train, validation = stack.score(X, Y, ROLES)
    np.testing.assert_allclose(validation, logs["member_val_data_loss"], rtol=1e-5)
    np.testing.assert_allclose(train, logs["member_data_loss"], rtol=1e-5)


def test_a_frozen_member_does_not_move_and_strengths_change_without_retrace():
    stack = _stack()
    counter = TraceCounter()
    stack.fit(X, Y, sample_weight=ROLES, batch_size=8, epochs=1, verbose=0)
    before = _weights(stack)
    stack.active.assign([1.0, 0.0, 1.0])
    reg = stack.get_layer("linear").kernel_regularizer
    reg.strength = [0.05, 0.01, 1e3]
    traces = stack.train_function
    stack.fit(X, Y, sample_weight=ROLES, batch_size=8, epochs=2, verbose=0)
    assert stack.train_function is traces and counter.count == 0
    after = _weights(stack)
    for old, new in zip(before, after):
        np.testing.assert_array_equal(new[1], old[1])  # Adam's momentum masked
        assert not np.array_equal(new[0], old[0])
    assert np.all(stack.get_layer("linear").kernel.numpy()[2] == 0)


def test_member_early_stopping_freezes_members_and_restores_their_best():
    stack = _stack(units=0)
    stop = kreg.members.MemberEarlyStopping(patience=1)
    stop.set_model(stack)
    stop.on_train_begin()
    kernel = stack.get_layer("linear").kernel
    values = []
    for epoch, losses in enumerate([[3.0, 3.0, 3.0], [2.0, 4.0, 2.0], [1.0, 5.0, 1.0]]):
        kernel.assign(np.full(kernel.shape, float(epoch), "float32"))
        values.append(kernel.numpy().copy())
        stop.on_epoch_end(epoch, {"member_val_data_loss": np.array(losses)})
        if epoch == 1:
            np.testing.assert_array_equal(stack.active.numpy(), [1.0, 0.0, 1.0])
    assert not stack.stop_training
    stop.on_epoch_end(3, {"member_val_data_loss": np.array([9.0, 9.0, 9.0])})
    assert stack.stop_training
    np.testing.assert_array_equal(stop.stopped_epoch, [3, 1, 3])
    stop.on_train_end()
    restored = kernel.numpy()
    np.testing.assert_array_equal(restored[0], values[2][0])
    np.testing.assert_array_equal(restored[1], values[0][1])


def test_fit_ends_when_every_member_has_stopped():
    stack = _stack(units=0)
    stop = kreg.members.MemberEarlyStopping(
        "member_data_loss", patience=0, min_delta=1e9, data=(X, Y, ROLES)
    )
    history = stack.fit(
        X, Y, sample_weight=ROLES, epochs=50, callbacks=[stop], verbose=0
    )
    # Epoch 0 sets every best; none improves at epoch 1: all stop there.
    assert len(history.history["loss"]) == 2
    np.testing.assert_array_equal(stop.stopped_epoch, [1, 1, 1])
    assert history.history["loss"][0] > 0


@pytest.mark.parametrize("task, n_outputs", [("binary", 1), ("multiclass", 3)])
def test_classification_members_use_the_keras_loss(task, n_outputs):
    stack = _stack(task=task, n_outputs=n_outputs)
    y = (
        (RNG.uniform(size=(N, 1)) * n_outputs).astype("int32")
        if n_outputs > 1
        else ((Y > 0).astype("float32"))
    )
    logs = stack.evaluate(X, y, sample_weight=ROLES, verbose=0, return_dict=True)
    p = stack.predict(X, verbose=0)
    loss = keras.losses.get(kreg.members.losses.LOSSES[task])
    for m in range(3):
        train = ROLES[:, m] == kreg.members.TRAIN
        expected = float(keras.ops.mean(loss(y[train], p[train, m])))
        assert logs["member_data_loss"][m] == pytest.approx(expected, rel=1e-4)


def test_stack_saves_loads_splits_and_averages(tmp_path):
    stack = _stack(dropout_rate=[0.0, 0.1, 0.2], task="binary")
    stack.fit(X, (Y > 0).astype("float32"), sample_weight=ROLES, verbose=0)
    loaded = assert_saved_model_roundtrip(stack, X, tmp_path)
    assert isinstance(loaded, kreg.members.MemberModel) and loaded.task == "binary"
    models = kreg.members.split_members(loaded, members=[2])
    assert float(models[0].get_layer("dropout").rate) == pytest.approx(0.2)
    assert float(models[0].get_layer("hidden").kernel_regularizer.strength) == (
        pytest.approx(0.001)
    )
    stacked = stack.predict(X, verbose=0)
    np.testing.assert_allclose(
        models[0].predict(X, verbose=0), stacked[:, 2], atol=1e-6
    )
    ensemble = kreg.members.member_ensemble(loaded)
    np.testing.assert_allclose(
        ensemble.predict(X, verbose=0), stacked.mean(axis=1), atol=1e-6
    )
    assert_saved_model_roundtrip(ensemble, X, tmp_path)


def test_a_weight_without_the_member_axis_is_rejected():
    inputs = keras.Input((3,))
    shared = keras.layers.Dense(2)(inputs)
    outputs = kreg.layers.StackedDense(1, members=3)(shared)
    with pytest.raises(ValueError, match="member axis"):
        kreg.members.MemberModel(inputs, outputs)


def test_epoch_budgets_freeze_each_member_after_its_own_epochs():
    stack = _stack(units=0)
    budget = kreg.members.MemberEpochBudget([1, 3, 2])
    budget.set_model(stack)
    budget.on_train_begin()
    budget.on_epoch_end(0)
    np.testing.assert_array_equal(stack.active.numpy(), [0.0, 1.0, 1.0])
    budget.on_epoch_end(1)
    np.testing.assert_array_equal(stack.active.numpy(), [0.0, 1.0, 0.0])
    assert not stack.stop_training
    budget.on_epoch_end(2)
    assert stack.stop_training
    assert type(budget)(**budget.get_config()).epochs == [1, 3, 2]
    stop = kreg.members.MemberEarlyStopping(patience=2, min_delta=0.1)
    assert type(stop)(**stop.get_config()).get_config() == stop.get_config()
    short = kreg.members.MemberEpochBudget([1, 2])
    short.set_model(stack)
    with pytest.raises(ValueError, match="2 budgets"):
        short.on_train_begin()

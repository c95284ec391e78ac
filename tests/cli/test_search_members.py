"""``kreg tune --search``: a trial's folds as the members of one stacked fit,
each member with its own fold's preprocessing."""

import keras
import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import KFold

import kreg
from kreg.cli.hypermodel import TabularHyperModel, row_column
from kreg.cli.main import _settings, build_parser

ROWS = 24
SPLITS = list(KFold(3, shuffle=True, random_state=0).split(np.zeros((ROWS, 1))))


def _table(seed=0):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "a": rng.normal(5, 2, ROWS),
            "b": rng.normal(size=ROWS),
            "city": rng.choice(["x", "y", "z"], ROWS),
        }
    )
    frame.loc[::5, "a"] = np.nan
    y = (3 * frame["b"] + 1 + rng.normal(0, 0.1, ROWS)).to_numpy("float32")
    return frame, y


class _Keeping(TabularHyperModel):
    """The CLI's hypermodel, eager (tiny data), keeping the stacks it builds."""

    def build_members(self, hp, members):
        model = super().build_members(hp, members)
        model.compile(model.optimizer, run_eagerly=True)
        self.stacks = [*getattr(self, "stacks", []), model]
        return model


def _hypermodel(frame, y, cls=TabularHyperModel):
    return cls(frame, y, "regression", None, numeric=["a", "b"], categorical=["city"])


def test_a_members_preprocessing_uses_only_its_training_rows():
    frame, y = _table()
    hypermodel = _hypermodel(frame, y)
    x, target = hypermodel.prepare_members(None, row_column(ROWS), y, SPLITS)
    assert x.shape == (ROWS, 3, hypermodel.width) and target.shape == (ROWS, 3, 1)
    train, val = SPLITS[0]
    # Imputed and standardized with member 0's training rows' statistics; the
    # target scaled by them too.
    np.testing.assert_allclose(x[train, 0, :2].mean(axis=0), 0.0, atol=1e-5)
    np.testing.assert_allclose(x[train, 0, :2].std(axis=0), 1.0, atol=1e-5)
    np.testing.assert_allclose(target[train, 0].mean(), 0.0, atol=1e-5)
    # The arrays of the sequential fold's fit, exactly.
    _, _, [(x_train, _), (x_val, y_val)] = hypermodel.prepare(train, val)
    np.testing.assert_array_equal(x[train, 0], x_train)
    np.testing.assert_array_equal(x[val, 0], x_val)
    np.testing.assert_array_equal(target[val, 0, 0], y_val)

    # Member 0's validation rows change beyond recognition: its statistics do
    # not (its training rows read the same), member 1's (which trains on
    # those rows) do.
    changed, y_changed = frame.copy(), y.copy()
    changed.loc[val, "a"] = 1e4
    changed.loc[val, "b"] *= -100.0
    y_changed[val] += 1e3
    again, target_again = _hypermodel(changed, y_changed).prepare_members(
        None, row_column(ROWS), y_changed, SPLITS
    )
    np.testing.assert_array_equal(again[train, 0], x[train, 0])
    np.testing.assert_array_equal(target_again[train, 0], target[train, 0])
    other = SPLITS[1][0]
    assert not np.allclose(again[other, 1, :2], x[other, 1, :2])
    assert not np.allclose(target_again[other, 1], target[other, 1])


class _InterruptFirstEpoch(keras.callbacks.Callback):
    """Ctrl-C at the end of the stacked fit's first epoch."""

    def on_epoch_end(self, epoch, logs=None):
        raise KeyboardInterrupt


@pytest.fixture(scope="module")
def resumed(tmp_path_factory):
    """A one-trial search interrupted in its stacked fit, then resumed."""
    frame, y = _table()
    directory = tmp_path_factory.mktemp("search")
    options = dict(cv=3, seed=0, max_trials=1, patience=None, directory=directory)
    options.update(project_name="p", folds_as_members=True)
    data = (row_column(ROWS), y)
    first = kreg.tuning.Tuner(_hypermodel(frame, y, _Keeping), **options)
    with pytest.raises(KeyboardInterrupt):
        first.search(*data, epochs=1, callbacks=[_InterruptFirstEpoch()], verbose=0)
    hypermodel = _hypermodel(frame, y, _Keeping)
    tuner = kreg.tuning.Tuner(hypermodel, **options)
    tuner.search(*data, epochs=1, batch_size=8, verbose=0)
    return tuner, hypermodel, y


def test_an_interrupted_search_resumes(resumed):
    tuner, hypermodel, _ = resumed
    # The interrupted trial ran again, in one stacked fit.
    [row] = tuner.cv_results()
    assert row["status"] == "COMPLETED" and np.isfinite(row["mean"])
    assert len(hypermodel.stacks) == 1 and len(row["fold_scores"]) == 3


def test_fold_scores_are_each_members_validation_data_loss(resumed):
    tuner, hypermodel, y = resumed
    [row] = tuner.cv_results()
    [model] = hypermodel.stacks
    x, target = hypermodel.prepare_members(None, row_column(ROWS), y, tuner._splits)
    predictions = model.predict(x, verbose=0)  # (rows, members, 1)
    for fold, (_, val) in enumerate(tuner._splits):
        mse = np.mean((predictions[val, fold, 0] - target[val, fold, 0]) ** 2)
        np.testing.assert_allclose(row["fold_scores"][fold], mse, rtol=1e-5)


def test_no_members_is_the_old_behaviour_and_may_change_on_resume():
    parser = build_parser()
    settings, given = _settings(parser.parse_args(["tune", "--search", "random"]))
    assert settings.members is True and "members" not in given
    settings, given = _settings(parser.parse_args(["tune", "--no-members"]))
    assert settings.members is False and "members" in given
    assert settings.conflicts(type(settings)(), given) == []

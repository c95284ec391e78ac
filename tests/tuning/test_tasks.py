"""One vocabulary for tasks: read from y where not given, mismatches in one line."""

import numpy as np
import pytest

import kreg
from kreg.tuning.tasks import resolve_task
from tests.helpers import assert_invalid

DIGITS = np.arange(40) % 10  # class labels 0..9


@pytest.mark.parametrize(
    ("y", "task", "n_outputs", "expected"),
    [
        (np.array([0, 1, 1, 0]), None, None, ("binary", 1)),
        (np.array([0.0, 1.0, 1.0]), None, None, ("binary", 1)),
        (np.array([True, False]), None, None, ("binary", 1)),
        (DIGITS, None, None, ("multiclass", 10)),
        (DIGITS, "classification", None, ("multiclass", 10)),
        (np.array([0, 1, 0]), "classification", None, ("binary", 1)),
        (np.array([0, 1, 0]), "classification", 2, ("multiclass", 2)),
        (np.array([0, 1, 0]), "multiclass", None, ("multiclass", 2)),
        (DIGITS, "regression", None, ("regression", 1)),
        (np.array([0.5, 1.25, -2.0]), None, None, ("regression", 1)),
        (np.arange(50.0), None, None, ("regression", 1)),  # > 20 values
        (np.zeros((5, 3)) + 0.5, None, None, ("regression", 3)),
    ],
)
def test_task_and_outputs_are_read_from_y(y, task, n_outputs, expected):
    found, outputs, labels = resolve_task(y, task, n_outputs, "f")
    assert (found, outputs) == expected
    if found != "regression":
        assert labels.dtype == np.int64 and labels.shape == (len(y), 1)


def test_mismatches_are_one_clear_error():
    with pytest.raises(ValueError, match=r"at least 10 for task='multiclass' \(y"):
        resolve_task(DIGITS, "multiclass", 1, "f")
    with pytest.raises(ValueError, match="at least 10 .*0..9"):
        resolve_task(DIGITS, None, 1, "f")
    with pytest.raises(ValueError, match="'multiclass' or 'classification' for y"):
        resolve_task(DIGITS, "binary", None, "f")
    with pytest.raises(ValueError, match="class labels 0..k-1 .*task='regression'"):
        resolve_task(np.array([0.5, 1.5]), "classification", None, "f")
    with pytest.raises(ValueError, match="no negative labels"):
        resolve_task(np.array([-1, 0, 1]), "classification", None, "f")
    assert_invalid(lambda: resolve_task(DIGITS, "binary", 2, "f"), "n_outputs", 2)
    assert_invalid(
        lambda: resolve_task(DIGITS, "ranking", None, "f"), "task", "ranking"
    )
    y = np.zeros((4, 2)) + 0.5
    assert_invalid(lambda: resolve_task(y, "regression", 1, "f"), "n_outputs", 1)


def test_tabular_model_takes_the_cli_word():
    binary = kreg.tuning.tabular_model(None, n_features=3, task="classification")
    assert binary.loss == "binary_crossentropy"
    multi = kreg.tuning.tabular_model(
        None, n_features=3, n_outputs=4, task="classification"
    )
    assert multi.loss == "sparse_categorical_crossentropy"
    assert multi.output_shape == (None, 4)


def test_tabular_path_reads_multiclass_from_labels():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 3)).astype("float32")
    y = np.digitize(x[:, 0], [-0.5, 0.5])  # labels 0, 1, 2
    found = kreg.tuning.tabular_path(
        x, y, candidates=[(0, "l1")], cv=2, n_strengths=2, epochs=2
    )
    assert found.best_model().output_shape == (None, 3)
    with pytest.raises(ValueError, match="at least 3 for task='multiclass'"):
        kreg.tuning.tabular_path(x, y, n_outputs=1, candidates=[(0, "l1")])

"""kreg.data: the embedded table, CSV checks, task detection, preprocessing."""

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer

from kreg import data
from kreg.cli.hypermodel import TabularHyperModel


def test_example_is_sklearn_breast_cancer():
    frame = data.load_example()
    reference = load_breast_cancer()
    assert frame.shape == (569, 31)
    np.testing.assert_array_equal(frame.drop(columns="diagnosis"), reference.data)
    labels = reference.target_names[reference.target]
    np.testing.assert_array_equal(frame["diagnosis"], labels)


TASKS = [
    (["a", "b", "a"], "classification"),
    ([True, False, True], "classification"),
    ([0, 1, 2, 1, 0], "classification"),
    ([1.0, 2.0, 1.0, np.nan], "classification"),
    (list(range(30)), "regression"),
    ([0.5, 1.5, 2.25], "regression"),
]


def test_detect_task():
    for values, task in TASKS:
        assert data.detect_task(pd.Series(values)) == task, values


def test_load_table_types_and_missing_targets(sales_csv):
    frame = pd.read_csv(sales_csv)
    frame.loc[3, "revenue"] = np.nan
    table = data.load_table(frame, "revenue", name="sales")
    assert table.task == "regression" and table.task_detected
    assert table.dropped_rows == 1 and len(table) == len(frame) - 1
    assert table.numeric_columns == ["visits", "discount", "member"]
    assert table.categorical_columns == ["region"]
    assert table.y.dtype == np.float32 and table.classes is None


def test_load_table_classes_are_sorted_labels(churn_csv):
    table = data.load_table(churn_csv, "status")
    assert table.task == "classification"
    assert table.classes == ["leave", "pause", "stay"]
    labels = pd.read_csv(churn_csv)["status"]
    np.testing.assert_array_equal(np.array(table.classes)[table.y], labels)


def test_load_table_defaults_to_the_last_column(churn_csv):
    assert data.load_table(churn_csv).target_name == "status"


def test_load_table_rejects_bad_task(churn_csv):
    with pytest.raises(ValueError, match="argument `task` of kreg tune"):
        data.load_table(churn_csv, "status", task="ranking")


def test_preprocessor_width_is_fixed_before_fitting():
    frame = pd.DataFrame(
        {"size": [1.0, 2.0, np.nan, 4.0], "city": ["Oslo", "Rome", "Oslo", None]}
    )
    pre = data.make_preprocessor(frame)
    assert data.output_width(pre) == 5
    # Fitted on rows that lack a category and a missing value: same width.
    out = pre.fit(frame.iloc[:2]).transform(frame)
    assert out.shape == (4, 5)
    assert data.output_names(pre) == [
        "numeric__size",
        "missing__size",
        "categorical__city_Oslo",
        "categorical__city_Rome",
        "categorical__city_(missing)",
    ]
    np.testing.assert_array_equal(out[:, 1], [0, 0, 1, 0])
    np.testing.assert_array_equal(out[3, 2:], [0, 0, 1])


def test_preprocessing_is_fitted_on_the_training_rows_only(sales_csv):
    table = data.load_table(sales_csv, "revenue")
    hypermodel = TabularHyperModel(
        table.features,
        table.y,
        table.task,
        None,
        numeric=table.numeric_columns,
        categorical=table.categorical_columns,
    )
    train, valid = np.arange(0, 50), np.arange(50, 80)
    fitted, scale, [(x, y), (xv, yv)] = hypermodel.prepare(train, valid)
    scaler = fitted.named_transformers_["numeric"].steps[-1][1]
    visits = table.features["visits"].iloc[train]
    imputed = visits.fillna(visits.median())
    np.testing.assert_allclose(scaler.mean_[0], imputed.mean(), rtol=1e-6)
    assert scale == pytest.approx((table.y[train].mean(), table.y[train].std()))
    np.testing.assert_allclose(x[:, 0].mean(), 0.0, atol=1e-5)
    assert x.shape[1] == xv.shape[1] == hypermodel.width
    np.testing.assert_allclose(y.mean(), 0.0, atol=1e-5)
    assert abs(float(yv.mean())) > 1e-3  # the validation rows were not used


def test_stray_text_in_a_numeric_column_is_an_error_or_missing():
    frame = pd.DataFrame({"x": ["1.5", "2", "oops", "4", "5"], "y": [0, 1, 0, 1, 0]})
    with pytest.raises(ValueError, match=r"numbers in column 'x'.*row 3 \('oops'\)"):
        data.load_table(frame, "y")
    table = data.load_table(frame, "y", non_numeric="missing")
    assert table.numeric_columns == ["x"] and table.categorical_columns == []
    np.testing.assert_array_equal(table.features["x"].isna(), [0, 0, 1, 0, 0])
    # A text column with a few numbers stays a category.
    words = pd.DataFrame({"c": ["a", "b", "3", "a", "b"], "y": [0, 1, 0, 1, 0]})
    assert data.load_table(words, "y").categorical_columns == ["c"]


def test_repeated_names_and_infinities_are_errors():
    frame = pd.DataFrame([[1.0, 2.0, 0], [3.0, 4.0, 1]], columns=["a", "a", "y"])
    with pytest.raises(ValueError, match="distinct column names"):
        data.load_table(frame, "y")
    frame = pd.DataFrame({"a": [1.0, np.inf, 2.0], "y": [0, 1, 0]})
    with pytest.raises(ValueError, match=r"column 'a': row 2 \(inf\)"):
        data.load_table(frame, "y")


def test_constant_columns_are_left_out_with_a_note():
    frame = pd.DataFrame(
        {"a": [1.0, 2.0, 3.0], "k": [5, 5, 5], "t": ["x", "x", "x"], "y": [0, 1, 0]}
    )
    table = data.load_table(frame, "y")
    assert table.constant_columns == ["k", "t"]
    assert list(table.features.columns) == ["a"]
    assert table.numeric_columns == ["a"] and table.categorical_columns == []

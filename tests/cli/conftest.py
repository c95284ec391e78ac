"""Small CSV files for the command-line tests."""

import numpy as np
import pandas as pd
import pytest


@pytest.fixture
def sales_csv(tmp_path):
    """A regression table with a categorical column and missing values."""
    rng = np.random.default_rng(0)
    n = 80
    frame = pd.DataFrame(
        {
            "visits": rng.normal(10, 3, n),
            "region": rng.choice(["north", "south", "east"], n),
            "discount": rng.uniform(0, 0.3, n),
            "member": rng.choice([True, False], n),
        }
    )
    frame.loc[::9, "visits"] = np.nan
    frame.loc[::11, "region"] = np.nan
    frame["revenue"] = (
        3 * frame["visits"].fillna(10)
        + 5 * (frame["region"] == "north")
        + 20 * frame["discount"]
        + rng.normal(0, 1, n)
    )
    path = tmp_path / "sales.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.fixture
def churn_csv(tmp_path):
    """A three-class table with text labels."""
    rng = np.random.default_rng(1)
    n = 60
    x = rng.normal(size=(n, 3))
    labels = np.array(["stay", "leave", "pause"])[
        np.argmax(x + rng.normal(0, 0.3, (n, 3)), axis=1)
    ]
    frame = pd.DataFrame(x, columns=["tenure", "spend", "tickets"])
    frame["plan"] = rng.choice(["basic", "pro"], n)
    frame["status"] = labels
    path = tmp_path / "churn.csv"
    frame.to_csv(path, index=False)
    return path

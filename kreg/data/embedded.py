"""The embedded example data: a real table that ships with scikit-learn."""

import pandas as pd
from sklearn.datasets import load_breast_cancer

#: The name shown for the embedded data in reports and output folders.
EXAMPLE_NAME = "breast_cancer"

#: The target column of the embedded data.
EXAMPLE_TARGET = "diagnosis"


def load_example() -> pd.DataFrame:
    """Returns the Wisconsin breast cancer table as a DataFrame.

    569 tumours, 30 numeric measurements and the column ``"diagnosis"``
    (``"malignant"`` or ``"benign"``). It ships inside scikit-learn, so it
    needs no download: ``kreg tune`` runs on it when given no CSV.

    Returns:
        A DataFrame with 31 columns, the last one the target.

    Example:

    >>> frame = kreg.data.load_example()
    >>> frame.shape
    (569, 31)
    >>> frame["diagnosis"].value_counts().to_dict()
    {'benign': 357, 'malignant': 212}

    References:
        Street, Wolberg & Mangasarian, "Nuclear feature extraction for breast
        tumor diagnosis", 1993 (UCI ML repository, via scikit-learn's
        ``load_breast_cancer``).
    """
    bunch = load_breast_cancer(as_frame=True)
    frame = bunch.frame.drop(columns="target")
    names = bunch.target_names[bunch.target.to_numpy()]
    frame[EXAMPLE_TARGET] = pd.Series(names, index=frame.index, dtype=object)
    return frame

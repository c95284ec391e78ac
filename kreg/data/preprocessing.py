"""Tabular preprocessing with a fixed output width, to be fitted inside each fold."""

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import MissingIndicator, SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

#: The category that stands for a missing value in a categorical column.
MISSING = "(missing)"


def _as_text(x):
    # Module-level (not a lambda) so a fitted preprocessor pickles.
    frame = pd.DataFrame(x)
    return frame.where(frame.isna(), frame.astype(str)).fillna(MISSING).to_numpy()


def make_preprocessor(
    features: pd.DataFrame,
    numeric: list[str] | None = None,
    categorical: list[str] | None = None,
) -> ColumnTransformer:
    """Builds an unfitted scikit-learn preprocessor for a table's features.

    Numeric columns: missing values replaced by the median, then standardized
    (zero mean, unit variance); a 0/1 "was missing" column is added for each
    numeric column that has missing values in ``features``. Categorical
    columns: one-hot encoded; a missing value is its own category, and a
    category never seen in fitting encodes as all zeros.

    What is *learned* (medians, means, scales) comes from the rows given to
    ``fit``, so fit it on the training rows of each cross-validation fold and
    no statistic of the validation rows leaks into the model. What makes the
    *shape* (which categories exist, which columns can be missing) is taken
    from ``features`` here, so every fold gives the same output width and one
    network shape serves them all.

    Args:
        features: the feature columns (all training rows, never test rows).
        numeric: numeric column names. Defaults to `None` (the numeric and
            boolean dtypes of ``features``).
        categorical: categorical column names. Defaults to `None` (the
            other columns).

    Returns:
        An unfitted ``sklearn.compose.ColumnTransformer`` whose output is a
        float array with :func:`output_width` columns.

    Example:

    >>> import pandas as pd
    >>> frame = pd.DataFrame({"size": [1.0, 2.0, None, 4.0],
    ...                       "city": ["Oslo", "Rome", "Oslo", None]})
    >>> pre = kreg.data.make_preprocessor(frame)
    >>> pre.fit(frame.iloc[:2]).transform(frame).shape  # size, missing, 3 cities
    (4, 5)
    """
    if numeric is None:
        numeric = [
            c for c in features.columns if pd.api.types.is_numeric_dtype(features[c])
        ]
    if categorical is None:
        categorical = [c for c in features.columns if c not in numeric]
    parts = []
    if numeric:
        parts.append(
            (
                "numeric",
                make_pipeline(
                    SimpleImputer(strategy="median", keep_empty_features=True),
                    StandardScaler(),
                ),
                list(numeric),
            )
        )
        missing = [c for c in numeric if features[c].isna().any()]
        if missing:
            parts.append(("missing", MissingIndicator(features="all"), missing))
    if categorical:
        categories = [_categories(features[c]) for c in categorical]
        parts.append(
            (
                "categorical",
                make_pipeline(
                    FunctionTransformer(_as_text, feature_names_out="one-to-one"),
                    OneHotEncoder(
                        categories=categories,
                        handle_unknown="ignore",
                        sparse_output=False,
                        dtype=np.float32,
                    ),
                ),
                list(categorical),
            )
        )
    return ColumnTransformer(
        parts, sparse_threshold=0.0, verbose_feature_names_out=True
    )


def _categories(series: pd.Series) -> list[str]:
    values = sorted(set(series.dropna().astype(str)))
    if series.isna().any() and MISSING not in values:
        values.append(MISSING)
    return values


def output_width(preprocessor: ColumnTransformer) -> int:
    """The number of columns a preprocessor from :func:`make_preprocessor` outputs.

    Known before fitting, so the network can be built before any fold.
    """
    width = 0
    for name, transformer, columns in preprocessor.transformers:
        if name == "categorical":
            encoder = transformer.steps[-1][1]
            width += sum(len(c) for c in encoder.categories)
        else:
            width += len(columns)
    return width


def output_names(preprocessor: ColumnTransformer) -> list[str]:
    """Names of the output columns (``"numeric__age"``, ``"categorical__city_Oslo"``).

    Args:
        preprocessor: a preprocessor from :func:`make_preprocessor`.
    """
    names = []
    for name, transformer, columns in preprocessor.transformers:
        if name == "categorical":
            encoder = transformer.steps[-1][1]
            for column, values in zip(columns, encoder.categories):
                names += [f"{name}__{column}_{v}" for v in values]
        else:
            names += [f"{name}__{c}" for c in columns]
    return names

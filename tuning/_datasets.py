"""The tables the tuning scripts run on: scikit-learn's bundled datasets (no
download). ``DATASETS[name] = (task, load)``, ``load() -> (x, y)``."""

from sklearn import datasets

DATASETS = {
    "diabetes": ("regression", lambda: datasets.load_diabetes(return_X_y=True)),
    "breast_cancer": ("binary", lambda: datasets.load_breast_cancer(return_X_y=True)),
    "friedman1": (
        "regression",
        lambda: datasets.make_friedman1(600, n_features=10, noise=1.0, random_state=0),
    ),
}

"""The tables the tuning scripts run on: scikit-learn's bundled datasets (no
download). ``DATASETS[name] = (task, load)``, ``load() -> (x, y)``."""

import argparse

from sklearn import datasets

DATASETS = {
    "diabetes": ("regression", lambda: datasets.load_diabetes(return_X_y=True)),
    "breast_cancer": ("binary", lambda: datasets.load_breast_cancer(return_X_y=True)),
    "friedman1": (
        "regression",
        lambda: datasets.make_friedman1(600, n_features=10, noise=1.0, random_state=0),
    ),
}


def script_parser(doc: str, tables: dict = DATASETS) -> argparse.ArgumentParser:
    """The scripts' parser: their docstring's first line, defaults in the help,
    and ``--dataset`` among ``tables``."""
    parser = argparse.ArgumentParser(
        description=doc.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--dataset",
        choices=sorted(tables),
        default="diabetes",
        help="scikit-learn dataset",
    )
    return parser

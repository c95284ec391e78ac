"""kreg's default for a table: cross-validated paths of GLMs and of a net.

Runs ``kreg.tuning.tabular_path`` (the lasso and two elastic nets on the
linear model, the lasso on a 32-unit net; k-fold cross-validated λ paths; the
net only where it beats the linear models by more than one standard error) on
75 % of a scikit-learn dataset, prints each candidate's best cross-validated
data loss, the choice, and its score on the other 25 %.

    python tuning/tabular_path.py
    python tuning/tabular_path.py --dataset friedman1 --cv 10 --points 30
"""

import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
from _datasets import DATASETS, script_parser  # noqa: E402 (tuning/_datasets.py, beside this script)
from sklearn import metrics, model_selection  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

import kreg  # noqa: E402


def main(argv=None):
    parser = script_parser(__doc__, DATASETS)
    parser.add_argument("--cv", type=int, default=5, help="folds of each path")
    parser.add_argument("--points", type=int, default=20, help="strengths per path")
    parser.add_argument("--epochs", type=int, default=100, help="most per strength")
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of the split, folds and weights"
    )
    args = parser.parse_args(argv)

    task, loader = DATASETS[args.dataset]
    x, y = loader()
    x_tr, x_te, y_tr, y_te = model_selection.train_test_split(
        x,
        y,
        test_size=0.25,
        random_state=args.seed,
        stratify=y if task != "regression" else None,
    )
    scaler = StandardScaler().fit(x_tr)
    x_tr, x_te = (scaler.transform(a).astype("float32") for a in (x_tr, x_te))
    if task == "regression":
        mean, std = y_tr.mean(), y_tr.std()
        y_tr, y_te = (((a - mean) / std).astype("float32") for a in (y_tr, y_te))

    started = time.perf_counter()
    found = kreg.tuning.tabular_path(
        x_tr,
        y_tr,
        task=task,
        cv=args.cv,
        n_strengths=args.points,
        epochs=args.epochs,
        seed=args.seed,
    )
    seconds = time.perf_counter() - started
    print(f"{'candidate':<46} {'best cv data loss':>18} {'± se':>8}")
    for i, (candidate, path) in enumerate(zip(found.candidates, found.paths)):
        units, regularizer, *options = candidate  # options: depth, dropout, ...
        best = path.best("min")
        mark = "  <- chosen" if i == found.chosen else ""
        described = " ".join([str(regularizer), *(str(o) for o in options)])
        print(
            f"units={units:<3} {described:<36} "
            f"{path.val_data_loss[best]:18.4f} {path.val_standard_error[best]:8.4f}"
            + mark
        )
    for rule in ("min", "1se"):
        prediction = np.asarray(found.best_model(rule).predict(x_te, verbose=0))
        if task == "regression":
            score = f"test R² {metrics.r2_score(y_te, prediction[:, 0]):.3f}"
        else:
            p = prediction[:, 0]
            score = (
                f"test accuracy {metrics.accuracy_score(y_te, p > 0.5):.3f}, "
                f"log loss {metrics.log_loss(y_te, np.clip(p, 1e-7, 1 - 1e-7)):.3f}"
            )
        i = found.best(rule)
        print(
            f"{rule}: λ={found.path.strengths[i]:.3g}, "
            f"{found.path.active_inputs[i]}/{x.shape[1]} inputs, {score}"
        )
    print(f"{len(found.paths)} cross-validated paths in {seconds:.1f}s")


if __name__ == "__main__":
    main()

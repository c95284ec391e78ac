"""Fit kreg's tabular model along a λ path, glmnet style, and plot it.

From λ_max (every input switched off) down to λ_max * 1e-3, warm-started,
with per-λ training and validation data loss, penalty, sparsity and epochs;
writes a PNG of validation loss and sparsity against λ and prints the
minimum and one-standard-error choices.

    python tuning/lambda_path.py
    python tuning/lambda_path.py --dataset friedman1 --points 40 \
        --regularizer group_lasso
    python tuning/lambda_path.py --cold     # a fresh model per λ, to compare
    python tuning/lambda_path.py --cv 5 --units 0   # the lasso, cv.glmnet style
"""

import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from _datasets import DATASETS, script_parser  # noqa: E402 (tuning/_datasets.py, beside this script)
from sklearn.preprocessing import StandardScaler  # noqa: E402

import kreg  # noqa: E402


def main(argv=None):
    parser = script_parser(__doc__, DATASETS)
    parser.add_argument(
        "--regularizer",
        choices=["l1", "group_lasso", "elastic_net", "sparse_group_lasso", "l2"],
        default="l1",
        help="the penalty whose strength the path steps through",
    )
    parser.add_argument("--points", type=int, default=20, help="strengths on the path")
    parser.add_argument(
        "--min-ratio", type=float, default=1e-3, help="weakest strength / λ_max"
    )
    parser.add_argument(
        "--epochs", type=int, default=100, help="most epochs per strength"
    )
    parser.add_argument("--cold", action="store_true", help="no warm starts")
    parser.add_argument(
        "--direction",
        choices=["auto", "decreasing", "increasing"],
        default="auto",
        help="order of the fits (auto: upwards for a net, as LassoNet)",
    )
    parser.add_argument(
        "--cv",
        type=int,
        help="folds of a cross-validated path (None: one validation split)",
    )
    parser.add_argument(
        "--units", type=int, default=32, help="hidden units (0: the linear model)"
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of the split and the weights"
    )
    parser.add_argument(
        "--output", default="lambda_path.png", help="the plot of the path"
    )
    args = parser.parse_args(argv)

    task, loader = DATASETS[args.dataset]
    x, y = loader()
    x = StandardScaler().fit_transform(x).astype("float32")
    if task == "regression":
        y = (y - y.mean()) / y.std()
    y = y.astype("float32")

    def build(regularizer):
        return kreg.tuning.tabular_model(
            regularizer, 0.0, n_features=x.shape[1], task=task, units=args.units
        )

    started = time.perf_counter()
    path = kreg.tuning.regularization_path(
        build,
        x,
        y,
        regularizer=args.regularizer,
        n_strengths=args.points,
        min_ratio=args.min_ratio,
        epochs=args.epochs,
        warm_start=not args.cold,
        direction=args.direction,
        cv=args.cv,
        seed=args.seed,
    )
    seconds = time.perf_counter() - started
    header = ("λ", "train", "val", "± se", "penalty", "sparse", "inputs", "epochs")
    print(" ".join(f"{h:>10}" for h in header))
    keys = [key for key in path.results[0] if key != "seconds"]  # as the header
    for row in path.results:
        print(" ".join(f"{row[k]:10.4g}" for k in keys))
    for rule in ("min", "1se"):
        i = path.best(rule)
        print(
            f"{rule}: λ={path.strengths[i]:.3g}, "
            f"val data loss {path.val_data_loss[i]:.4f}, "
            f"{path.active_inputs[i]}/{x.shape[1]} inputs"
        )
    mode = ("cold" if args.cold else "warm") + (f" {args.cv}-fold" if args.cv else "")
    print(
        f"{mode} path ({path.direction}): {seconds:.1f}s; "
        f"plot: {path.plot(args.output)}"
    )


if __name__ == "__main__":
    main()

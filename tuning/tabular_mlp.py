"""Tune kreg's default tabular model by k-fold cross-validation.

The model is a linear part plus an MLP whose input kernels carry an L1 or a
group-lasso penalty, trained with proximal steps (features switch off
exactly); the search tunes the penalty's kind and strength (or none) and the
dropout rate, scores each trial by its mean cross-validated data loss, and
refits the winner (minimum or one-standard-error rule) on all training data.

    python tuning/tabular_mlp.py                        # a few minutes on a laptop
    python tuning/tabular_mlp.py --dataset breast_cancer --trials 30 --cv 10
    python tuning/tabular_mlp.py --oracle bayesian --rule min
    python tuning/tabular_mlp.py --resume               # continue an interrupted run
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
from _datasets import DATASETS, script_parser  # noqa: E402 (tuning/_datasets.py, beside this script)
from sklearn import datasets, metrics, model_selection  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

import kreg  # noqa: E402

# A multiclass table too: the Tuner's search handles any task.
DATASETS = {
    **DATASETS,
    "wine": ("multiclass", lambda: datasets.load_wine(return_X_y=True)),
}


def main(argv=None):
    parser = script_parser(__doc__, DATASETS)
    parser.add_argument(
        "--oracle",
        choices=sorted(kreg.tuning.tuner.ORACLES),
        default="random",
        help="KerasTuner oracle",
    )
    parser.add_argument("--trials", type=int, default=8, help="settings to try")
    parser.add_argument("--cv", type=int, default=5, help="folds per trial")
    parser.add_argument("--epochs", type=int, default=100, help="most epochs per fit")
    parser.add_argument(
        "--patience", type=int, default=10, help="early stopping patience, epochs"
    )
    parser.add_argument(
        "--rule", choices=["min", "1se"], default="1se", help="which trial is refit"
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of the split, folds and search"
    )
    parser.add_argument(
        "--directory", default="tuning_runs", help="KerasTuner project folder"
    )
    parser.add_argument(
        "--resume", action="store_true", help="keep an existing project"
    )
    args = parser.parse_args(argv)

    task, loader = DATASETS[args.dataset]
    x, y = loader()
    stratify = None if task == "regression" else y
    x_train, x_test, y_train, y_test = model_selection.train_test_split(
        x, y, test_size=0.25, random_state=args.seed, stratify=stratify
    )
    scaler = StandardScaler().fit(x_train)
    x_train, x_test = (scaler.transform(a).astype("float32") for a in (x_train, x_test))
    if task == "regression":
        mean, std = y_train.mean(), y_train.std()
        y_train, y_test = ((a - mean) / std for a in (y_train, y_test))
    y_train = y_train.astype("float32" if task == "regression" else "int32")

    n_outputs = len(np.unique(y)) if task == "multiclass" else 1
    tuner = kreg.tuning.Tuner(
        kreg.tuning.tabular_hypermodel(x.shape[1], n_outputs=n_outputs, task=task),
        oracle=args.oracle,
        cv=args.cv,
        max_trials=args.trials,
        max_epochs=args.epochs,
        seed=args.seed,
        patience=args.patience,
        directory=args.directory,
        project_name=f"tabular_{args.dataset}",
        overwrite=not args.resume,
    )
    tuner.search(x_train, y_train, epochs=args.epochs, batch_size=32, verbose=0)

    print(f"\n{'trial':>5} {'mean':>8} {'se':>7} {'level':>6}  hyperparameters")
    for row in tuner.cv_results():
        print(
            f"{row['trial_id']:>5} {row['mean']:8.4f} {row['standard_error']:7.4f} "
            f"{row['level']:6.2f}  {row['hyperparameters']}"
        )
    for rule in ("min", "1se"):
        print(f"{rule}: trial {tuner.best_trial(rule).trial_id}")
    model = tuner.refit(x_train, y_train, rule=args.rule)
    prediction = model.predict(x_test, verbose=0)
    if task == "regression":
        print(
            f"test R² ({args.rule}): {metrics.r2_score(y_test, prediction[:, 0]):.3f}"
        )
    else:
        labels = (prediction[:, 0] > 0.5) if task == "binary" else prediction.argmax(1)
        print(
            f"test accuracy ({args.rule}): {metrics.accuracy_score(y_test, labels):.3f}"
        )
    report = kreg.penalty(model)
    kernel = np.abs(model.get_layer("linear").kernel.numpy()).sum(axis=1) + np.abs(
        model.get_layer("hidden").kernel.numpy()
    ).sum(axis=1)
    print(
        f"inputs used: {int(np.sum(kernel > 0))}/{x.shape[1]}, "
        f"penalty {report.total:.4g}"
    )


if __name__ == "__main__":
    main()

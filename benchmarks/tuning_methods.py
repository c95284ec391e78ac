"""How well does kreg choose the regularization? Side by side, in one run.

On scikit-learn datasets, with the same train/test split for every method:

- an unregularized MLP (early stopping on a validation split);
- plain KerasTuner random search on ``val_loss`` over L2 and dropout;
- kreg's cross-validated tuner with its default model (a linear part plus an
  MLP whose input kernels carry L1 or a group lasso, proximal training),
  winner by the minimum and by the one-standard-error rule, refitted;
- kreg's λ path (L1, warm starts), best point on the validation data;
- kreg's default for tables, ``kreg.tuning.tabular_path``: cross-validated
  λ paths of the linear model and of the net (min and 1se), the net kept only
  where it beats the linear model by more than one standard error;
- scikit-learn's ElasticNetCV / LogisticRegressionCV.

It prints the test score (R² for regression, accuracy and log loss for
classification) and the wall time of each, and the λ path warm versus cold
(alternated, median of ``--repeats``). The default run is short (one
dataset, few trials); ``--full`` runs the three datasets of the README.

    python benchmarks/tuning_methods.py
    python benchmarks/tuning_methods.py --full
"""

import argparse
import os
import shutil
import statistics
import tempfile
import time
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import keras_tuner  # noqa: E402
import numpy as np  # noqa: E402
from sklearn import datasets, linear_model, metrics, model_selection  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

import kreg  # noqa: E402


def load(name, seed):
    if name == "diabetes":
        x, y = datasets.load_diabetes(return_X_y=True)
        task = "regression"
    elif name == "friedman1":
        x, y = datasets.make_friedman1(
            n_samples=600, n_features=10, noise=1.0, random_state=seed
        )
        task = "regression"
    elif name == "breast_cancer":
        x, y = datasets.load_breast_cancer(return_X_y=True)
        task = "binary"
    else:
        raise ValueError(name)
    stratify = y if task != "regression" else None
    x_tr, x_te, y_tr, y_te = model_selection.train_test_split(
        x, y, test_size=0.25, random_state=seed, stratify=stratify
    )
    scaler = StandardScaler().fit(x_tr)
    x_tr, x_te = (scaler.transform(a).astype("float32") for a in (x_tr, x_te))
    if task == "regression":
        mu, sd = y_tr.mean(), y_tr.std()
        y_tr, y_te = ((a - mu) / sd for a in (y_tr, y_te))
    return x_tr, x_te, y_tr.astype("float32"), y_te.astype("float32"), task


def score(task, y_true, prediction):
    prediction = np.asarray(prediction).reshape(len(y_true), -1)
    if task == "regression":
        return {
            "score": metrics.r2_score(y_true, prediction[:, 0]),
            "logloss": float("nan"),
        }
    p = np.clip(prediction[:, 0], 1e-7, 1 - 1e-7)
    return {
        "score": metrics.accuracy_score(y_true, p > 0.5),
        "logloss": metrics.log_loss(y_true, p),
    }


def plain_mlp(n_features, task, regularizer=None, dropout=0.0):
    model = keras.Sequential(
        [
            keras.Input((n_features,)),
            keras.layers.Dense(32, "relu", kernel_regularizer=regularizer),
            keras.layers.Dropout(dropout),
            keras.layers.Dense(
                1,
                "sigmoid" if task == "binary" else None,
                kernel_regularizer=regularizer,
            ),
        ]
    )
    loss = "binary_crossentropy" if task == "binary" else "mse"
    model.compile(keras.optimizers.Adam(1e-2), loss)
    return model


def plain_fit(args):
    """The fit arguments of the plain baselines: a validation split and Keras'
    early stopping on ``val_loss`` (a fresh callback each time)."""
    return dict(
        validation_split=0.2,
        epochs=args.epochs,
        batch_size=32,
        callbacks=[
            keras.callbacks.EarlyStopping(
                monitor="val_loss", patience=10, restore_best_weights=True
            )
        ],
        verbose=0,
    )


METHODS = ("mlp", "kerastuner", "kreg", "path", "tabular", "sklearn")


def run_dataset(name, args, workdir):
    x_tr, x_te, y_tr, y_te, task = load(name, args.seed)
    n = x_tr.shape[1]
    rows = []
    data = (x_tr, y_tr, x_te, y_te, task, n)
    if not args.methods:
        return rows, data

    def record(method, started, prediction, note=""):
        rows.append(
            {
                "dataset": name,
                "method": method,
                "seconds": time.perf_counter() - started,
                **score(task, y_te, prediction),
                "note": note,
                "prediction": np.asarray(prediction).reshape(len(y_te), -1)[:, 0],
                "truth": y_te,
                "task": task,
            }
        )
        print(
            f"  {method:<34} {rows[-1]['score']:.3f}  "
            f"{rows[-1]['seconds']:7.1f}s {note}",
            flush=True,
        )

    print(
        f"{name}: {len(y_tr)} train, {len(y_te)} test, {n} features, {task}", flush=True
    )

    if "mlp" in args.methods:
        t = time.perf_counter()
        keras.utils.set_random_seed(args.seed)
        model = plain_mlp(n, task)
        model.fit(x_tr, y_tr, **plain_fit(args))
        record("MLP, no regularization", t, model.predict(x_te, verbose=0))

    if "kerastuner" in args.methods:
        t = time.perf_counter()

        def kt_build(hp):
            l2 = hp.Float("l2", 1e-5, 1e-1, sampling="log")
            return plain_mlp(
                n,
                task,
                keras.regularizers.L2(l2),
                hp.Float("dropout", 0.0, 0.5, step=0.1),
            )

        # KerasTuner reads seed=0 as "none" and draws its seed from Python's
        # global random state, which the unregularized MLP's set_random_seed
        # above fixes: run with that row (as --full does) to reproduce this one.
        tuner = keras_tuner.RandomSearch(
            kt_build,
            objective="val_loss",
            max_trials=args.trials,
            seed=args.seed,
            directory=workdir,
            project_name=f"kt_{name}",
            overwrite=True,
        )
        tuner.search(x_tr, y_tr, **plain_fit(args))
        best = tuner.get_best_models(1)[0]
        record("KerasTuner random, val_loss, L2+drop", t, best.predict(x_te, verbose=0))

    if "kreg" in args.methods:
        t = time.perf_counter()
        ktuner = kreg.tuning.Tuner(
            kreg.tuning.tabular_hypermodel(n, task=task),
            cv=args.cv,
            max_trials=args.trials,
            seed=args.seed,
            patience=10,
            directory=workdir,
            project_name=f"kreg_{name}",
            overwrite=True,
        )
        ktuner.search(x_tr, y_tr, epochs=args.epochs, batch_size=32)
        search_seconds = time.perf_counter() - t
        for rule in ("min", "1se"):
            t2 = time.perf_counter()
            refit = ktuner.refit(x_tr, y_tr, rule=rule)
            hp = ktuner.best_hyperparameters(rule).values
            note = (
                f"{hp.get('regularizer_kind') if hp.get('regularizer_on') else 'none'} "
                + (
                    f"λ={hp['regularizer_strength']:.2g} "
                    if hp.get("regularizer_on")
                    else ""
                )
                + f"drop={hp['dropout_rate']:.1f}"
            )
            record(
                f"kreg Tuner cv={args.cv}, {rule}",
                t2 - search_seconds,
                refit.predict(x_te, verbose=0),
                note,
            )

    if "path" in args.methods:
        t = time.perf_counter()

        def path_build(regularizer):
            return kreg.tuning.tabular_model(regularizer, 0.0, n_features=n, task=task)

        path = kreg.tuning.regularization_path(
            path_build,
            x_tr,
            y_tr,
            n_strengths=args.path_points,
            epochs=args.epochs,
            seed=args.seed,
        )
        i = path.best("min")
        record(
            "kreg λ path (L1, warm), min",
            t,
            path.best_model("min").predict(x_te, verbose=0),
            f"λ={path.strengths[i]:.2g} inputs={path.active_inputs[i]}/{n}",
        )

    if "tabular" in args.methods:
        t = time.perf_counter()
        found = kreg.tuning.tabular_path(
            x_tr,
            y_tr,
            task=task,
            cv=args.cv,
            n_strengths=args.path_points,
            seed=args.seed,
        )
        seconds = time.perf_counter() - t
        for rule in ("min", "1se"):
            i = found.best(rule)
            t2 = time.perf_counter()
            prediction = found.best_model(rule).predict(x_te, verbose=0)
            record(
                f"kreg tabular_path cv={args.cv}, {rule}",
                t2 - seconds,
                prediction,
                f"units={found.units} λ={found.path.strengths[i]:.2g} "
                f"inputs={found.path.active_inputs[i]}/{n}",
            )

    if "sklearn" in args.methods:
        t = time.perf_counter()
        if task == "regression":
            sk = linear_model.ElasticNetCV(
                l1_ratio=[0.1, 0.5, 0.9, 1.0], cv=5, random_state=args.seed
            ).fit(x_tr, y_tr)
            record(
                "scikit-learn ElasticNetCV",
                t,
                sk.predict(x_te),
                f"inputs={int(np.sum(sk.coef_ != 0))}/{n}",
            )
        else:
            with warnings.catch_warnings():
                # scikit-learn 1.8 announces new defaults of LogisticRegressionCV.
                warnings.simplefilter("ignore", FutureWarning)
                sk = linear_model.LogisticRegressionCV(cv=5, max_iter=5000).fit(
                    x_tr, y_tr
                )
            record("scikit-learn LogisticRegressionCV", t, sk.predict_proba(x_te)[:, 1])

    return rows, data


def paired_difference(rows, method, seed, draws=2000):
    """Test-score difference of ``method`` to the best other method of its
    dataset, with a 95% paired bootstrap interval over the test rows."""
    mine = next(r for r in rows if r["method"] == method)
    others = [r for r in rows if not r["method"].startswith("kreg")]
    if not others:
        return None
    best = max(others, key=lambda r: r["score"])
    truth, task = mine["truth"], mine["task"]
    rng = np.random.default_rng(seed)
    diffs = []
    for _ in range(draws):
        i = rng.integers(0, len(truth), len(truth))
        diffs.append(
            score(task, truth[i], mine["prediction"][i])["score"]
            - score(task, truth[i], best["prediction"][i])["score"]
        )
    low, high = np.percentile(diffs, [2.5, 97.5])
    return best["method"], mine["score"] - best["score"], low, high


def warm_versus_cold(name, data, args, units=32):
    """The same grid fitted with warm starts and cold; alternated runs.

    ``units=0`` is the GLM, whose path runs down from λ_max to convergence
    at each strength (glmnet); a net's runs up, early-stopped.
    """
    x_tr, y_tr, x_te, y_te, task, n = data

    def build(regularizer):
        return kreg.tuning.tabular_model(
            regularizer, 0.0, n_features=n, task=task, units=units
        )

    runs = {True: [], False: []}
    for _ in range(args.repeats):
        for warm in (True, False):  # alternated, so both see the same load
            t = time.perf_counter()
            path = kreg.tuning.regularization_path(
                build,
                x_tr,
                y_tr,
                n_strengths=args.path_points,
                epochs=args.epochs,
                seed=args.seed,
                warm_start=warm,
            )
            seconds = time.perf_counter() - t
            best = path.best("min")
            test = score(task, y_te, path.best_model("min").predict(x_te, verbose=0))
            runs[warm].append(
                (
                    seconds,
                    float(np.sum(path.epochs)),
                    float(path.val_data_loss[best]),
                    test["score"],
                    test["logloss"],
                )
            )
    summary = {
        warm: [statistics.median(r[k] for r in values) for k in range(5)]
        for warm, values in runs.items()
    }
    summary["direction"] = path.direction
    summary["units"] = units
    print(
        f"\n{name}, units={units}: λ path ({path.direction}, {path.stopping}), "
        f"{args.path_points} strengths, "
        f"median of {args.repeats} alternated runs:"
    )
    for warm in (True, False):
        seconds, epochs, val, test, logloss = summary[warm]
        print(
            f"  {'warm' if warm else 'cold'}: {seconds:7.1f}s, {epochs:5.0f} epochs, "
            f"best val data loss {val:.4f}, its test score {test:.3f}"
            + ("" if np.isnan(logloss) else f" (log loss {logloss:.3f})")
        )
    print(f"  warm / cold wall time: {summary[True][0] / summary[False][0]:.2f}x")
    return summary


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--full", action="store_true", help="three datasets, more trials, 20-point path"
    )
    parser.add_argument("--datasets", nargs="*")
    parser.add_argument("--trials", type=int)
    parser.add_argument("--cv", type=int)
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--path-points", type=int)
    parser.add_argument("--repeats", type=int)
    parser.add_argument(
        "--warm-cold-units",
        nargs="*",
        type=int,
        help="widths of the warm-versus-cold paths (0: the GLM; default: 32, "
        "and 0 with --full)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--methods",
        nargs="*",
        choices=METHODS,
        help="methods of the side-by-side table (default: all)",
    )
    parser.add_argument(
        "--warm-cold",
        nargs="*",
        help="datasets of the warm-versus-cold comparison (default: the first)",
    )
    args = parser.parse_args(argv)
    defaults = dict(
        datasets=["diabetes"], trials=3, cv=3, epochs=60, path_points=8, repeats=1
    )
    if args.methods is None:
        args.methods = list(METHODS)
    if args.full:
        defaults = dict(
            datasets=["diabetes", "friedman1", "breast_cancer"],
            trials=10,
            cv=5,
            epochs=200,
            path_points=20,
            repeats=1,
            warm_cold=["diabetes", "friedman1", "breast_cancer"],
            warm_cold_units=[32, 0],
        )
    for key, value in defaults.items():
        if getattr(args, key) in (None, []):
            setattr(args, key, value)
    if args.warm_cold in (None, []):
        args.warm_cold = defaults.get("warm_cold", args.datasets[:1])
    if args.warm_cold_units in (None, []):
        args.warm_cold_units = defaults.get("warm_cold_units", [32])
    workdir = tempfile.mkdtemp(prefix="kreg_bench_")
    try:
        # The timing-sensitive comparison first, while the machine is fresh.
        summary = {
            (name, units): warm_versus_cold(
                name, run_dataset(name, _no_methods(args), workdir)[1], args, units
            )
            for name in args.warm_cold
            for units in args.warm_cold_units
        }
        all_rows = []
        for name in args.datasets:
            all_rows += run_dataset(name, args, workdir)[0]
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(
        "\n| data | units | direction | warm | cold | warm / cold "
        "| best val data loss, warm vs cold | its test score, warm vs cold |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for (name, units), values in summary.items():
        warm, cold = values[True], values[False]
        print(
            f"| {name} | {units} | {values['direction']} "
            f"| {warm[0]:.1f} s, {warm[1]:.0f} epochs "
            f"| {cold[0]:.1f} s, {cold[1]:.0f} epochs | {warm[0] / cold[0]:.2f}x "
            f"| {warm[2]:.4f} vs {cold[2]:.4f} | {warm[3]:.3f} vs {cold[3]:.3f} |"
        )
    print(
        "\n| dataset | kreg method | best other | test score difference "
        "| 95% paired bootstrap interval |"
    )
    print("|---|---|---|---|---|")
    for name in args.datasets:
        rows = [r for r in all_rows if r["dataset"] == name]
        for method in [r["method"] for r in rows if r["method"].startswith("kreg")]:
            found = paired_difference(rows, method, args.seed)
            if found:
                other, diff, low, high = found
                print(
                    f"| {name} | {method} | {other} | {diff:+.3f} "
                    f"| [{low:+.3f}, {high:+.3f}] |"
                )
    print("\n| dataset | method | test score | test log loss | wall s | chosen |")
    print("|---|---|---|---|---|---|")
    for r in all_rows:
        ll = "" if np.isnan(r["logloss"]) else f"{r['logloss']:.3f}"
        print(
            f"| {r['dataset']} | {r['method']} | {r['score']:.3f} | {ll} "
            f"| {r['seconds']:.1f} | {r['note']} |"
        )
    return all_rows, summary


def _no_methods(args):
    return argparse.Namespace(**{**vars(args), "methods": []})


if __name__ == "__main__":
    main()

"""Keras L1 + Adam versus kreg L1 + Proximal(Adam): exact zeros, objective, error, time.

Two problems, each trained with both variants on the same data, model, seed,
epochs, batch size and learning rate:

- ``lasso``: linear regression, 30 features of which 8 are informative
  (1000 train / 1000 test rows). The objective is Keras' training loss
  (``mse + strength * |w|_1``); scikit-learn's ``Lasso`` at the matching
  ``alpha = strength / 2`` gives the optimum, so the table shows how far each
  variant is from it.
- ``cancer``: an MLP (30 -> 32 relu -> 1) on scikit-learn's breast-cancer
  data (30 features), L1 on the first kernel; test error is the
  misclassification rate on a 30% hold-out.

"zeros" is the fraction of penalized kernel weights that are exactly 0. The
variants are interleaved over repeats and the median fit time is kept, so a
busy machine slows both alike.

    python benchmarks/sparsity.py [--repeats 3] [--epochs 30]
"""

import argparse
import logging
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
logging.getLogger("tensorflow").setLevel(logging.ERROR)  # retracing notes

import keras  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.datasets import load_breast_cancer  # noqa: E402
from sklearn.linear_model import Lasso  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

import kreg  # noqa: E402


def lasso_data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2000, 30)).astype("float32")
    coef = np.zeros(30, "float32")
    coef[:8] = rng.uniform(0.5, 2.0, size=8) * rng.choice([-1, 1], size=8)
    y = (x @ coef + rng.normal(size=2000)).astype("float32")[:, None]
    return x[:1000], y[:1000], x[1000:], y[1000:]


def cancer_data():
    x, y = load_breast_cancer(return_X_y=True)
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=0.3, random_state=0, stratify=y
    )
    scaler = StandardScaler().fit(x_train)
    return (
        scaler.transform(x_train).astype("float32"),
        y_train[:, None].astype("float32"),
        scaler.transform(x_test).astype("float32"),
        y_test[:, None].astype("float32"),
    )


PROBLEMS = {
    "lasso": {
        "data": lasso_data,
        "strength": 0.1,
        "layers": lambda reg: [keras.layers.Dense(1, kernel_regularizer=reg)],
        "loss": "mse",
        "error": lambda p, y: float(np.mean((p - y) ** 2)),
        "error_name": "test mse",
    },
    "cancer": {
        "data": cancer_data,
        "strength": 3e-3,
        "layers": lambda reg: [
            keras.layers.Dense(32, "relu", kernel_regularizer=reg),
            keras.layers.Dense(1, "sigmoid"),
        ],
        "loss": "binary_crossentropy",
        "error": lambda p, y: float(np.mean((p > 0.5) != (y > 0.5))),
        "error_name": "test error",
    },
}

VARIANTS = {
    "keras L1 + Adam": (keras.regularizers.L1, lambda lr: keras.optimizers.Adam(lr)),
    "kreg L1 + Proximal(Adam)": (
        kreg.regularizers.L1,
        lambda lr: kreg.optimizers.Proximal(keras.optimizers.Adam(lr)),
    ),
}


def run(problem, variant, data, epochs, batch_size, lr):
    make_reg, make_opt = VARIANTS[variant]
    spec = PROBLEMS[problem]
    x, y, x_test, y_test = data
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [keras.Input((x.shape[1],))] + spec["layers"](make_reg(spec["strength"]))
    )
    model.compile(make_opt(lr), spec["loss"])
    start = time.perf_counter()
    model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=0)
    seconds = time.perf_counter() - start
    kernel = model.layers[0].kernel.numpy()
    objective = model.evaluate(x, y, batch_size=len(x), verbose=0)
    error = spec["error"](model.predict(x_test, verbose=0), y_test)
    return seconds, float(np.mean(kernel == 0)), objective, error


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1e-2)
    args = parser.parse_args()
    for problem, spec in PROBLEMS.items():
        data = spec["data"]()
        optimum = None
        results = {variant: [] for variant in VARIANTS}
        for repeat in range(args.repeats):
            order = list(VARIANTS) if repeat % 2 == 0 else list(VARIANTS)[::-1]
            for variant in order:
                results[variant].append(
                    run(problem, variant, data, args.epochs, args.batch_size, args.lr)
                )
        print(
            f"\n{problem}: {args.epochs} epochs, batch {args.batch_size}, "
            f"lr {args.lr}, strength {spec['strength']}"
        )
        if problem == "lasso":
            x, y = data[0], data[1]
            ref = Lasso(alpha=spec["strength"] / 2, tol=1e-10, max_iter=100_000)
            ref = ref.fit(x.astype("float64"), y.ravel().astype("float64"))
            optimum = float(
                np.mean((y.ravel() - x @ ref.coef_ - ref.intercept_) ** 2)
                + spec["strength"] * np.abs(ref.coef_).sum()
            )
            print(
                f"  scikit-learn Lasso optimum: objective {optimum:.5f}, "
                f"zeros {np.mean(ref.coef_ == 0):.1%}"
            )
        print(
            f"  {'variant':<26}{'zeros':>8}{'objective':>11}"
            f"{spec['error_name']:>12}{'fit s':>8}"
        )
        times = {}
        for variant, rows in results.items():
            seconds = statistics.median(r[0] for r in rows)
            times[variant] = seconds
            _, zeros, objective, error = rows[-1]
            gap = "" if optimum is None else f"  ({objective / optimum - 1:+.3%})"
            print(
                f"  {variant:<26}{zeros:>8.1%}{objective:>11.5f}{error:>12.4f}"
                f"{seconds:>8.2f}{gap}"
            )
        keras_time, kreg_time = times.values()
        print(f"  wall time ratio (Proximal / plain): {kreg_time / keras_time:.2f}x")


if __name__ == "__main__":
    main()

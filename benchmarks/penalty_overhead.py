"""Train-step time of an MLP with no penalty, Keras' L2 and kreg's penalties.

Every variant trains the same 3 x 512 MLP (batch 256) in the same process; the
variants run in a new random order each round, and each ratio is the median of
the ratios within a round, so a busy machine slows them all alike. Prints ratios
against no penalty and kreg's L2 against Keras' L2.

    python benchmarks/penalty_overhead.py [--repeats 9] [--steps 100]
"""

import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402

import kreg  # noqa: E402

VARIANTS = {
    "none": lambda: None,
    "keras L2": lambda: keras.regularizers.L2(1e-4),
    "kreg L2": lambda: kreg.regularizers.L2(1e-4),
    "kreg L1": lambda: kreg.regularizers.L1(1e-4),
    "kreg ElasticNet": lambda: kreg.regularizers.ElasticNet(1e-4, l1_ratio=0.5),
    "kreg GroupLasso": lambda: kreg.regularizers.GroupLasso(1e-4),
}


def build(regularizer_factory, features: int) -> keras.Model:
    keras.utils.set_random_seed(0)
    layers = [keras.Input((features,))]
    for _ in range(3):
        layers.append(
            keras.layers.Dense(
                512, activation="relu", kernel_regularizer=regularizer_factory()
            )
        )
    layers.append(keras.layers.Dense(1, kernel_regularizer=regularizer_factory()))
    model = keras.Sequential(layers)
    model.compile(keras.optimizers.Adam(1e-3), "mse")
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--steps", type=int, default=100, help="train steps per timing")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--features", type=int, default=64)
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    n = args.steps * args.batch_size
    x = rng.normal(size=(n, args.features)).astype("float32")
    y = rng.normal(size=(n, 1)).astype("float32")
    models = {name: build(factory, args.features) for name, factory in VARIANTS.items()}
    for model in models.values():  # trace and warm up
        model.fit(x, y, batch_size=args.batch_size, epochs=1, verbose=0)

    times: dict[str, list[float]] = {name: [] for name in models}
    order = list(models)
    for _ in range(args.repeats):
        rng.shuffle(order)  # no variant always runs first or last
        for name in order:
            model = models[name]
            start = time.perf_counter()
            model.fit(x, y, batch_size=args.batch_size, epochs=1, verbose=0)
            times[name].append((time.perf_counter() - start) / args.steps)

    median = {name: statistics.median(values) for name, values in times.items()}
    # Ratios within one round, then their median: a slow spell of the machine
    # slows every variant of that round alike and cancels out.
    ratio_none = {
        name: statistics.median(t / n for t, n in zip(times[name], times["none"]))
        for name in times
    }
    ratio_l2 = statistics.median(
        k / b for k, b in zip(times["kreg L2"], times["keras L2"])
    )
    print(
        f"MLP 3 x 512, batch {args.batch_size}, {args.features} features, "
        f"{args.repeats} rounds x {args.steps} steps, backend "
        f"{keras.backend.backend()}"
    )
    print(f"{'variant':<18}{'ms/step':>9}{'vs none':>9}")
    for name, value in median.items():
        print(f"{name:<18}{1e3 * value:>9.2f}{ratio_none[name]:>9.3f}")
    print(f"kreg L2 / keras L2: {ratio_l2:.3f}")


if __name__ == "__main__":
    main()

"""Train-step time of kreg's dropout layers against Keras' nearest equivalents,
and of mc_predict against a loop of predict calls.

Pairs, each trained on the same model shape in the same process:

- DropBlock2D(0.1) versus SpatialDropout2D(0.1) after stages 2 and 3 of a
  small ResNet, where the paper puts DropBlock (goal: at most 1.5x), and, as
  a worst case, after both convolutions of a 2-conv CNN at full 32 x 32
  resolution, where drawing one Bernoulli per activation and channel costs
  about as much as the convolutions themselves;
- DropPath(0.1) versus Dropout(0.1) on the branches of a residual MLP
  (goal: at most 1.1x);
- DropConnectDense(rate=0.1) versus Dense followed by Dropout(0.1) in a
  3 x 512 MLP (no goal: DropConnect masks a 512 x 512 kernel per step);
- mc_predict with 32 samples versus 32 separate ``model.predict`` calls (each
  in one batch) of an MCDropout MLP (goal: at most 0.25x), and versus 32 direct
  ``model(x)`` calls, which skip predict's per-call set-up.

The two variants of a pair run in alternation, in a shuffled order, over many
short rounds (``train_on_batch`` steps, so fit's per-call set-up does not dilute
the ratio); the ratio is taken within each round and its median is printed, so
a busy machine's swings hit both variants alike.

    python benchmarks/dropout_overhead.py [--repeats 15] [--steps 3]
"""

import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402

import kreg  # noqa: E402


def resnet(drop) -> keras.Model:
    """A small ResNet; the drop layer follows stages 2 and 3, as in the paper."""
    inputs = keras.Input((32, 32, 3))
    x = keras.layers.Conv2D(32, 3, padding="same", activation="relu")(inputs)
    for filters in (32, 64, 128):
        if filters != 32:
            x = keras.layers.Conv2D(filters, 3, strides=2, padding="same")(x)
        y = keras.layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
        y = keras.layers.Conv2D(filters, 3, padding="same")(y)
        x = keras.layers.Activation("relu")(x + y)
        if filters != 32:
            x = drop()(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, keras.layers.Dense(10)(x))


def cnn(drop) -> keras.Model:
    """Two convolutions at full resolution, a drop layer after each: the worst case."""
    inputs = keras.Input((32, 32, 3))
    x = keras.layers.Conv2D(32, 3, padding="same", activation="relu")(inputs)
    x = drop()(x)
    x = keras.layers.Conv2D(64, 3, padding="same", activation="relu")(x)
    x = drop()(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, keras.layers.Dense(10)(x))


def residual_mlp(drop) -> keras.Model:
    inputs = keras.Input((64,))
    x = keras.layers.Dense(256, activation="relu")(inputs)
    for _ in range(4):
        branch = keras.layers.Dense(256, activation="relu")(x)
        x = x + drop()(branch)
    return keras.Model(inputs, keras.layers.Dense(10)(x))


def dense_mlp(kind) -> keras.Model:
    inputs = keras.Input((64,))
    x = inputs
    for _ in range(3):
        if kind == "dropconnect":
            x = kreg.layers.DropConnectDense(512, rate=0.1, activation="relu")(x)
        else:
            x = keras.layers.Dense(512, activation="relu")(x)
            x = keras.layers.Dropout(0.1)(x)
    return keras.Model(inputs, keras.layers.Dense(10)(x))


PAIRS = {
    "DropBlock2D vs SpatialDropout2D": (
        (32, 32, 3),
        32,
        lambda: resnet(lambda: kreg.layers.DropBlock2D(0.1, block_size=3)),
        lambda: resnet(lambda: keras.layers.SpatialDropout2D(0.1)),
        1.5,
    ),
    "  same, worst case (2-conv CNN)": (
        (32, 32, 3),
        64,
        lambda: cnn(lambda: kreg.layers.DropBlock2D(0.1, block_size=5)),
        lambda: cnn(lambda: keras.layers.SpatialDropout2D(0.1)),
        None,
    ),
    "DropPath vs Dropout": (
        (64,),
        256,
        lambda: residual_mlp(lambda: kreg.layers.DropPath(0.1)),
        lambda: residual_mlp(lambda: keras.layers.Dropout(0.1)),
        1.1,
    ),
    "DropConnectDense vs Dense+Dropout": (
        (64,),
        256,
        lambda: dense_mlp("dropconnect"),
        lambda: dense_mlp("dropout"),
        None,
    ),
}


def time_steps(model, x, y, steps) -> float:
    start = time.perf_counter()
    for _ in range(steps):
        model.train_on_batch(x, y)
    return (time.perf_counter() - start) / steps


def train_step_ratios(args, rng) -> list[tuple]:
    rows = []
    for name, (shape, batch, make_kreg, make_keras, goal) in PAIRS.items():
        x = rng.normal(size=(batch,) + shape).astype("float32")
        y = rng.integers(0, 10, size=batch)
        models = {}
        for side, make in (("kreg", make_kreg), ("keras", make_keras)):
            keras.utils.set_random_seed(0)
            model = make()
            model.compile(
                keras.optimizers.Adam(1e-3),
                keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            )
            time_steps(model, x, y, 2)  # trace and warm up
            models[side] = model
        # Rounds alternate the two variants in a random order; the ratio is
        # taken within each round, where both met the same machine load.
        times = {side: [] for side in models}
        ratios = []
        for _ in range(args.repeats):
            order = list(models)
            rng.shuffle(order)
            for side in order:
                times[side].append(time_steps(models[side], x, y, args.steps))
            ratios.append(times["kreg"][-1] / times["keras"][-1])
        rows.append(
            (
                name,
                1e3 * statistics.median(times["kreg"]),
                1e3 * statistics.median(times["keras"]),
                statistics.median(ratios),
                goal,
            )
        )
    return rows


def mc_predict_ratios(args, rng) -> list[tuple]:
    keras.utils.set_random_seed(0)
    inputs = keras.Input((16,))
    x = keras.layers.Dense(128, activation="relu")(inputs)
    x = kreg.layers.MCDropout(0.2)(x)
    x = keras.layers.Dense(128, activation="relu")(x)
    x = kreg.layers.MCDropout(0.2)(x)
    model = keras.Model(inputs, keras.layers.Dense(1)(x))
    data = rng.normal(size=(args.rows, 16)).astype("float32")
    samples = 32

    def loop():  # each predict call in one batch, the loop's best case
        return np.stack(
            [
                model.predict(data, batch_size=len(data), verbose=0)
                for _ in range(samples)
            ]
        )

    def vectorized():
        return kreg.uncertainty.mc_predict(model, data, samples=samples)

    def eager_loop():  # direct calls skip predict's per-call set-up
        return np.stack([np.asarray(model(data)) for _ in range(samples)])

    runs = {"loop": loop, "mc_predict": vectorized, "eager": eager_loop}
    for run in runs.values():  # trace and warm up
        run()
    times = {name: [] for name in runs}
    order = list(runs)
    for _ in range(args.mc_repeats):
        rng.shuffle(order)
        for name in order:
            start = time.perf_counter()
            runs[name]()
            times[name].append(time.perf_counter() - start)
    ours = times["mc_predict"]

    def row(name, other, goal):
        ratio = statistics.median(a / b for a, b in zip(ours, times[other]))
        median = statistics.median(times[other])
        return (name, 1e3 * statistics.median(ours), 1e3 * median, ratio, goal)

    return [
        row("mc_predict(32) vs 32 x predict", "loop", 0.25),
        row("mc_predict(32) vs 32 x model(x)", "eager", None),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15, help="rounds per pair")
    parser.add_argument("--steps", type=int, default=3, help="train steps per timing")
    parser.add_argument("--mc-repeats", type=int, default=3, help="mc_predict rounds")
    parser.add_argument("--rows", type=int, default=1000, help="rows for mc_predict")
    args = parser.parse_args()
    rng = np.random.default_rng(0)

    rows = train_step_ratios(args, rng)
    rows.extend(mc_predict_ratios(args, rng))
    print(
        f"medians of {args.repeats} rounds of {args.steps} train steps per variant "
        f"(ratio: median of per-round ratios); mc_predict: {args.mc_repeats} rounds "
        f"on {args.rows} rows; backend {keras.backend.backend()}"
    )
    print(f"{'pair':<36}{'kreg ms':>10}{'keras ms':>10}{'ratio':>8}{'goal':>7}")
    for name, ours, theirs, ratio, goal in rows:
        goal_text = "-" if goal is None else f"{goal:.2f}"
        print(f"{name:<36}{ours:>10.2f}{theirs:>10.2f}{ratio:>8.3f}{goal_text:>7}")
    print("(train pairs: ms per train step; mc_predict: ms per call of all 32 samples)")


if __name__ == "__main__":
    main()

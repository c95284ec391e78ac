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

Variants are interleaved in a shuffled order over repeats and the median is
kept, so a busy machine slows them all alike.

    python benchmarks/dropout_overhead.py [--repeats 5] [--steps 10]
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


def time_fit(model, x, y, batch_size, steps) -> float:
    start = time.perf_counter()
    model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0, shuffle=False)
    return (time.perf_counter() - start) / steps


def train_step_ratios(args, rng) -> list[tuple]:
    runs = {}
    for name, (shape, batch, make_kreg, make_keras, _goal) in PAIRS.items():
        n = args.steps * batch
        x = rng.normal(size=(n,) + shape).astype("float32")
        y = rng.integers(0, 10, size=n)
        for side, make in (("kreg", make_kreg), ("keras", make_keras)):
            keras.utils.set_random_seed(0)
            model = make()
            model.compile(
                keras.optimizers.Adam(1e-3),
                keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            )
            model.fit(x, y, batch_size=batch, epochs=1, verbose=0)  # trace, warm up
            runs[(name, side)] = (model, x, y, batch)
    times = {key: [] for key in runs}
    order = list(runs)
    for _ in range(args.repeats):
        rng.shuffle(order)
        for key in order:
            model, x, y, batch = runs[key]
            times[key].append(time_fit(model, x, y, batch, args.steps))
    rows = []
    for name, (*_, goal) in PAIRS.items():
        ours = statistics.median(times[(name, "kreg")])
        theirs = statistics.median(times[(name, "keras")])
        rows.append((name, 1e3 * ours, 1e3 * theirs, ours / theirs, goal))
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
    for _ in range(args.repeats):
        rng.shuffle(order)
        for name in order:
            start = time.perf_counter()
            runs[name]()
            times[name].append(time.perf_counter() - start)
    ours = statistics.median(times["mc_predict"])
    loop_time = statistics.median(times["loop"])
    eager_time = statistics.median(times["eager"])
    return [
        (
            "mc_predict(32) vs 32 x predict",
            1e3 * ours,
            1e3 * loop_time,
            ours / loop_time,
            0.25,
        ),
        (
            "mc_predict(32) vs 32 x model(x)",
            1e3 * ours,
            1e3 * eager_time,
            ours / eager_time,
            None,
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--steps", type=int, default=10, help="train steps per timing")
    parser.add_argument("--rows", type=int, default=1000, help="rows for mc_predict")
    args = parser.parse_args()
    rng = np.random.default_rng(0)

    rows = train_step_ratios(args, rng)
    rows.extend(mc_predict_ratios(args, rng))
    print(
        f"median of {args.repeats} interleaved repeats, {args.steps} train steps "
        f"each; mc_predict on {args.rows} rows; backend {keras.backend.backend()}"
    )
    print(f"{'pair':<36}{'kreg ms':>10}{'keras ms':>10}{'ratio':>8}{'goal':>7}")
    for name, ours, theirs, ratio, goal in rows:
        goal_text = "-" if goal is None else f"{goal:.2f}"
        print(f"{name:<36}{ours:>10.2f}{theirs:>10.2f}{ratio:>8.3f}{goal_text:>7}")
    print("(train pairs: ms per train step; mc_predict: ms per call of all 32 samples)")


if __name__ == "__main__":
    main()

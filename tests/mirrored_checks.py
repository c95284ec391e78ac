"""Trains kreg's pieces on one device and under a two-replica MirroredStrategy.

Run by ``tests/test_mirrored.py`` in a fresh process: the two logical CPU
devices must be configured before TensorFlow initializes its devices. Prints
one JSON object: per check, the largest absolute difference between the two
runs' weights (and logs), plus facts the test asserts on.
"""

import json
import sys

import tensorflow as tf

CPU = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(
    CPU, [tf.config.LogicalDeviceConfiguration()] * 2
)

import keras  # noqa: E402
import numpy as np  # noqa: E402

import kreg  # noqa: E402

ROWS, FEATURES = 64, 6
RNG = np.random.default_rng(0)
X = RNG.normal(size=(ROWS, FEATURES)).astype("float32")
LOGIT = 2.0 * X[:, 0] - 1.5 * X[:, 1] + X[:, 2]
Y = (LOGIT + RNG.logistic(size=ROWS) > 0).astype("float32")[:, None]


def penalties():
    """One Dense branch per penalty kreg has, so one fit exercises them all."""
    r = kreg.regularizers
    return [
        r.L1(0.05),
        r.L2(0.05),
        r.ElasticNet(
            0.05, l1_ratio=0.5, penalty_factor=[[0.0]] + [[1.0]] * (FEATURES - 1)
        ),
        r.GroupLasso(0.05, groups="inputs"),
        r.SparseGroupLasso(0.05, groups="units"),
        r.L1(0.02) + r.L2(0.02),
    ]


def build(layers=()):
    inputs = keras.Input((FEATURES,))
    h = inputs
    for layer in layers:
        h = layer(h)
    branches = [
        keras.layers.Dense(2, kernel_regularizer=reg, name=f"b{i}")(h)
        for i, reg in enumerate(penalties())
    ]
    merged = keras.layers.Concatenate()(branches)
    out = keras.layers.Dense(1, activation="sigmoid", name="head")(merged)
    return keras.Model(inputs, out)


def fit(strategy, make_optimizer, *, callbacks=(), layers=(), epochs=2):
    with strategy.scope():
        keras.utils.set_random_seed(0)
        model = build(layers() if callable(layers) else layers)
        model.compile(
            make_optimizer(),
            "binary_crossentropy",
            metrics=[kreg.metrics.DataLoss("binary_crossentropy")],
            # Two steps: tracing the train function would cost more than
            # running them eagerly (the replicas still all-reduce).
            run_eagerly=True,
        )
    history = model.fit(
        X,
        Y,
        batch_size=ROWS,  # full batch: the same gradient however it is split
        epochs=epochs,
        shuffle=False,
        verbose=0,
        callbacks=callbacks() if callbacks else [],
    )
    weights = [np.asarray(v) for v in model.weights]
    return model, weights, history.history


def difference(a, b):
    (_, wa, ha), (_, wb, hb) = a, b
    gap = max(float(np.max(np.abs(x - y))) for x, y in zip(wa, wb))
    for key in ha:
        gap = max(gap, float(np.max(np.abs(np.subtract(ha[key], hb.get(key))))))
    return gap


def main() -> None:
    one = tf.distribute.get_strategy()
    two = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    assert two.num_replicas_in_sync == 2
    opt = keras.optimizers
    prox = kreg.optimizers.Proximal
    # The three ways Proximal takes its step: SGD's (with momentum), an
    # adaptive optimizer's slots, and the plain learning rate.
    optimizers = {
        "proximal_sgd_momentum": lambda: prox(opt.SGD(0.1, momentum=0.9)),
        "proximal_adam": lambda: prox(opt.Adam(0.05)),
        "proximal_learning_rate_step": lambda: prox(opt.Nadam(0.05), "learning_rate"),
    }
    results = {}
    for name, make in optimizers.items():
        results[name] = difference(fit(one, make), fit(two, make))

    # Every callback in one fit: each changes or reads what the others do.
    sched = kreg.callbacks

    def callbacks():
        return [
            sched.RegularizationSchedule("linear", start=0.5, end=2.0, epochs=2),
            sched.PenaltyMonitor(training_data=(X, Y)),
            sched.EarlyStopping("data_loss", patience=1),
            sched.SWA(start_epoch=1),
        ]

    results["callbacks"] = difference(
        fit(one, lambda: prox(opt.SGD(0.5)), callbacks=callbacks),
        fit(two, lambda: prox(opt.SGD(0.5)), callbacks=callbacks),
    )

    # Random layers draw other masks on each replica's half of the batch, so
    # a training fit cannot match one device's; what must match is that they
    # train, and that inference (training=False, their identity) agrees.
    def noisy_layers():
        layers = kreg.layers
        return [
            layers.FeatureNoise(0.1, seed=1),
            layers.SwapNoise(0.1, seed=2),
            layers.MCDropout(0.0),
        ]

    a = fit(one, lambda: opt.SGD(0.0), layers=noisy_layers, epochs=1)
    b = fit(two, lambda: opt.SGD(0.0), layers=noisy_layers, epochs=1)
    results["layers_inference"] = float(
        np.max(np.abs(a[0].predict(X, verbose=0) - b[0].predict(X, verbose=0)))
    )

    # The case: a logistic lasso on 20 inputs of which 3 matter.
    rng = np.random.default_rng(1)
    x = rng.normal(size=(512, 20)).astype("float32")
    y = x[:, 0] * 2 - x[:, 1] * 1.5 + x[:, 2] + rng.logistic(size=512) > 0
    kernels = []
    for strategy in (one, two):
        with strategy.scope():
            keras.utils.set_random_seed(0)
            model = keras.Sequential(
                [
                    keras.Input((20,)),
                    keras.layers.Dense(
                        1,
                        activation="sigmoid",
                        kernel_regularizer=kreg.regularizers.L1(0.05),
                    ),
                ]
            )
            model.compile(prox(opt.SGD(0.5)), "binary_crossentropy")
        # 100 full-batch steps in one epoch: no per-epoch overhead.
        tiled_x, tiled_y = np.tile(x, (100, 1)), np.tile(y[:, None], (100, 1))
        model.fit(tiled_x, tiled_y.astype("float32"), batch_size=512, verbose=0)
        kernels.append(model.layers[0].kernel.numpy())
    results["lasso_supports"] = [np.flatnonzero(k).tolist() for k in kernels]
    results["lasso"] = float(np.max(np.abs(kernels[0] - kernels[1])))
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()

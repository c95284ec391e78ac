"""Many models in one fit: 100 members (5 folds x 20 strengths) against one.

For kreg's default tabular net (30 -> 32 -> 1 with a linear skip, L1 on the
input kernels, ``Proximal(Adam)``) and for its GLM (``units=0``), on a
300-row table with 30 features, side by side in one process:

- one member: ``kreg.tuning.tabular_model`` fitted alone on one fold's
  training rows (build, compile, trace and fit: what one separate fit costs);
- 100 members: ``kreg.members.stacked_tabular_model`` with 100 members (the
  5 folds of ``fold_roles`` repeated for 20 strengths on a log grid), fitted
  once on the 300 rows with the roles as ``sample_weight``;
- 100 separate fits: estimated from ``--sample`` separate fits (of
  different folds and strengths) times 100 / sample.

All fits run the same number of epochs with batches of 32 rows, after a
warm-up fit of each kind (TensorFlow's one-time start would otherwise fall on
the first fit measured). Goal: 100
members in at most 3x the wall time of one member. The ratios are printed;
on a busy machine rerun and compare. Memory per member is estimated from the
weights, gradients, Adam's two moments and the activations of a batch,
counted in float32; it grows linearly with the members. ``--memory``
measures it: the peak resident memory of fresh processes fitting 1, 1,000 and
4,000 members.

With ``--paths``, the 5-fold, 20-strength cross-validated path of the same
table two ways: ``regularization_path(cv=5, engine="sequential")`` (five warm
paths and the final fit, one model at a time) and ``member_path(cv=5)`` (all
folds and strengths as members of two fits), with the chosen strength and its
CV data loss.

With ``--tabular``, each default family of ``kreg.tuning.tabular_path``
(what ``kreg tune`` fits: 3 folds, 8 strengths, up to 50 epochs, patience 6)
two ways, on the same table: ``engine="sequential"`` (the k fold paths and the
all-rows path one after another) and ``engine="members"`` (at each strength the
k folds and the all-rows fit as k + 1 members of one stacked model), with each
family's lowest CV data loss.

With ``--user-path``, ``regularization_path(build, x, y, cv=5, n_strengths=10)``
of a user's own Keras models (a ``keras.Sequential`` 30 -> 32 -> 1 net with L1 on
its first kernel, and the linear model 30 -> 1) two ways, side by side:
``engine="sequential"`` (the 5 fold paths and the all-rows path one after
another) and ``engine="members"`` (the 6 fits as replicas of the model in one
``fit``), with the CV curve's minimum and the strengths both rules choose.

    python benchmarks/members.py [--epochs 30] [--sample 3] [--paths] [--tabular]
        [--user-path] [--only-user-path]
"""

import argparse
import os
import resource
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402

import kreg  # noqa: E402
from kreg.tuning.tabular_path import label as family_label  # noqa: E402

ROWS, FEATURES, UNITS, BATCH = 300, 30, 32, 32
FOLDS, STRENGTHS = 5, 20


def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(ROWS, FEATURES)).astype("float32")
    w = np.zeros((FEATURES, 1), "float32")
    w[:5, 0] = [2.0, -1.5, 1.0, 0.5, -0.5]
    y = x @ w + np.tanh(x[:, 5:6] * x[:, 6:7]) + 0.5 * rng.normal(size=(ROWS, 1))
    return x, ((y - y.mean()) / y.std()).astype("float32")


def one_fit(x, y, train, strength, units, epochs):
    start = time.perf_counter()
    model = kreg.tuning.tabular_model(
        kreg.regularizers.L1(strength), n_features=FEATURES, units=units
    )
    model.fit(x[train], y[train], batch_size=BATCH, epochs=epochs, verbose=0)
    return time.perf_counter() - start


def stack_fit(x, y, roles, strengths, units, epochs):
    start = time.perf_counter()
    model = kreg.members.stacked_tabular_model(
        kreg.regularizers.L1(list(strengths)),
        members=len(strengths),
        n_features=FEATURES,
        units=units,
    )
    model.fit(x, y, sample_weight=roles, batch_size=BATCH, epochs=epochs, verbose=0)
    return time.perf_counter() - start, model


def memory_per_member(units, members=100):
    params = (FEATURES + 1) * 1  # linear
    if units:
        params += (FEATURES + 1) * units + (units + 1) * 1
    # weights, gradients, Adam's m and v, and the step's old copy (frozen
    # members) and prox temporaries: about 6 copies of the parameters.
    weights = 6 * params * 4
    # Forward and backward activations of one batch: hidden pre/post
    # activation, dropout mask, outputs, per-row losses, about 4 per unit.
    activations = 4 * BATCH * (units + 2) * 4
    return params, weights + activations


def run(units, epochs, sample, x, y):
    roles = kreg.members.fold_roles(ROWS, FOLDS, seed=0)
    grid = np.geomspace(0.1, 1e-4, STRENGTHS)
    strengths = np.repeat(grid, FOLDS)  # member i*5+j: strength i, fold j
    all_roles = kreg.members.repeat_roles(roles, STRENGTHS)
    train0 = roles[:, 0] == kreg.members.TRAIN
    one = one_fit(x, y, train0, float(grid[10]), units, epochs)
    hundred, model = stack_fit(x, y, all_roles, strengths, units, epochs)
    picks = np.random.default_rng(1).choice(FOLDS * STRENGTHS, sample, replace=False)
    separate = [
        one_fit(
            x,
            y,
            all_roles[:, m] == kreg.members.TRAIN,
            float(strengths[m]),
            units,
            epochs,
        )
        for m in picks
    ]
    estimate = float(np.mean(separate)) * FOLDS * STRENGTHS
    params, per_member = memory_per_member(units)
    name = "net (30 -> 32 -> 1 + linear)" if units else "GLM (units=0)"
    print(f"\n{name}, {ROWS} rows, {epochs} epochs, batches of {BATCH}")
    print(f"  one member's fit:           {one:7.2f} s")
    print(f"  100 members in one fit:     {hundred:7.2f} s  ({hundred / one:.2f}x one)")
    print(
        f"  100 separate fits (est.):   {estimate:7.2f} s  "
        f"(from {sample}; {estimate / hundred:.1f}x the stack)"
    )
    print(
        f"  memory per member (est.):   {per_member / 1024:.1f} KiB "
        f"({params} parameters): {2**30 // per_member:,} members in 1 GiB"
    )
    val = np.asarray(
        model.evaluate(x, y, sample_weight=all_roles, verbose=0, return_dict=True)[
            "member_val_data_loss"
        ]
    )
    cv = val.reshape(STRENGTHS, FOLDS).mean(axis=1)
    print(
        f"  CV data loss over the grid: min {cv.min():.3f} at {grid[cv.argmin()]:.2g}"
    )
    return hundred / one


def paths(x, y, units):
    """regularization_path(cv=5) against member_path(cv=5), same grid size."""

    def build(regularizer):
        return kreg.tuning.tabular_model(regularizer, n_features=FEATURES, units=units)

    name = "net" if units else "GLM"
    print(f"\n{name}: cross-validated path, {FOLDS} folds x {STRENGTHS} strengths")
    results = {}
    for label, call in (
        (
            "regularization_path",
            lambda: kreg.tuning.regularization_path(
                build,
                x,
                y,
                cv=FOLDS,
                n_strengths=STRENGTHS,
                min_ratio=1e-3,
                engine="sequential",
            ),
        ),
        (
            "member_path",
            lambda: kreg.tuning.member_path(
                x, y, cv=FOLDS, n_strengths=STRENGTHS, min_ratio=1e-3, units=units
            ),
        ),
    ):
        start = time.perf_counter()
        path = call()
        seconds = time.perf_counter() - start
        results[label] = seconds
        best = path.best()
        print(
            f"  {label:20s} {seconds:7.1f} s   λ_min {path.strengths[best]:.3g}, "
            f"CV data loss {path.val_data_loss[best]:.4f} "
            f"± {path.val_standard_error[best]:.4f}"
        )
    ratio = results["regularization_path"] / results["member_path"]
    print(f"  member_path is {ratio:.1f}x faster")


def tabular(x, y):
    """tabular_path's two engines on the same folds, family by family."""
    print("\ntabular_path: the default families, 3 folds x 8 strengths")
    found, totals = {}, {}
    for engine in ("sequential", "members"):
        start = time.perf_counter()
        found[engine] = kreg.tuning.tabular_path(
            x, y, cv=3, n_strengths=8, epochs=50, patience=6, engine=engine
        )
        totals[engine] = time.perf_counter() - start
    candidates = found["members"].candidates
    for number, candidate in enumerate(candidates):
        line = f"  {family_label(candidate):36s}"
        for engine, result in found.items():
            path = result.paths[number]
            best = path.best()
            line += (
                f"  {engine} {np.sum(path.seconds):6.1f} s, CV "
                f"{path.val_data_loss[best]:.4f} ± {path.val_standard_error[best]:.4f}"
            )
        print(line, flush=True)
    ratio = totals["sequential"] / totals["members"]
    print(
        f"  all families: sequential {totals['sequential']:.1f} s, members "
        f"{totals['members']:.1f} s ({ratio:.1f}x faster); chosen: "
        + ", ".join(f"{e} {r.label}" for e, r in found.items())
    )


def user_path(x, y):
    """regularization_path(cv=5) of a user's Keras models, both engines."""

    def net(regularizer):
        return keras.Sequential(
            [
                keras.Input((FEATURES,)),
                keras.layers.Dense(UNITS, "relu", kernel_regularizer=regularizer),
                keras.layers.Dense(1),
            ]
        )

    def linear(regularizer):
        return keras.Sequential(
            [
                keras.Input((FEATURES,)),
                keras.layers.Dense(1, kernel_regularizer=regularizer),
            ]
        )

    for name, build in (
        ("user net 30 -> 32 -> 1", net),
        ("user linear 30 -> 1", linear),
    ):
        print(f"\n{name}: regularization_path(cv={FOLDS}, n_strengths=10)")
        seconds = {}
        for engine in ("sequential", "members"):
            start = time.perf_counter()
            path = kreg.tuning.regularization_path(
                build, x, y, loss="mse", cv=FOLDS, n_strengths=10, engine=engine
            )
            seconds[engine] = time.perf_counter() - start
            best, one_se = path.best("min"), path.best("1se")
            print(
                f"  {engine:10s} {seconds[engine]:7.1f} s   {np.sum(path.epochs)} "
                f"epochs (all-rows fit); λ_min {path.strengths[best]:.3g}, CV "
                f"{path.val_data_loss[best]:.4f} ± {path.val_standard_error[best]:.4f}"
                f"; λ_1se {path.strengths[one_se]:.3g}",
                flush=True,
            )
        ratio = seconds["sequential"] / seconds["members"]
        print(f"  members engine: {ratio:.1f}x faster")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--sample", type=int, default=3)
    parser.add_argument("--paths", action="store_true")
    parser.add_argument("--tabular", action="store_true")
    parser.add_argument("--user-path", action="store_true")
    parser.add_argument(
        "--only-user-path", action="store_true", help="--user-path, nothing else"
    )
    parser.add_argument(
        "--memory",
        action="store_true",
        help="measure peak memory per member (one process per member count)",
    )
    parser.add_argument("--peak-of", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.peak_of:
        print(_peak(args.peak_of))
        return
    if args.memory:
        memory()
        return
    keras.utils.set_random_seed(0)
    x, y = data()
    print(f"device: {keras.backend.backend()} on {_device()}")
    if args.only_user_path:
        one_fit(x, y, np.arange(ROWS) % FOLDS != 0, 0.01, UNITS, 1)  # warm-up
        user_path(x, y)
        return
    # Warm-up: the first fit of a process pays TensorFlow's one-time start,
    # which would otherwise fall on whichever fit is measured first.
    roles = kreg.members.fold_roles(ROWS, FOLDS, seed=0)
    one_fit(x, y, roles[:, 0] == kreg.members.TRAIN, 0.01, UNITS, 1)
    stack_fit(x, y, roles, [0.01] * FOLDS, UNITS, 1)
    ratios = [run(units, args.epochs, args.sample, x, y) for units in (UNITS, 0)]
    goal = "met" if max(ratios) <= 3 else "NOT met"
    print(f"\ngoal (100 members <= 3x one member's fit): {goal}")
    if args.paths:
        for units in (0, UNITS):
            paths(x, y, units)
    if args.tabular:
        tabular(x, y)
    if args.user_path:
        user_path(x, y)


def _peak(members: int) -> int:
    """Peak resident memory (KiB) of this process after 2 epochs of the
    default net stacked ``members`` times on the 300-row table."""
    x, y = data()
    model = kreg.members.stacked_tabular_model(
        kreg.regularizers.L1(1e-3), members=members, n_features=x.shape[1]
    )
    roles = np.full((len(x), members), kreg.members.TRAIN, "int8")
    model.fit(x, y, sample_weight=roles, epochs=2, batch_size=32, verbose=0)
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def memory(counts=(1, 1000, 4000)):
    """Measured memory per member: each count in a fresh process (peak
    resident memory only grows), the slope between the largest two."""
    peaks = []
    for members in counts:
        out = subprocess.run(
            [sys.executable, __file__, "--peak-of", str(members)],
            capture_output=True,
            text=True,
            check=True,
        )
        peaks.append(int(out.stdout.strip().splitlines()[-1]))
        print(f"{members:>6} members: peak {peaks[-1] / 1024:.0f} MiB")
    per_member = (peaks[-1] - peaks[-2]) / (counts[-1] - counts[-2])
    print(
        f"about {per_member:.0f} KiB per member of the default net "
        f"({2**20 / per_member:,.0f} members in 1 GiB)"
    )


def _device():
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    return f"{len(gpus)} GPU(s)" if gpus else "CPU only"


if __name__ == "__main__":
    main()

"""Does ``kreg tune``'s default win on tables? All methods side by side, in one run.

Per table and split seed (25 % test rows, the same split for every method;
inputs standardized on the training rows, a regression target too):

- kreg: ``kreg.tuning.tabular_path`` with its defaults (what ``kreg tune``
  runs and saves): the families at their min strengths blended with weights
  from their out-of-fold predictions, a net as the mean of its fold models
  and its all-rows fit, a GLM as its all-rows fit; ``kreg single`` the same
  blend of all-rows fits; ``--choices`` scores other ways (the 1se rule
  across families, ...) from the same fits;
- scikit-learn ``LogisticRegressionCV`` / ``ElasticNetCV`` (l1_ratio 0.1, 0.5,
  0.9, 1);
- ``HistGradientBoosting*`` with its defaults;
- an RBF ``SVC`` / ``SVR``, 5-fold grid over C and gamma;
- plain KerasTuner random search on ``val_loss`` over L2 and dropout of a
  2 x 128 MLP;
- an unregularized 2 x 128 MLP (early stopping on a 20 % validation split).

Prints per table the mean test score over seeds (accuracy; R² for
regression), kreg's difference to the best peer with a 95 % paired bootstrap
interval over the pooled test rows (each resample draws rows within each
seed), and wall times. A table is a kreg loss when the interval's upper end
is below 0, a win when its lower end is above 0.

    python benchmarks/tuning.py             # quick: 4 tables, 1 seed
    python benchmarks/tuning.py --full      # 13 tables, 5 seeds
    python benchmarks/tuning.py --tables digits,friedman1 --seeds 0,1
"""

import argparse
import json
import os
import tempfile
import time
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import keras_tuner  # noqa: E402
import numpy as np  # noqa: E402
from sklearn import (  # noqa: E402
    datasets,
    ensemble,
    linear_model,
    model_selection,
    svm,
)
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

import kreg  # noqa: E402
from kreg.tuning.blend import ensemble_selection  # noqa: E402
from kreg.tuning.cross_validation import fixed_splits  # noqa: E402
from kreg.tuning.tabular_path import _out_of_fold, complexity, label  # noqa: E402

QUICK = ("breast_cancer", "friedman1", "classification_useless", "digits")
FULL = (
    "breast_cancer",
    "wine",
    "iris",
    "digits",
    "diabetes",
    "friedman1",
    "friedman2",
    "friedman3",
    "classification_useless",
    "moons",
    "circles",
    "sparse_regression",
    "multiclass",
)
PEERS = ("linear", "hgb", "svm", "kerastuner", "mlp")
NAMES = {
    "kreg": "kreg tune default",
    "kreg_single": "kreg, the all-rows model alone",
    "kreg_ensemble": "kreg (fold ensemble)",
    "linear": "LogisticRegressionCV / ElasticNetCV",
    "hgb": "HistGradientBoosting",
    "svm": "RBF SVM, 5-fold grid",
    "kerastuner": "KerasTuner random (L2+dropout)",
    "mlp": "MLP 2x128, no regularization",
}

SHORT = {
    "kreg": "kreg",
    "kreg_single": "kreg single",
    "kreg_ensemble": "kreg ens.",
    "linear": "linear CV",
    "hgb": "HGB",
    "svm": "SVM",
    "kerastuner": "KerasTuner",
    "mlp": "MLP",
}


def _noise(x, columns, rng):
    return np.hstack([x, rng.normal(size=(len(x), columns))])


def load(name, seed):
    """``(x, y, task)``: task "regression", "binary" or "multiclass"."""
    rng = np.random.default_rng(1000 + seed)
    if name in ("breast_cancer", "wine", "iris", "digits"):
        loader = getattr(datasets, f"load_{name}")
        x, y = loader(return_X_y=True)
        return x, y, "binary" if name == "breast_cancer" else "multiclass"
    if name == "diabetes":
        x, y = datasets.load_diabetes(return_X_y=True)
        return x, y, "regression"
    if name == "friedman1":  # 5 of 40 inputs matter
        x, y = datasets.make_friedman1(600, 10, noise=1.0, random_state=seed)
        return _noise(x, 30, rng), y, "regression"
    if name in ("friedman2", "friedman3"):  # 4 of 24 inputs matter
        make = getattr(datasets, f"make_{name}")
        x, y = make(600, noise=0.1 if name == "friedman3" else 50.0, random_state=seed)
        return _noise(x, 20, rng), y, "regression"
    if name == "classification_useless":  # 5 informative of 40
        x, y = datasets.make_classification(
            800, 40, n_informative=5, n_redundant=0, random_state=seed
        )
        return x, y, "binary"
    if name in ("moons", "circles"):  # 2 of 22 inputs matter
        make = getattr(datasets, f"make_{name}")
        extra = {"factor": 0.5} if name == "circles" else {}
        x, y = make(
            600, noise=0.25 if name == "moons" else 0.1, random_state=seed, **extra
        )
        return _noise(x, 20, rng), y, "binary"
    if name == "sparse_regression":  # p > n, 10 of 300 matter
        x, y = datasets.make_regression(
            200, 300, n_informative=10, noise=5.0, random_state=seed
        )
        return x, y, "regression"
    if name == "multiclass":
        x, y = datasets.make_classification(
            900, 20, n_informative=8, n_classes=4, random_state=seed
        )
        return x, y, "multiclass"
    raise ValueError(name)


def split(name, seed):
    x, y, task = load(name, seed)
    stratify = None if task == "regression" else y
    x_tr, x_te, y_tr, y_te = model_selection.train_test_split(
        x, y, test_size=0.25, random_state=seed, stratify=stratify
    )
    scaler = StandardScaler().fit(x_tr)
    x_tr, x_te = (scaler.transform(a).astype("float32") for a in (x_tr, x_te))
    if task == "regression":
        mu, sd = y_tr.mean(), y_tr.std()
        y_tr, y_te = ((a - mu) / sd for a in (y_tr, y_te))
        y_tr, y_te = y_tr.astype("float32"), y_te.astype("float32")
    else:
        y_tr, y_te = y_tr.astype("int64"), y_te.astype("int64")
    return x_tr, x_te, y_tr, y_te, task


def losses(task, y, prediction):
    """Per-row loss whose mean is 1 - score: 0/1 error, or squared error over
    the test variance (so the mean is 1 - R²)."""
    prediction = np.asarray(prediction)
    if task == "regression":
        return (y - prediction.reshape(-1)) ** 2 / np.var(y)
    if prediction.ndim == 2 and prediction.shape[1] > 1:
        labels = prediction.argmax(axis=1)
    else:
        labels = (prediction.reshape(-1) > 0.5).astype(int)
    return (labels != y).astype(float)


def mlp(n, outputs, task, l2=0.0, dropout=0.0):
    regularizer = keras.regularizers.L2(l2) if l2 else None
    layers = [keras.Input((n,))]
    for _ in range(2):
        layers += [
            keras.layers.Dense(128, "relu", kernel_regularizer=regularizer),
            keras.layers.Dropout(dropout),
        ]
    activation = {"regression": None, "binary": "sigmoid", "multiclass": "softmax"}
    layers.append(keras.layers.Dense(outputs, activation[task]))
    model = keras.Sequential(layers)
    loss = {
        "regression": "mse",
        "binary": "binary_crossentropy",
        "multiclass": "sparse_categorical_crossentropy",
    }[task]
    model.compile(keras.optimizers.Adam(1e-3), loss)
    return model


def keras_fit():
    return dict(
        validation_split=0.2,
        epochs=200,
        batch_size=32,
        verbose=0,
        callbacks=[
            keras.callbacks.EarlyStopping(
                monitor="val_loss", patience=10, restore_best_weights=True
            )
        ],
    )


def run(name, seed, args, workdir):
    x_tr, x_te, y_tr, y_te, task = split(name, seed)
    n = x_tr.shape[1]
    outputs = int(y_tr.max()) + 1 if task == "multiclass" else 1
    out = {}

    def keep(method, started, prediction):
        out[method] = {
            "loss": losses(task, y_te, prediction).tolist(),
            "seconds": time.perf_counter() - started,
        }

    if "kreg" in args.methods:
        t = time.perf_counter()
        folder = tempfile.mkdtemp(dir=workdir)
        # The folds as kreg tune draws them: stratified on the class labels.
        folds = fixed_splits(
            y_tr, args.cv, stratify=task != "regression", seed=seed, owner="benchmark"
        )
        found = kreg.tuning.tabular_path(
            x_tr,
            y_tr,
            cv=folds,
            n_strengths=args.strengths,
            epochs=50,
            patience=6,
            seed=seed,
            checkpoint=folder,
        )
        fitted = time.perf_counter() - t
        # What kreg tune saves: the families blended (a net: its fold
        # ensemble; a GLM: its all-rows fit).
        keep("kreg", t, found.best_model("min")(x_te))
        out["kreg"]["family"] = found.description("min")
        out["kreg"]["weights"] = list(found.weights.get("min", ()))
        out["kreg"]["ensemble"] = found.ensembled
        out["kreg"]["inputs"] = int(found.path.active_inputs[found.best("min")])
        for method, averaged in (("kreg_single", False), ("kreg_ensemble", True)):
            t2 = time.perf_counter()
            keep(method, t2, found.best_model("min", ensemble=averaged)(x_te))
            out[method]["seconds"] += fitted
        out["kreg_detail"] = _families(found, x_te, task, y_te)
        _predictions(out["kreg_detail"], found, folds, x_tr, x_te)
        out["y_train"] = y_tr.tolist()
        out["y_test"] = y_te.tolist()
        out["fold_of_row"] = folds.test_fold.tolist()
    if "linear" in args.methods:
        t = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            warnings.simplefilter("ignore", FutureWarning)
            if task == "regression":
                sk = linear_model.ElasticNetCV(
                    l1_ratio=[0.1, 0.5, 0.9, 1.0], cv=5, random_state=seed
                ).fit(x_tr, y_tr)
                keep("linear", t, sk.predict(x_te))
            else:
                sk = linear_model.LogisticRegressionCV(cv=5, max_iter=2000).fit(
                    x_tr, y_tr
                )
                keep(
                    "linear",
                    t,
                    sk.predict_proba(x_te)[:, 1:]
                    if task == "binary"
                    else sk.predict_proba(x_te),
                )
    if "hgb" in args.methods:
        t = time.perf_counter()
        if task == "regression":
            model = ensemble.HistGradientBoostingRegressor(random_state=seed)
            keep("hgb", t, model.fit(x_tr, y_tr).predict(x_te))
        else:
            model = ensemble.HistGradientBoostingClassifier(random_state=seed)
            p = model.fit(x_tr, y_tr).predict_proba(x_te)
            keep("hgb", t, p[:, 1:] if task == "binary" else p)
    if "svm" in args.methods:
        t = time.perf_counter()
        grid = {"C": [0.1, 1, 10, 100], "gamma": ["scale", 0.001, 0.01, 0.1]}
        base = svm.SVR() if task == "regression" else svm.SVC()
        search = model_selection.GridSearchCV(base, grid, cv=5).fit(x_tr, y_tr)
        p = search.predict(x_te)
        if task == "multiclass":
            p = np.eye(outputs)[p]
        keep("svm", t, p)
    if "kerastuner" in args.methods:
        t = time.perf_counter()
        keras.utils.set_random_seed(seed)

        def build(hp):
            return mlp(
                n,
                outputs,
                task,
                hp.Float("l2", 1e-6, 1e-1, sampling="log"),
                hp.Float("dropout", 0.0, 0.5, step=0.1),
            )

        tuner = keras_tuner.RandomSearch(
            build,
            objective="val_loss",
            max_trials=args.trials,
            seed=seed + 1,
            directory=workdir,
            project_name=f"kt_{name}_{seed}",
            overwrite=True,
        )
        tuner.search(x_tr, y_tr, **keras_fit())
        keep("kerastuner", t, tuner.get_best_models(1)[0].predict(x_te, verbose=0))
    if "mlp" in args.methods:
        t = time.perf_counter()
        keras.utils.set_random_seed(seed)
        model = mlp(n, outputs, task)
        model.fit(x_tr, y_tr, **keras_fit())
        keep("mlp", t, model.predict(x_te, verbose=0))
    return out


def _families(found, x_te, task, y_te):
    """Per family: its CV curve and the test losses of its single and
    ensembled fits at its min and 1se strengths, so that other choices
    (across families, of the strength, ensemble or not) can be scored
    afterwards without training again."""
    families = []
    for candidate, path in zip(found.candidates, found.paths):
        family = {
            "label": label(candidate),
            "width": complexity(candidate),
            "cv": [float(v) for v in path.val_data_loss],
            "se": [float(v) for v in path.val_standard_error],
            "inputs": [int(v) for v in path.active_inputs],
        }
        model = path.model
        for rule in ("min", "1se"):
            index = path.best(rule)
            family[rule] = int(index)
            predictions = []
            for weights in [*(fold[index] for fold in path.fold_weights)]:
                model.set_weights(weights)
                predictions.append(np.asarray(model(x_te)))
            model.set_weights(path.weights[index])
            single = np.asarray(model(x_te))
            family[f"single_{rule}"] = losses(task, y_te, single).tolist()
            family[f"ensemble_{rule}"] = losses(
                task, y_te, np.mean([*predictions, single], axis=0)
            ).tolist()
        families.append(family)
    return families


def _predictions(families, found, folds, x_tr, x_te):
    """Adds each family's predictions at its min strength: out of fold (each
    training row by the fold model that did not train on it) and on the test
    rows (its all-rows fit, and the mean of that and the fold models), so
    that ways of combining families can be scored without training again."""
    for family, path in zip(families, found.paths):
        model = path.model
        kept = model.get_weights()
        per_strength = [
            _at_strength(path, index, folds, x_tr, x_te)
            for index in range(len(path.strengths))
        ]
        model.set_weights(kept)
        oof, single, ensemble = per_strength[path.best("min")]
        family["oof_min"] = np.round(oof, 6).tolist()
        family["test_single_min"] = np.round(single, 6).tolist()
        family["test_ensemble_min"] = np.round(ensemble, 6).tolist()
        # Every strength, as the blend would take it (a net: its fold
        # ensemble; a GLM: its all-rows fit), for blends across strengths.
        saved = 2 if family["width"] else 1
        family["oof_path"] = [np.round(p[0], 5).tolist() for p in per_strength]
        family["test_path"] = [np.round(p[saved], 5).tolist() for p in per_strength]


def _at_strength(path, index, folds, x_tr, x_te):
    """``(out-of-fold, all-rows fit's test, fold ensemble's test)``
    predictions at one strength of a path."""
    model = path.model
    # What the blend reads: tabular_path's own out-of-fold predictions.
    oof = _out_of_fold(path, x_tr, list(folds.split()), index)
    folds_test = []
    for weights in path.fold_weights:  # every fold's models, every seed's
        model.set_weights(weights[index])
        folds_test.append(np.asarray(model(x_te)))
    model.set_weights(path.weights[index])
    single = np.asarray(model(x_te))
    return oof, single, np.mean([*folds_test, single], axis=0)


def _one_se(families):
    """The 1se rule across families (what ``tabular_path`` does)."""
    minima = [f["min"] for f in families]
    return kreg.tuning.select(
        [f["cv"][i] for f, i in zip(families, minima)],
        [f["se"][i] for f, i in zip(families, minima)],
        [-f["width"] for f in families],
        rule="1se",
    )


def _nets_by_min(families):
    """The 1se rule decides GLM or net; among the nets, the lowest CV loss."""
    chosen = _one_se(families)
    if not families[chosen]["width"]:
        return chosen
    nets = [i for i, f in enumerate(families) if f["width"]]
    return min(nets, key=lambda i: families[i]["cv"][families[i]["min"]])


#: Other ways to choose from the same fits: (family choice, strength rule of
#: a net, whether a net is ensembled, whether a GLM is).
CHOICES = {
    "1se families, single": (_one_se, "min", False, False),
    "1se families, ens. nets (--combine select)": (_one_se, "min", True, False),
    "1se families, ens. all": (_one_se, "min", True, True),
    "1se families, nets at 1se, ens.": (_one_se, "1se", True, False),
    "GLM or net by 1se, min net, ens.": (_nets_by_min, "min", True, False),
}


def _blend(seed, nets="ensemble", glms="single"):
    """The test losses of the families at their min strengths blended by
    ``kreg.tuning.blend.ensemble_selection`` on their recorded out-of-fold
    predictions (what ``tabular_path(combine="blend")`` saves), or `None`
    for a run that recorded no predictions."""
    families = seed["kreg_detail"]
    if "oof_min" not in families[0]:
        return None
    y_train, y_test = np.array(seed["y_train"]), np.array(seed["y_test"])
    task = (
        "regression"
        if y_train.dtype.kind == "f"
        else "binary"
        if y_train.max() <= 1
        else "multiclass"
    )
    weights = ensemble_selection(
        task, y_train, [np.array(f["oof_min"]) for f in families]
    )
    predicted = sum(
        w * np.array(f[f"test_{nets if f['width'] else glms}_min"])
        for w, f in zip(weights, families)
    )
    return losses(task, y_test, predicted)


#: Blends scored by :func:`choices`: (a net's test predictions, a GLM's).
BLENDS = {
    "blend (default)": ("ensemble", "single"),
    "blend of all-rows fits": ("single", "single"),
}


def choices(results):
    """Per table and way of choosing (:data:`CHOICES`, and the blend where
    the run recorded predictions), the mean test score over seeds, from the
    families' recorded test losses."""
    rows = {}
    for name, seeds in results.items():
        seeds = [s for s in seeds if "kreg_detail" in s]
        if not seeds:
            continue
        rows[name] = {}
        for way, (pick, net_rule, net_ens, glm_ens) in CHOICES.items():
            scores = []
            for s in seeds:
                families = s["kreg_detail"]
                family = families[pick(families)]
                net = family["width"] > 0
                rule = net_rule if net else "min"
                kind = "ensemble" if (net_ens if net else glm_ens) else "single"
                scores.append(1 - np.mean(family[f"{kind}_{rule}"]))
            rows[name][way] = float(np.mean(scores))
        for way, kinds in BLENDS.items():
            blended = [_blend(s, *kinds) for s in seeds]
            rows[name][way] = (
                float(np.mean([1 - np.mean(b) for b in blended]))
                if all(b is not None for b in blended)
                else float("nan")
            )
    return rows


def bootstrap(mine, best, draws=2000, seed=0):
    """95 % paired bootstrap interval of score(mine) - score(best), pooled
    over seeds (rows resampled within each seed; score = 1 - mean loss)."""
    rng = np.random.default_rng(seed)
    diffs = []
    for _ in range(draws):
        total = []
        for a, b in zip(mine, best):
            i = rng.integers(0, len(a), len(a))
            total.append(np.mean(b[i]) - np.mean(a[i]))
        diffs.append(np.mean(total))
    return np.percentile(diffs, [2.5, 97.5])


def summarize(results, methods):
    """One row per table: mean scores, kreg versus the best peer."""
    rows = []
    for name, seeds in results.items():
        if not seeds:
            continue
        scores = {
            m: float(np.mean([1 - np.mean(s[m]["loss"]) for s in seeds]))
            for m in methods
            if all(m in s for s in seeds)
        }
        peers = [m for m in scores if m in PEERS]
        row = {"table": name, "seeds": len(seeds), "scores": scores}
        if "kreg" in scores and peers:
            best = max(peers, key=scores.get)
            low, high = bootstrap(
                [np.array(s["kreg"]["loss"]) for s in seeds],
                [np.array(s[best]["loss"]) for s in seeds],
            )
            row.update(
                best_peer=best,
                difference=scores["kreg"] - scores[best],
                low=float(low),
                high=float(high),
                family=[s["kreg"]["family"] for s in seeds],
                seconds={
                    m: float(np.mean([s[m]["seconds"] for s in seeds])) for m in scores
                },
            )
        rows.append(row)
    return rows


def print_table(rows, methods):
    shown = [m for m in methods if any(m in r["scores"] for r in rows)]
    header = ["table"] + [SHORT[m] for m in shown]
    header += ["kreg - best peer [95% CI]", "verdict", "kreg heaviest family", "kreg s"]
    print(" | ".join(header))
    for r in rows:
        cells = [r["table"]] + [
            f"{r['scores'][m]:.3f}" if m in r["scores"] else "-" for m in shown
        ]
        if "best_peer" in r:
            verdict = "win" if r["low"] > 0 else "loss" if r["high"] < 0 else "tie"
            cells += [
                f"{r['difference']:+.3f} [{r['low']:+.3f}, {r['high']:+.3f}] vs "
                f"{r['best_peer']}",
                verdict,
                _heaviest(r["family"]),
                f"{r['seconds']['kreg']:.0f}",
            ]
        print(" | ".join(cells))


def _heaviest(families) -> str:
    """The heaviest family of each seed's blend (a description lists them
    by weight, as ``"0.62 select32-... + 0.38 ..."``), each once."""
    names = [f.split(" + ")[0].split(" ")[-1] for f in families]
    return "/".join(dict.fromkeys(names))


def _write(path, results):
    """Replaces ``path`` at once: a run killed while writing keeps the last
    complete file."""
    temporary = f"{path}.part"
    with open(temporary, "w") as f:
        json.dump(results, f)
    os.replace(temporary, path)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--full", action="store_true", help="13 tables, 5 seeds")
    parser.add_argument("--tables", help="comma-separated tables")
    parser.add_argument("--seeds", help="comma-separated split seeds")
    parser.add_argument(
        "--methods", default="kreg,linear,hgb,svm,kerastuner,mlp", help="which"
    )
    parser.add_argument("--cv", type=int, default=3)
    parser.add_argument("--strengths", type=int, default=8)
    parser.add_argument("--trials", type=int, default=8, help="KerasTuner trials")
    parser.add_argument(
        "--json", help="write the raw results here, after each table and seed"
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="keep the tables and seeds already in --json, run only the others",
    )
    parser.add_argument(
        "--summarize", nargs="+", metavar="JSON", help="print the table of saved runs"
    )
    parser.add_argument(
        "--kreg-as",
        choices=["blend"],
        help="with --summarize: score kreg as the blend of its recorded families "
        "(a run of a kreg whose default selected one family)",
    )
    parser.add_argument(
        "--choices",
        action="store_true",
        help="with --summarize: also score other ways to choose from the same fits",
    )
    args = parser.parse_args(argv)
    if args.summarize:
        results = {}
        for path in args.summarize:  # the seeds of a table may be in several
            with open(path) as f:
                for name, seeds in json.load(f).items():
                    kept = {s.get("seed"): s for s in results.get(name, [])}
                    for entry in seeds:  # a seed's methods may be in several
                        seed = entry.get("seed")
                        kept[seed] = {**entry, **kept.get(seed, {})}
                    results[name] = list(kept.values())
        if args.kreg_as == "blend":
            for seeds in results.values():
                for s in seeds:
                    blended = _blend(s) if "kreg_detail" in s else None
                    if blended is not None:
                        s["kreg"] = {**s["kreg"], "loss": blended.tolist()}
                        s["kreg"]["family"] = "blend"
        rows = summarize(results, list(NAMES))
        print_table(rows, list(NAMES))
        if args.choices:
            print("\nOther ways to choose from the same fits (mean test score):")
            ways = choices(results)
            print(" | ".join(["table", *CHOICES, *BLENDS]))
            for name, scores in ways.items():
                print(
                    " | ".join(
                        [name, *(f"{scores[w]:.4f}" for w in [*CHOICES, *BLENDS])]
                    )
                )
        return rows
    tables = args.tables.split(",") if args.tables else (FULL if args.full else QUICK)
    seeds = (
        [int(s) for s in args.seeds.split(",")]
        if args.seeds
        else ([0, 1, 2, 3, 4] if args.full else [0])
    )
    args.methods = args.methods.split(",")
    kreg_methods = ("kreg_single", "kreg_ensemble")
    methods = [m for m in NAMES if m in args.methods or m in kreg_methods]
    if "kreg" not in args.methods:
        methods = [m for m in methods if m not in kreg_methods]
    results = {}
    if args.resume and args.json and os.path.exists(args.json):
        with open(args.json) as f:
            results = json.load(f)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as workdir:
        for name in tables:
            results.setdefault(name, [])
            for seed in seeds:
                if any(done.get("seed") == seed for done in results[name]):
                    continue  # resumed: this table and seed are in the file
                results[name].append({"seed": seed, **run(name, seed, args, workdir)})
                done = results[name][-1]
                print(
                    f"# {name} seed {seed}: "
                    + ", ".join(
                        f"{m} {1 - np.mean(v['loss']):.3f} ({v['seconds']:.0f}s)"
                        for m, v in done.items()
                        if m in NAMES
                    )
                    + f" | {time.perf_counter() - started:.0f}s",
                    flush=True,
                )
                if args.json:  # after each table and seed: a partial run is kept
                    _write(args.json, results)
    rows = summarize(results, methods)
    print()
    print_table(rows, methods)
    print(f"\ntotal {time.perf_counter() - started:.0f}s")
    return rows


if __name__ == "__main__":
    main()

"""kreg's default for tables: cross-validated λ paths of GLMs and of a net."""

import functools
import numbers
import os

import keras
import numpy as np

from kreg import regularizers
from kreg._validation import check_choice, invalid_argument
from kreg.tuning import blend, cross_validation, selection
from kreg.tuning.candidates import (
    OPTIONS,
    complexity,
    label,
    options_ok,
    unpack,
)
from kreg.tuning.checkpoint import PathCheckpoint
from kreg.tuning.models import tabular_model
from kreg.tuning.path import RegularizationPath, regularization_path
from kreg.tuning.path.grid import _check_regularizer
from kreg.tuning.path.stacked import Spec, stacked_path, supported
from kreg.tuning.tabular_result import COMBINES, TabularPath
from kreg.tuning.tasks import resolve_task

__all__ = ["TabularPath", "complexity", "default_candidates", "label", "tabular_path"]

# Arguments tabular_path sets itself.
_OWN = ("validation_data", "validation_split", "loss", "optimizer", "cv")


def default_candidates() -> list[tuple]:
    """The default model families of :func:`tabular_path` (what ``kreg tune``
    fits): the linear model with the lasso and with elastic nets of
    ``l1_ratio`` 0.5 and 0.1 (as scikit-learn's ``ElasticNetCV`` searches
    ``l1_ratio``); a 32-unit net that selects its inputs (one input kernel
    for the linear skip and the hidden layer, a group lasso over its rows);
    the same net with the adaptive group lasso, reweighted from the first
    one's min fit (``adaptive``: it keeps the inputs that matter where the
    plain group lasso keeps most); and a wider, deeper one for tables where
    capacity pays (2 x 128 units, dropout 0.1), selecting its inputs the
    plain way, each fold trained from two random initializations
    (``seeds``: its fits vary the most from one draw to the next, so its
    ensemble gains the most from more of them)."""
    return [
        (0, "l1"),
        (0, regularizers.ElasticNet(1.0, l1_ratio=0.5)),
        (0, regularizers.ElasticNet(1.0, l1_ratio=0.1)),
        (32, "group_lasso", {"select_inputs": True}),
        (32, "group_lasso", {"select_inputs": True, "adaptive": True}),
        (
            128,
            "group_lasso",
            {"select_inputs": True, "depth": 2, "dropout": 0.1, "seeds": 2},
        ),
    ]


def tabular_path(
    x,
    y,
    *,
    task: str | None = None,
    n_outputs: int | None = None,
    candidates=None,
    cv=5,
    seed: int = 0,
    checkpoint=None,
    on_strength=None,
    on_path=None,
    engine: str = "members",
    combine: str = "blend",
    **path_arguments,
) -> TabularPath:
    """kreg's default choice of regularization for tabular data.

    For each candidate ``(units, regularizer)``, the cross-validated λ path
    (:func:`regularization_path` with ``cv``, as ``cv.glmnet``) of
    :func:`tabular_model` with that width and penalty on its input kernels.
    Width 0 is a penalized GLM (lasso / elastic-net linear, logistic or
    multinomial regression), fitted to convergence from λ_max down; a
    positive width adds a one-hidden-layer MLP whose input kernel carries
    the same penalty, fitted from the weakest strength up with early
    stopping. Every path sees the same folds.

    By default (``combine="blend"``) the candidates are then averaged: each
    path's fold models at its min (and 1se) strength predict the rows they
    did not train on, and greedy ensemble selection on those out-of-fold
    predictions (:func:`kreg.tuning.blend.ensemble_selection`) weighs the
    candidates; a candidate that does not lower the out-of-fold loss gets
    no weight, so on a linear table the blend is the GLM alone. Choosing
    one candidate among several whose CV losses lie within each other's
    standard errors is noisy on a small table; averaging them is not.

    With ``combine="select"`` one candidate is chosen by the
    one-standard-error rule across widths: the narrowest width with a
    candidate whose best cross-validated data loss is within one standard
    error of the best candidate's, and of that width the candidate with the
    lowest loss. A net must beat the linear models by more than the noise
    of cross-validation to be chosen. Either way, each candidate's strength
    follows ``rule`` in :meth:`TabularPath.best_model`.

    Args:
        x: inputs, standardized (one row per sample).
        y: targets: standardized values (`"regression"`), 0/1
            (`"binary"`) or class indices 0..k-1 (`"multiclass"`).
        task: `"regression"`, `"binary"`, `"multiclass"` or
            `"classification"` (binary for labels 0/1, else multiclass).
            Defaults to `None`: read from ``y`` as ``kreg tune`` does (whole
            numbers with at most 20 values are class labels, anything else
            a regression).
        n_outputs: outputs (classes for `"multiclass"`). Defaults to `None`:
            read from ``y`` (the largest label + 1, or the columns of a
            regression target). A mismatch with ``y`` is one ``ValueError``.
        candidates: ``(units, regularizer)`` pairs or ``(units,
            regularizer, options)`` triples; ``regularizer`` as in
            :func:`regularization_path` (a name or a kreg regularizer used as
            template); ``options`` a dict of ``depth``, ``dropout``,
            ``select_inputs``, ``adaptive`` (with ``True``, the
            candidate's penalty is the adaptive group lasso over inputs
            reweighted from the min fit of the same candidate without
            ``adaptive``, listed before it) and ``seeds`` (a net's: each
            fold trained from that many random initializations, side by
            side as members; the saved ensemble averages them all).
            Defaults to `None`:
            :func:`default_candidates`.
        cv: folds (an integer >= 2 or a scikit-learn splitter). Defaults to
            `5`.
        seed: seed of the folds and the initializations. Defaults to `0`.
        checkpoint: a folder where every fitted strength of every path is
            saved at once (see :func:`regularization_path`); called again
            with the same arguments and folder, it fits only what is not
            saved there, so a killed run loses at most one strength.
            Defaults to `None`.
        on_strength: with ``checkpoint``, called as ``on_strength(candidate,
            fit, index)`` after each strength is saved (``fit`` is
            ``"fold_<k>"`` or ``"final"``), for progress. Defaults to `None`.
        on_path: called as ``on_path(candidate, path)`` after each
            candidate's path, for progress. Defaults to `None`.
        engine: `"members"`: at each strength, the k fold fits and the
            all-rows fit are trained as k + 1 members of one stacked model
            (``kreg.tuning.path.stacked``), for the GLMs and the nets fitted
            with their default optimizers and stopping rules; `"sequential"`:
            one warm path after another (:func:`regularization_path`).
            Defaults to `"members"`.
        combine: `"blend"` (the candidates averaged with weights from
            their out-of-fold predictions) or `"select"` (one candidate by
            the 1se rule across widths). Defaults to `"blend"`.
        **path_arguments: more arguments of :func:`regularization_path`
            (``n_strengths``, ``epochs``, ``patience``, ...).

    Returns:
        A :class:`TabularPath`.

    Example:

    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(60, 3)).astype("float32")
    >>> y = x @ np.array([1.0, -1.0, 0.0], "float32")
    >>> found = kreg.tuning.tabular_path(x, y, candidates=[(0, "l1"), (4, "l1")],
    ...     cv=2, n_strengths=2, epochs=2)
    >>> len(found.paths), found.best_model().output_shape
    (2, (None, 1))
    """
    owner = "tabular_path"
    if candidates is None:
        candidates = default_candidates()
    if (
        not isinstance(candidates, list | tuple)
        or not candidates
        or not all(
            isinstance(c, list | tuple)
            and len(c) in (2, 3)
            and (len(c) == 2 or options_ok(c[2]))
            and isinstance(c[0], numbers.Integral)
            and not isinstance(c[0], bool)
            and c[0] >= 0
            for c in candidates
        )
    ):
        raise invalid_argument(
            owner,
            "candidates",
            "a non-empty sequence of (units >= 0, regularizer) pairs or "
            "(units, regularizer, options) triples, options a dict of "
            + ", ".join(sorted(OPTIONS)),
            candidates,
        )
    for name in _OWN:
        if name in path_arguments:
            raise invalid_argument(
                owner,
                name,
                "not given (tabular_path sets it)",
                path_arguments[name],
            )
    engine = check_choice(engine, "engine", owner, ENGINES)
    combine = check_choice(combine, "combine", owner, COMBINES)
    if combine == "blend" and not path_arguments.get("keep_weights", True):
        raise invalid_argument(
            owner,
            "keep_weights",
            "True with combine='blend' (the blend's weights come from the fold "
            "models' predictions)",
            path_arguments["keep_weights"],
        )
    cv = cross_validation.check_cv(cv, owner)
    x, y, _ = cross_validation.check_data(x, y, owner)
    # Before any training: class labels 0..9 for one output would otherwise
    # fail deep inside TensorFlow, and a missing task fit a regression.
    task, n_outputs, y = resolve_task(y, task, n_outputs, owner)
    n_features = int(np.shape(x)[-1])
    candidates = [
        (int(c[0]), c[1]) if len(c) == 2 else (int(c[0]), c[1], dict(c[2]))
        for c in candidates
    ]
    for candidate in candidates:  # a bad one fails before any training
        _check_regularizer(candidate[1], owner)
        units, _, options = unpack(candidate)
        seeds = options["seeds"]
        if (
            not isinstance(seeds, numbers.Integral)
            or isinstance(seeds, bool)
            or seeds < 1
            or (seeds > 1 and not units)
        ):
            raise invalid_argument(
                owner,
                "candidates",
                "the option seeds an integer >= 1, and 1 for a GLM (its fits "
                "are one convex solution)",
                seeds,
            )
        stacked = engine == "members" and supported(
            _spec(candidate, task, n_outputs), len(y), path_arguments
        )
        if seeds > 1 and not stacked:
            raise invalid_argument(
                owner,
                "candidates",
                "the option seeds > 1 only where the folds train as members "
                "(engine='members', a net with its default optimizer and "
                f"stopping); {label(candidate)} does not",
                candidates,
            )
    stages = {
        number: _first_stage(candidates, number, owner)
        for number, candidate in enumerate(candidates)
        if unpack(candidate)[2]["adaptive"]
    }

    if checkpoint is not None:
        checkpoint = os.fspath(checkpoint)
    paths = []
    for number, candidate in enumerate(candidates):
        units, regularizer, options = unpack(candidate)
        if options["adaptive"]:
            regularizer = _adaptive(paths[stages[number]])
        store = None
        if checkpoint is not None:
            listener = None
            if on_strength is not None:

                def listener(key, index, row, number=number):
                    on_strength(number, key, index)

            store = PathCheckpoint(
                os.path.join(checkpoint, f"candidate_{number}"), listener
            )

        def build(reg, units=units, options=options):
            return tabular_model(
                reg,
                options["dropout"],
                n_features=n_features,
                n_outputs=n_outputs,
                task=task,
                units=units,
                depth=options["depth"],
                select_inputs=options["select_inputs"],
            )

        # Where the stacked path does not apply, "members" still trains the
        # folds side by side where regularization_path can ("auto").
        fit = functools.partial(
            regularization_path,
            engine="sequential" if engine == "sequential" else "auto",
        )
        spec = _spec(candidate, task, n_outputs)
        if engine == "members" and supported(spec, len(y), path_arguments):
            fit = functools.partial(stacked_path, spec=spec, seeds=options["seeds"])
        paths.append(
            fit(
                build,
                x,
                y,
                regularizer=regularizer,
                cv=cv,
                seed=seed,
                checkpoint=store,
                **path_arguments,
            )
        )
        if on_path is not None:
            on_path(number, paths[-1])
    minima = [path.best("min") for path in paths]
    chosen = selection.select(
        [path.val_data_loss[i] for path, i in zip(paths, minima)],
        [path.val_standard_error[i] for path, i in zip(paths, minima)],
        [-complexity(c) for c in candidates],
        rule="1se",
    )
    weights = {}
    if combine == "blend":
        splits = cross_validation.make_splits(y, cv, seed=seed, owner=owner)
        for rule in selection.RULES:
            weights[rule] = tuple(
                float(w)
                for w in blend.ensemble_selection(
                    task, y, [_out_of_fold(path, x, splits, rule) for path in paths]
                )
            )
        # The family reported and plotted: the heaviest (the simplest of equals).
        chosen = int(np.argmax(weights["min"]))
    return TabularPath(
        candidates=candidates,
        paths=paths,
        chosen=chosen,
        checkpoint=checkpoint,
        combine=combine,
        weights=weights,
    )


def _out_of_fold(path: RegularizationPath, x, splits, rule) -> np.ndarray:
    """Each row predicted by the fold model at ``rule``'s strength (`"min"`,
    `"1se"` or an index into the path's strengths) that did not train on it."""
    model = path.model
    index = rule if isinstance(rule, int | np.integer) else path.best(rule)
    kept = model.get_weights()
    out = None
    # Fold m % k's models (one per seed) predict its rows; their mean is
    # what the saved ensemble holds.
    k = len(splits)
    for member, weights in enumerate(path.fold_weights):
        rows = splits[member % k][1]
        model.set_weights(weights[index])
        predicted = keras.ops.convert_to_numpy(
            model(cross_validation.take(x, rows), training=False)
        )
        if out is None:
            out = np.zeros((len(x), *predicted.shape[1:]), predicted.dtype)
        out[rows] += predicted / path.seeds
    model.set_weights(kept)
    return out


def _spec(candidate, task: str, n_outputs: int) -> Spec:
    """The stacked path's description of a candidate's model."""
    units, _, options = unpack(candidate)
    return Spec(
        task,
        n_outputs,
        units,
        options["depth"],
        options["dropout"],
        options["select_inputs"],
    )


#: How the folds of a path are trained (see :func:`tabular_path`).
ENGINES = ("members", "sequential")


def _first_stage(candidates, number: int, owner: str) -> int:
    """The earlier candidate an adaptive one reweights from: the same one
    without ``adaptive``, a net that selects its inputs."""
    units, regularizer, options = unpack(candidates[number])
    same = {**options, "adaptive": False}
    for index, earlier in enumerate(candidates[:number]):
        if (
            units
            and options["select_inputs"]
            and label(earlier) == label((units, regularizer, same))
            and unpack(earlier)[2] == same
        ):
            return index
    raise invalid_argument(
        owner,
        "candidates",
        "an adaptive candidate (option adaptive=True) to be a net with "
        "select_inputs=True listed after the same candidate without adaptive",
        candidates,
    )


def _adaptive(first: RegularizationPath) -> regularizers.AdaptiveLasso:
    """The adaptive group lasso over inputs from ``first``'s fit on all rows
    at its min strength: an input's penalty is divided by its row norm
    there, so the inputs that fit found weak are switched off early along
    the second path and the strong ones are kept nearly unshrunk."""
    kernel = first.best_model("min").get_layer("inputs").kernel
    return regularizers.AdaptiveLasso(
        1.0, estimate=keras.ops.convert_to_numpy(kernel), groups="inputs"
    )

"""kreg's default for tables: cross-validated λ paths of GLMs and of a net."""

import dataclasses
import functools
import numbers
import os

import keras
import numpy as np

from kreg import regularizers
from kreg._validation import check_choice, invalid_argument
from kreg.tuning import cross_validation, selection
from kreg.tuning.checkpoint import PathCheckpoint
from kreg.tuning.models import tabular_model
from kreg.tuning.path import RegularizationPath, regularization_path
from kreg.tuning.path.grid import _check_regularizer
from kreg.tuning.path.stacked import Spec, stacked_path, supported
from kreg.tuning.tasks import resolve_task

# Arguments tabular_path sets itself.
_OWN = ("validation_data", "validation_split", "loss", "optimizer", "cv")


@dataclasses.dataclass
class TabularPath:
    """Cross-validated λ paths of :func:`tabular_model`, one per candidate.

    Attributes:
        candidates: the ``(units, regularizer)`` pairs (or ``(units,
            regularizer, options)`` triples), in the order given.
        paths: their cross-validated :class:`RegularizationPath`, same order.
        chosen: index of the chosen candidate: among the narrowest widths
            whose best cross-validated data loss is within one standard error
            of the best of all, the one with the lowest.
        checkpoint: the folder of the saved strengths (with the folds'
            weights), or `None`.
    """

    candidates: list[tuple]
    paths: list[RegularizationPath]
    chosen: int
    checkpoint: str | None = None

    @property
    def path(self) -> RegularizationPath:
        """The chosen candidate's path."""
        return self.paths[self.chosen]

    @property
    def units(self) -> int:
        """The chosen candidate's width (0: the linear model)."""
        return self.candidates[self.chosen][0]

    @property
    def label(self) -> str:
        """The chosen candidate's short name (see :func:`label`)."""
        return label(self.candidates[self.chosen])

    @property
    def regularizer(self):
        """The chosen candidate's penalty (its strength set by ``best_model``)."""
        return self.path.regularizer

    def best(self, rule: str = "min") -> int:
        """Index of the chosen strength on :attr:`path` (see
        :meth:`RegularizationPath.best`)."""
        return self.path.best(rule)

    def best_strength(self, rule: str = "min") -> float:
        """The chosen strength on :attr:`path`."""
        return self.path.best_strength(rule)

    @property
    def ensembled(self) -> bool:
        """Whether :meth:`best_model` gives an ensemble by default: for a
        net family. A net's fits differ from fold to fold (random
        initializations, early stopping), so their mean predicts better than
        any one of them; a GLM's fits are one convex solution each, and the
        single all-rows fit keeps its exact zeros."""
        return self.units > 0

    def best_model(self, rule: str = "min", ensemble: bool | None = None):
        """The chosen model at the chosen strength.

        Args:
            rule: `"min"` or `"1se"` (see :meth:`RegularizationPath.best`).
                Defaults to `"min"`.
            ensemble: `True` for :meth:`ensemble` (the fold models and the
                all-rows model averaged), `False` for the chosen candidate's
                model fitted on all rows alone. Defaults to `None`:
                :attr:`ensembled`, the ensemble for a net family, the single
                all-rows fit for a GLM.

        Returns:
            A Keras model.
        """
        if ensemble is None:
            ensemble = self.ensembled
        elif not isinstance(ensemble, bool):
            raise invalid_argument(
                "TabularPath.best_model", "ensemble", "True, False or None", ensemble
            )
        if ensemble:
            return self.ensemble(rule)
        return self.path.best_model(rule)

    def fold_models(self, rule: str = "min") -> list[keras.Model]:
        """The chosen candidate's fold models at the chosen strength: what
        cross-validation already trained, each on all rows but one fold's
        (see :meth:`RegularizationPath.fold_models`)."""
        return self.path.fold_models(rule)

    def ensemble(self, rule: str = "min") -> keras.Model:
        """The mean prediction of the fold models and the all-rows model at
        the chosen strength (probabilities for classification): an ensemble
        that costs no extra training. Its members are the sub-models
        ``member_0`` ... (the folds', then the all-rows fit)."""
        single = self.path.best_model(rule)
        members = [*self.fold_models(rule), keras.models.clone_model(single)]
        members[-1].set_weights(single.get_weights())
        members = [
            keras.Model(m.inputs[0], m.outputs[0], name=f"member_{i}")
            for i, m in enumerate(members)
        ]
        inputs = keras.Input(self.path.model.input_shape[1:])
        outputs = keras.layers.Average(name="ensemble_mean")(
            [member(inputs) for member in members]
        )
        return keras.Model(inputs, outputs, name="ensemble")

    @property
    def results(self) -> list[dict]:
        """One dict per candidate and strength, with its ``candidate`` index,
        ``units`` and ``regularizer``."""
        return [
            {
                "candidate": i,
                "units": candidate[0],
                "regularizer": _name(candidate[1]),
                "label": label(candidate),
                **row,
            }
            for i, (candidate, path) in enumerate(zip(self.candidates, self.paths))
            for row in path.results
        ]


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
    plain way."""
    return [
        (0, "l1"),
        (0, regularizers.ElasticNet(1.0, l1_ratio=0.5)),
        (0, regularizers.ElasticNet(1.0, l1_ratio=0.1)),
        (32, "group_lasso", {"select_inputs": True}),
        (32, "group_lasso", {"select_inputs": True, "adaptive": True}),
        (128, "group_lasso", {"select_inputs": True, "depth": 2, "dropout": 0.1}),
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

    The candidate is chosen by the one-standard-error rule across widths:
    the narrowest width with a candidate whose best cross-validated data
    loss is within one standard error of the best candidate's, and of that
    width the candidate with the lowest loss. A net must beat the linear
    models by more than the noise of cross-validation to be chosen, so on
    (nearly) linear data the result is the GLM that scikit-learn's
    ``ElasticNetCV`` or ``LogisticRegressionCV`` would fit, and on
    non-linear data the net. The strength on the chosen path follows
    ``rule`` in :meth:`TabularPath.best_model`.

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
            ``select_inputs`` and ``adaptive`` (with ``True``, the
            candidate's penalty is the adaptive group lasso over inputs
            reweighted from the min fit of the same candidate without
            ``adaptive``, listed before it). Defaults to `None`:
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
            and (len(c) == 2 or _options_ok(c[2]))
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
    stages = {
        number: _first_stage(candidates, number, owner)
        for number, candidate in enumerate(candidates)
        if _unpack(candidate)[2]["adaptive"]
    }

    if checkpoint is not None:
        checkpoint = os.fspath(checkpoint)
    paths = []
    for number, candidate in enumerate(candidates):
        units, regularizer, options = _unpack(candidate)
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
        spec = Spec(
            task,
            n_outputs,
            units,
            options["depth"],
            options["dropout"],
            options["select_inputs"],
        )
        if engine == "members" and supported(spec, len(y), path_arguments):
            fit = functools.partial(stacked_path, spec=spec)
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
    return TabularPath(
        candidates=candidates, paths=paths, chosen=chosen, checkpoint=checkpoint
    )


#: How the folds of a path are trained (see :func:`tabular_path`).
ENGINES = ("members", "sequential")

#: Options of a candidate, with their defaults.
OPTIONS = {"depth": 1, "dropout": 0.0, "select_inputs": False, "adaptive": False}


def _first_stage(candidates, number: int, owner: str) -> int:
    """The earlier candidate an adaptive one reweights from: the same one
    without ``adaptive``, a net that selects its inputs."""
    units, regularizer, options = _unpack(candidates[number])
    same = {**options, "adaptive": False}
    for index, earlier in enumerate(candidates[:number]):
        if (
            units
            and options["select_inputs"]
            and label(earlier) == label((units, regularizer, same))
            and _unpack(earlier)[2] == same
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


def _options_ok(options) -> bool:
    return isinstance(options, dict) and set(options) <= set(OPTIONS)


def _unpack(candidate) -> tuple:
    """``(units, regularizer, options)`` with every option filled in."""
    options = {**OPTIONS, **(candidate[2] if len(candidate) == 3 else {})}
    return candidate[0], candidate[1], options


def complexity(candidate) -> int:
    """How wide a candidate is, for the one-standard-error rule across
    families: hidden units times hidden layers (0 for the GLM)."""
    units, _, options = _unpack(candidate)
    return units * options["depth"]


def label(candidate) -> str:
    """A short name: ``"linear-l1"``, ``"net32-l1"``,
    ``"select32-group_lasso"``, ``"net128x2-l1-dropout0.1"``."""
    units, regularizer, options = _unpack(candidate)
    kind = regularizer if isinstance(regularizer, str) else regularizer.label
    if options["adaptive"]:
        kind = f"adaptive_{kind}"
    if not units:
        return f"linear-{kind}"
    name = ("select" if options["select_inputs"] else "net") + str(units)
    if options["depth"] > 1:
        name += f"x{options['depth']}"
    text = f"{name}-{kind}"
    if options["dropout"]:
        text += f"-dropout{options['dropout']:g}"
    return text


def _name(regularizer) -> str:
    if isinstance(regularizer, str):
        return regularizer
    return repr(regularizer)

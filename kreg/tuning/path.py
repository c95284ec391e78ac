"""The regularization path: a grid of λ below λ_max, warm-started, as glmnet fits it."""

import copy
import dataclasses
import time
from collections.abc import Callable

import keras
import numpy as np
import tensorflow as tf

from kreg import _compat, regularizers
from kreg._validation import (
    check_choice,
    check_float,
    check_int,
    check_seed,
    invalid_argument,
)
from kreg.callbacks import EarlyStopping
from kreg.metrics import DataLoss
from kreg.ops.penalties import group_axes
from kreg.penalty import penalty
from kreg.tuning import cross_validation, selection
from kreg.tuning._session import fresh_session
from kreg.tuning.checkpoint import PathCheckpoint

_KINDS = {
    "l1": regularizers.L1,
    "l2": regularizers.L2,
    "elastic_net": regularizers.ElasticNet,
    "group_lasso": lambda strength: regularizers.GroupLasso(strength, groups="inputs"),
    "sparse_group_lasso": lambda strength: regularizers.SparseGroupLasso(
        strength, groups="inputs"
    ),
}

# Phases per strength of a path that stops at convergence with Adam (or the
# user's optimizer), and the learning-rate factor between phases (as
# ReduceLROnPlateau): Adam's objective settles further at the lower rate.
# Early-stopped paths and the GLM's proximal gradient have one phase.
LR_PHASES = 2
LR_FACTOR = 0.1

# Change of the penalized training objective, in units of the null model's
# loss, under which a strength counts as converged (stopping="convergence").
CONVERGENCE_TOL = 1e-5

# Momentum of a GLM's default optimizer (proximal gradient at step 1/L).
GLM_MOMENTUM = 0.9

# Each strength of a GLM's path may step up to 1 / (LOCAL_MARGIN * L_w), L_w
# the curvature at its starting weights: at the weak end of a logistic path
# the fitted probabilities are near 0 or 1 and L_w is a fraction of the bound
# at zero weights (breast cancer: 398 epochs instead of 1274 for the warm
# path). The margin covers curvature that grows along the strength's fit.
LOCAL_MARGIN = 2.0

# The largest batch of a converging path ("full batch" on small data), and
# the steps of one full-batch epoch.
FULL_BATCH_ROWS = 4096
FULL_BATCH_STEPS = 10

# Up to this many rows, minibatches come from one reshuffled tf.data stream
# (its shuffle buffer holds every row); beyond, from Keras' own arrays.
SHUFFLED_ROWS = 100_000

#: When each strength's fit stops (see :func:`regularization_path`).
STOPPING = ("auto", "validation", "convergence")

#: Orders in which :func:`regularization_path` can fit its strengths.
DIRECTIONS = ("auto", "decreasing", "increasing")

# glmnet's stand-in l1 ratio when the penalty has no L1 part (ridge).
_RIDGE_RATIO = 1e-3


@dataclasses.dataclass
class RegularizationPath:
    """The fits along a path of strengths, strongest first.

    Attributes:
        strengths: the strengths λ, decreasing.
        train_data_loss: data loss (no penalty) on the training part (with
            ``cv``, on all rows after the final fit), per λ.
        val_data_loss: data loss on the validation data, per λ; with ``cv``,
            the mean of the folds' held-out data losses.
        val_standard_error: standard error of ``val_data_loss`` over the
            validation samples (``std(ddof=1) / sqrt(n)``), per λ; with
            ``cv``, over the fold means (``std(ddof=1) / sqrt(k)``, as
            glmnet's ``cvsd``).
        penalty: the weight penalty ``kreg.penalty(model).total``, per λ.
        sparsity: fraction of the penalized weights that are exactly 0
            (``|w| <= sparsity_tol``), per λ.
        active_inputs: input features (rows of the penalized first-layer
            kernel) with a non-zero weight, per λ.
        epochs: epochs trained at each λ (with ``cv``, in the final fit).
        seconds: wall time of each λ's fit (with ``cv``, all folds' and the
            final fit's).
        max_strength: λ_max, the first strength of the path.
        n_inputs: input features the penalized kernels read.
        warm_start: whether each fit started from the previous solution.
        direction: the order of the fits, `"decreasing"` (from λ_max down) or
            `"increasing"` (from the weakest strength up).
        stopping: how each strength's fit ended, `"convergence"` or
            `"validation"` (see :func:`regularization_path`).
        cv: the number of folds, or 0 for one validation split.
        fold_val_data_loss: with ``cv``, the held-out data loss of each
            fold (rows) at each λ (columns); else `None`.
        model: the model after the last fit.
        weights: the model's weights at each λ (``model.set_weights(w)``).
        fold_weights: with ``cv`` (and ``keep_weights``), each fold's
            weights at each λ: ``fold_weights[fold][i]``, strongest first;
            else empty. :meth:`fold_models` and :meth:`fold_ensemble` build
            models from them.
    """

    strengths: np.ndarray
    train_data_loss: np.ndarray
    val_data_loss: np.ndarray
    val_standard_error: np.ndarray
    penalty: np.ndarray
    sparsity: np.ndarray
    active_inputs: np.ndarray
    epochs: np.ndarray
    seconds: np.ndarray
    max_strength: float
    warm_start: bool
    direction: str = "decreasing"
    stopping: str = "validation"
    n_inputs: int = 0
    cv: int = 0
    fold_val_data_loss: np.ndarray | None = dataclasses.field(default=None, repr=False)
    model: keras.Model | None = dataclasses.field(default=None, repr=False)
    weights: list = dataclasses.field(default_factory=list, repr=False)
    regularizer: keras.regularizers.Regularizer | None = dataclasses.field(
        default=None, repr=False
    )
    fold_weights: list = dataclasses.field(default_factory=list, repr=False)

    def best(self, rule: str = "min") -> int:
        """Index of the chosen strength: lowest validation data loss (`"min"`)
        or the largest λ within one standard error of it (`"1se"`)."""
        rule = check_choice(rule, "rule", "RegularizationPath.best", selection.RULES)
        return selection.select(
            self.val_data_loss,
            self.val_standard_error,
            np.log(self.strengths),
            rule=rule,
        )

    def best_strength(self, rule: str = "min") -> float:
        """The chosen strength (see :meth:`best`)."""
        return float(self.strengths[self.best(rule)])

    def best_model(self, rule: str = "min") -> keras.Model:
        """The path's model with the weights fitted at the chosen strength."""
        if self.model is None or not self.weights:
            raise ValueError("This path kept no model (keep_weights=False).")
        index = self.best(rule)
        self.model.set_weights(self.weights[index])
        if self.regularizer is not None:
            self.regularizer.strength = float(self.strengths[index])
        return self.model

    def fold_models(self, rule="min") -> list[keras.Model]:
        """The k fold models of a ``cv`` path at one strength, as new models.

        Each is a copy of :attr:`model` (``keras.models.clone_model``) with
        the weights its fold fitted at the strength chosen by ``rule``
        (`"min"`, `"1se"`, or an index into :attr:`strengths`). Each was
        trained on its fold's training rows only.
        """
        if not self.fold_weights or self.model is None:
            raise ValueError(
                "This path kept no fold weights (it needs cv and keep_weights)."
            )
        index = rule if isinstance(rule, int | np.integer) else self.best(rule)
        if not 0 <= index < len(self.strengths):
            raise invalid_argument(
                "RegularizationPath.fold_models",
                "rule",
                f"'min', '1se' or an index below {len(self.strengths)}",
                rule,
            )
        models = []
        for fold in self.fold_weights:
            clone = keras.models.clone_model(self.model)
            clone.set_weights(fold[int(index)])
            models.append(clone)
        return models

    def fold_ensemble(self, rule="min") -> keras.Model:
        """The average of the k fold models at one strength, as one model.

        A cross-validated path has already trained k models at every
        strength; their mean prediction (``keras.layers.Average``, over
        probabilities for classifiers) is an ensemble at no extra training
        cost. ``rule`` as in :meth:`fold_models`.
        """
        models = self.fold_models(rule)
        inputs = keras.tree.map_structure(
            lambda t: keras.Input(t.shape[1:], dtype=t.dtype), self.model.inputs
        )
        inputs = inputs[0] if len(inputs) == 1 else inputs
        # Named apart: a model may not hold two operations of one name.
        if len(self.model.outputs) != 1:
            raise ValueError("fold_ensemble averages models with one output.")
        models = [
            keras.Model(m.inputs, m.outputs[0], name=f"fold_{i}")
            for i, m in enumerate(models)
        ]
        outputs = keras.layers.Average()([model(inputs) for model in models])
        return keras.Model(inputs, outputs, name="fold_ensemble")

    @property
    def results(self) -> list[dict]:
        """One dict per strength, strongest first."""
        keys = (
            "strengths",
            "train_data_loss",
            "val_data_loss",
            "val_standard_error",
            "penalty",
            "sparsity",
            "active_inputs",
            "epochs",
            "seconds",
        )
        return [
            {
                key.removesuffix("s") if key == "strengths" else key: _py(
                    getattr(self, key)[i]
                )
                for key in keys
            }
            for i in range(len(self.strengths))
        ]

    def plot(self, path: str, *, title: str | None = None) -> str:
        """Writes a PNG of validation data loss and sparsity against λ.

        Needs matplotlib (``pip install kreg[plots]``). Returns ``path``.
        """
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(7, 4.5))
        ax.errorbar(
            self.strengths,
            self.val_data_loss,
            yerr=self.val_standard_error,
            fmt="o-",
            color="tab:red",
            ms=3,
            capsize=2,
            label="validation data loss",
        )
        ax.plot(
            self.strengths,
            self.train_data_loss,
            "--",
            color="tab:gray",
            label="training data loss",
        )
        ax.set_xscale("log")
        ax.set_xlabel("penalty strength λ (log scale)")
        ax.set_ylabel("data loss, without the penalty (mean ± se)")
        for rule, style in (("min", ":"), ("1se", "-.")):
            ax.axvline(
                self.best_strength(rule), color="k", ls=style, lw=1, label=f"λ {rule}"
            )
        twin = ax.twinx()
        if self.n_inputs:
            twin.plot(
                self.strengths,
                1.0 - self.active_inputs / self.n_inputs,
                "^-",
                color="tab:green",
                ms=3,
                label="inputs switched off",
            )
        twin.plot(
            self.strengths,
            self.sparsity,
            "s-",
            color="tab:blue",
            ms=3,
            label="sparsity",
        )
        twin.set_ylabel("fraction of zero weights / of inputs off")
        twin.set_ylim(-0.02, 1.02)
        lines = ax.get_legend_handles_labels()
        more = twin.get_legend_handles_labels()
        # Below the axes: inside, it covered the curves or the λ lines.
        ax.legend(
            lines[0] + more[0],
            lines[1] + more[1],
            loc="upper center",
            bbox_to_anchor=(0.5, -0.16),
            ncol=3,
            fontsize=8,
        )
        ax.set_title(title or "Regularization path")
        fig.tight_layout()
        fig.savefig(path, dpi=100, bbox_inches="tight")
        plt.close(fig)
        return path


def regularization_path(
    build: Callable[[keras.regularizers.Regularizer], keras.Model],
    x,
    y,
    *,
    regularizer="l1",
    n_strengths: int = 20,
    min_ratio: float = 1e-3,
    strengths=None,
    max_strength: float | None = None,
    validation_data=None,
    validation_split: float = 0.2,
    cv=None,
    loss=None,
    optimizer=None,
    epochs: int = 100,
    batch_size: int | None = None,
    patience: int = 6,
    warm_patience: int | None = None,
    min_delta: float = 1e-3,
    warm_start: bool = True,
    direction: str = "auto",
    stopping: str = "auto",
    sparsity_tol: float = 0.0,
    keep_weights: bool = True,
    seed: int = 0,
    checkpoint=None,
    verbose=0,
) -> RegularizationPath:
    """Fits a model along a geometric grid of strengths.

    As glmnet: the grid runs from λ_max, the smallest strength at which all
    penalized weights are zero, down to ``λ_max * min_ratio`` in
    ``n_strengths`` geometric steps, and each fit starts from the previous
    solution (warm start), so most fits take a few epochs. ``build`` is
    called once and the whole warm path is one ``fit`` call: the strength
    changes through ``reg.strength``, so the train function is traced once.
    Every strength gets kreg's early stopping on ``val_data_loss`` with the
    best weights restored.

    A net is not convex, and a hidden layer started at its null model (all
    penalized weights 0) gets no gradient once the rest has fitted what it
    can: its ReLUs are dead, or the residuals are uncorrelated with the
    inputs. So when a penalized layer feeds another layer with weights, the
    path runs the other way (``direction="auto"``), from the weakest
    strength up, as LassoNet does: a dense fit first, then ever stronger
    penalties switch inputs off. Results are ordered strongest first either
    way.

    λ_max is computed where it can be: the penalized weights are set to 0,
    the other weights are fitted (the null model: for a linear model the
    intercept-only fit, so this is exactly glmnet's λ_max), and λ_max is the
    smallest strength for which 0 satisfies the optimality conditions:
    ``max|g|/f`` for L1, ``max_g ||g_g||_2 / (sqrt(p_g) f_g)`` for the group
    lasso (``g`` the data-loss gradient, ``f`` the penalty factors), divided
    by ``l1_ratio`` for the elastic net (by ``1e-3`` for pure L2, as glmnet),
    found by bisection for the sparse group lasso. Where that gradient
    vanishes (ReLU units with no input and zero bias), λ_max is taken at the
    unpenalized fit instead.

    Args:
        build: ``build(regularizer) -> keras.Model``, compiled or not; the
            regularizer goes on the weights to penalize (typically the first
            layer's kernel).
        x: inputs (arrays).
        y: targets.
        regularizer: `"l1"`, `"l2"`, `"elastic_net"`, `"group_lasso"`
            (``groups="inputs"``), `"sparse_group_lasso"`, or a kreg
            regularizer instance used as template (its strength is set).
            Defaults to `"l1"`.
        n_strengths: number of strengths. Defaults to `20`.
        min_ratio: the last strength is ``λ_max * min_ratio``. Defaults to
            `1e-3`.
        strengths: an explicit grid (sorted decreasing); overrides the
            three arguments above. Defaults to `None`.
        max_strength: λ_max to use instead of the computed one. Defaults to
            `None`.
        validation_data: ``(x_val, y_val)``. Defaults to `None`: the last
            ``validation_split`` of a seeded shuffle of ``x, y``.
        validation_split: fraction held out when ``validation_data`` is not
            given. Defaults to `0.2`.
        cv: `None` (one validation split), or k-fold cross-validation as
            ``cv.glmnet``: an integer k >= 2 (``StratifiedKFold`` for class
            labels, else ``KFold``, shuffled with ``seed``) or a scikit-learn
            splitter. The path is fitted on each fold's training rows and
            scored on its held-out rows, on one grid (λ_max from all rows);
            ``val_data_loss`` is the mean over folds and
            ``val_standard_error`` the fold means' standard error. Then the
            path is fitted once more on all rows, each strength for the
            median number of epochs the folds used there (or to convergence,
            see ``stopping``), and those are the weights kept. Costs k + 1
            paths. Defaults to `None`.
        loss: loss for uncompiled models. Defaults to `None`.
        optimizer: the optimizer of every fit (it replaces a compiled
            model's). Defaults to `None`: for a GLM fitted to convergence in
            full batch (a penalized layer that feeds no other weights),
            proximal gradient descent, ``kreg.optimizers.Proximal(SGD(1 / L,
            momentum=0.9, nesterov=True))`` with ``L`` the largest curvature
            of the data loss at zero weights (power iteration); each strength
            starts at the longer step ``1 / (2 L_w)`` where the curvature
            ``L_w`` at its starting weights is lower (a logistic fit far from
            probabilities of 1/2). This, whatever the model was compiled
            with: the solutions do not depend on the
            optimizer, and this one reaches them exactly; otherwise the
            model's compiled optimizer, or for an uncompiled model
            ``kreg.optimizers.Proximal(Adam(2e-2))``. Both give exact zeros.
        epochs: the most epochs per strength. Defaults to `100`.
        batch_size: batch size. Defaults to `None`: all the rows (at most
            4096) when stopping at convergence, else `32`.
        patience: early-stopping patience per phase of a strength. Defaults
            to `6` (a warm step needs a few epochs to leave the previous
            solution).
        min_delta: relative improvement of ``val_data_loss`` that resets the
            patience (kreg's ``min_delta_mode="relative"``) when stopping on
            the validation data. Defaults to `1e-3`.
        warm_start: start each fit from the previous one (`False`: a fresh
            model per strength, for comparison). Defaults to `True`.
        direction: `"decreasing"` fits from λ_max down, starting at the
            null model (glmnet; exact for linear models, which are convex);
            `"increasing"` fits from the weakest strength up, starting at a
            random initialization (LassoNet's dense-to-sparse path, for
            nets); `"auto"` picks `"increasing"` when a penalized layer feeds
            another layer with weights (a hidden layer), else
            `"decreasing"`. Defaults to `"auto"`.
        stopping: when each strength's fit ends. `"convergence"`: when the
            penalized training objective (Keras' epoch ``loss``: data loss
            plus penalty) improves by less than ``1e-5`` times the null
            model's loss (of its best constant prediction: the variance of
            the target for the squared error, the entropy of the class
            frequencies for the cross-entropy) over ``patience`` epochs
            (glmnet also measures convergence against the null deviance),
            as glmnet fits each λ to convergence: the path is then the
            penalized solutions, not early-stopped ones, and needs no
            validation data to fit.
            `"validation"`: kreg's early stopping on the validation data
            loss, with the best weights restored (with ``cv``, each fold
            stops on its held-out rows and the final fit on all rows runs
            each strength for the folds' median epochs). `"auto"`:
            `"convergence"` for a decreasing path (a convex model),
            `"validation"` for an increasing one (a net, which early stopping
            also regularizes). At convergence with an optimizer other than
            the GLM's default, each strength ends with a second phase at a
            tenth of the learning rate (as ``ReduceLROnPlateau``). Defaults
            to `"auto"`.
        sparsity_tol: weights with ``|w| <= sparsity_tol`` count as zero.
            Defaults to `0.0`.
        checkpoint: a folder (or a ``kreg.tuning.checkpoint.PathCheckpoint``)
            where each fitted strength of each fit (fold, final fit) is saved
            at once, with its weights and optimizer state; a later call with
            the same data, grid and folder skips what is saved there and
            goes on from the last saved strength, so an interrupted path
            loses at most one strength. Defaults to `None`.
        keep_weights: keep each strength's weights (for
            :meth:`RegularizationPath.best_model`). Defaults to `True`.
        seed: seed of the split and the initialization. Defaults to `0`.
        verbose: Keras verbosity. Defaults to `0`.

    Returns:
        A :class:`RegularizationPath`.

    Example:

    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(64, 5)).astype("float32")
    >>> y = x[:, :2] @ np.array([1.0, -2.0], "float32")
    >>> def build(regularizer):
    ...     return keras.Sequential([keras.Input((5,)),
    ...         keras.layers.Dense(1, kernel_regularizer=regularizer)])
    >>> path = kreg.tuning.regularization_path(build, x, y, loss="mse",
    ...     n_strengths=3, epochs=3)
    >>> len(path.strengths), path.direction, path.stopping
    (3, 'decreasing', 'convergence')

    References:
        Friedman, Hastie & Tibshirani, "Regularization paths for generalized
        linear models via coordinate descent", J. Stat. Softw. 2010.
    """
    owner = "regularization_path"
    if not callable(build):
        raise invalid_argument(owner, "build", "a function regularizer -> Model", build)
    x, y, n = cross_validation.check_data(x, y, owner)
    template = _check_regularizer(regularizer, owner)
    n_strengths = check_int(n_strengths, "n_strengths", owner, low=1)
    min_ratio = check_float(
        min_ratio, "min_ratio", owner, low=0.0, high=1.0, low_inclusive=False
    )
    epochs = check_int(epochs, "epochs", owner, low=1)
    if batch_size is not None:
        batch_size = check_int(batch_size, "batch_size", owner, low=1)
    patience = check_int(patience, "patience", owner, low=0)
    if warm_patience is None:
        warm_patience = patience
    warm_patience = check_int(warm_patience, "warm_patience", owner, low=0)
    min_delta = check_float(min_delta, "min_delta", owner, low=0.0)
    seed = check_seed(seed, owner)
    sparsity_tol = check_float(sparsity_tol, "sparsity_tol", owner, low=0.0)
    if not isinstance(warm_start, bool):
        raise invalid_argument(owner, "warm_start", "a bool", warm_start)
    direction = check_choice(direction, "direction", owner, DIRECTIONS)
    stopping = check_choice(stopping, "stopping", owner, STOPPING)
    if strengths is not None:
        grid = np.asarray(strengths, dtype="float64")
        if (
            grid.ndim != 1
            or grid.size == 0
            or not np.all(np.isfinite(grid))
            or np.any(grid <= 0)
            or np.any(np.diff(grid) >= 0)
        ):
            raise invalid_argument(
                owner,
                "strengths",
                "a non-empty decreasing sequence of positive floats",
                strengths,
            )
    if max_strength is not None:
        max_strength = check_float(
            max_strength, "max_strength", owner, low=0.0, low_inclusive=False
        )
    if cv is not None:
        cv = cross_validation.check_cv(cv, owner)
        if validation_data is not None:
            raise invalid_argument(
                owner,
                "validation_data",
                "None when cv is given (each fold holds out its own rows)",
                type(validation_data).__name__,
            )
        # The grid comes from all the rows; each fold validates on its own.
        x_train, y_train, x_val, y_val = x, y, None, None
    elif validation_data is None:
        validation_split = check_float(
            validation_split,
            "validation_split",
            owner,
            low=0.0,
            high=1.0,
            low_inclusive=False,
            high_inclusive=False,
        )
        order = np.random.default_rng(seed).permutation(n)
        n_val = max(1, int(round(n * validation_split)))
        if n_val >= n:
            raise invalid_argument(
                owner,
                "validation_split",
                "a fraction leaving training samples",
                validation_split,
            )
        train, val = order[:-n_val], order[-n_val:]
        x_train, y_train = cross_validation.take(x, train), y[train]
        x_val, y_val = cross_validation.take(x, val), y[val]
    else:
        if not isinstance(validation_data, tuple | list) or len(validation_data) != 2:
            raise invalid_argument(
                owner,
                "validation_data",
                "a tuple (x_val, y_val)",
                type(validation_data).__name__,
            )
        x_train, y_train = x, y
        x_val, y_val, _ = cross_validation.check_data(*validation_data, owner)

    default_optimizer = None

    def fresh_model():
        fresh_session()
        keras.utils.set_random_seed(seed)
        reg = copy.deepcopy(template)
        model = build(reg)
        if not isinstance(model, keras.Model):
            raise invalid_argument(
                owner, "build", "a function returning a keras.Model", build
            )
        penalized = [v for v in model.trainable_weights if _uses(v.regularizer, reg)]
        if not penalized:
            raise invalid_argument(
                owner,
                "build",
                "a function that puts the given regularizer on some weight",
                build,
            )
        _compile(model, loss, optimizer or default_optimizer)
        return model, reg, penalized

    def stopper(warm):
        # Convergence is measured in units of the null model's loss, as glmnet
        # measures it against the null deviance: relative to the current loss,
        # a nearly separable logistic fit creeping towards zero loss would
        # never count as converged. Validation improvements stay relative:
        # on null-model units, the warm path of a net on friedman1 (where the
        # loss is a tenth of the null's) stopped early, test R² 0.904
        # against 0.917.
        return EarlyStopping(
            # Keras' epoch ``loss`` is the penalized training objective (in
            # full batch, exactly, at the weights of the epoch's one step).
            monitor="loss" if converge else "val_data_loss",
            mode="min",
            patience=warm_patience if warm else patience,
            min_delta=CONVERGENCE_TOL * null_loss if converge else min_delta,
            min_delta_mode="absolute" if converge else "relative",
            restore_best_weights=True,
        )

    started = time.perf_counter()
    model, reg, penalized = fresh_model()
    if direction == "auto":
        direction = "increasing" if _feeds_weights(model, penalized) else "decreasing"
    # From λ_max down, each fit starts at the previous solution: exact for
    # convex (linear) models. Upwards, as LassoNet: a net whose penalized
    # layer feeds further weights would start at its null model, where the
    # penalized weights are 0 and their gradient is 0 once the unpenalized
    # part has fitted what it can (dead ReLUs; residuals uncorrelated with
    # the inputs), so the hidden layer could never come back.
    from_null = warm_start and direction == "decreasing"
    if stopping == "auto":
        stopping = "convergence" if direction == "decreasing" else "validation"
    converge = stopping == "convergence"
    if batch_size is None:
        # Minibatch noise keeps the objective from settling, and glmnet's
        # solutions are full-batch ones.
        batch_size = min(len(y), FULL_BATCH_ROWS) if converge else 32
    if (
        converge
        and optimizer is None
        and batch_size >= min(len(y), FULL_BATCH_ROWS)
        and not _feeds_weights(model, penalized)
    ):
        # A GLM fitted to convergence in full batch is a smooth convex
        # problem plus a proximable penalty: proximal gradient with Nesterov
        # momentum at step 1/L (as FISTA) settles on the exact solution, where
        # Adam keeps hovering around it and its objective creeps down for
        # hundreds of epochs (measured on breast cancer).
        glm_rate = _glm_rate(model, x_train, y_train)
        if glm_rate is not None:
            from kreg.optimizers import Proximal

            default_optimizer = Proximal(
                keras.optimizers.SGD(glm_rate, momentum=GLM_MOMENTUM, nesterov=True)
            )
            _compile(model, loss, default_optimizer)
    # Proximal gradient settles exactly at its step, so a second phase at a
    # lower rate would only cost its patience; Adam's settles further there.
    phases = LR_PHASES if converge and default_optimizer is None else 1

    def local_rate(x_fit, y_fit):
        if default_optimizer is None:
            return None
        curvature = _Curvature(model, x_fit, y_fit)

        def rate():
            top = curvature.top()
            local = 1.0 / (LOCAL_MARGIN * top) if top else 0.0
            return max(glm_rate, local)

        return rate

    initial_weights = model.get_weights()
    model.optimizer.build(model.trainable_variables)
    initial_state = [np.array(v) for v in model.optimizer.variables]

    def reset():
        model.set_weights(initial_weights)
        for variable, value in zip(model.optimizer.variables, initial_state):
            variable.assign(value)

    def run(
        steps, x_fit, y_fit, x_check, y_check, budget=None, from_start=False, key=None
    ):
        """One path over ``steps``: early stopping on ``(x_check, y_check)``,
        or ``budget[i]`` epochs at the i-th strength (no validation data).
        ``from_start``: start at the initial weights (at the null model when
        going down warm). ``key`` names the fit in ``checkpoint``. Returns
        the rows and kept weights, in fit order."""
        nonlocal model, reg, penalized
        rows, kept = [], []
        if from_start:
            reset()
            if from_null:
                _null_lambda_max(model, reg, penalized, x_fit, y_fit, batch_size)
        saved = checkpoint.done(key) if checkpoint and key else []
        saved = saved[: len(steps)]
        if saved:
            # Resume: the saved strengths as they were, then on from the last
            # one's weights and optimizer state.
            for entry in saved:
                rows.append(tuple(entry["row"]))
                if keep_weights:
                    kept.append(entry["weights"])
            steps = list(steps)[len(rows) :]
            budget = None if budget is None else list(budget)[len(rows) :]
            if not steps:
                return rows, kept
            if warm_start:
                model.set_weights(saved[-1]["weights"])
                for variable, value in zip(
                    model.optimizer.variables, saved[-1]["optimizer"]
                ):
                    variable.assign(value)
                reg.strength = float(saved[-1]["row"][0])
        first_new = len(rows)

        def save_new():
            for index in range(first_new + save_new.count, len(rows)):
                checkpoint.save(
                    key,
                    index,
                    rows[index],
                    model.get_weights(),
                    [np.array(v) for v in model.optimizer.variables],
                )
                save_new.count += 1

        save_new.count = 0

        def record_fit(strength, used, seconds, stronger=(), kept_epochs=None):
            """Records the fit at ``strength``; returns True when it also filled
            in the ``stronger`` ones (a warm path upwards that reached 0).
            ``kept_epochs``: per phase, the epochs up to the weights kept (the
            best ones, with early stopping)."""
            train_loss = float(np.mean(_per_sample_loss(model, x_fit, y_fit)))
            if x_check is None:
                val_loss, val_se = np.nan, np.nan
            else:
                val_losses = _per_sample_loss(model, x_check, y_check)
                val_loss = float(np.mean(val_losses))
                val_se = selection.standard_error(val_losses)
            values = np.concatenate([np.abs(np.asarray(v)).ravel() for v in penalized])
            row = [
                float(strength),
                train_loss,
                val_loss,
                val_se,
                float(penalty(model).total),
                float(np.mean(values <= sparsity_tol)),
                _active_inputs(penalized, sparsity_tol),
                sum(used),
                seconds,
                used,
                used if kept_epochs is None else kept_epochs,
            ]
            rows.append(tuple(row))
            if keep_weights:
                kept.append(model.get_weights())
            if direction != "increasing" or not stronger or np.any(values > 0):
                return False
            # Every penalized weight is 0. If 0 also satisfies the optimality
            # conditions at the next (stronger) strength, it does at all of
            # them, and the other weights, whose loss no longer depends on λ,
            # stay put: the rest of the path is this solution, with no fit.
            bound = _lambda_max(model, reg, penalized, x_fit, y_fit, batch_size)
            if bound is not None and bound > stronger[0]:
                return False
            for value in stronger:
                row[0], row[7], row[8], row[9] = float(value), 0, 0.0, (0,)
                row[10] = (0,)
                rows.append(tuple(row))
                if keep_weights:
                    kept.append(kept[-1])
            return True

        def record(*args, **kwargs):
            filled = record_fit(*args, **kwargs)
            if checkpoint and key:
                save_new()  # at once: a kill loses at most the next strength
            return filled

        def validate(model):
            if converge:
                return {}
            return {
                "val_data_loss": float(
                    np.mean(_per_sample_loss(model, x_check, y_check))
                )
            }

        def fit_steps(steps, steps_budget):
            """Fits ``steps`` (strengths, in order) in one ``model.fit`` call."""
            stepper = _StrengthSteps(
                reg,
                steps,
                phases=phases,
                epochs=epochs,
                budget=steps_budget,
                make_stopper=None if steps_budget else stopper,
                validate=None if steps_budget else validate,
                record=record,
                rate=local_rate(x_fit, y_fit),
            )
            if batch_size >= len(y_fit):
                # Full batch: one step per epoch would be mostly Keras'
                # per-epoch overhead (a new data iterator each epoch), so an
                # epoch is FULL_BATCH_STEPS steps of one repeated batch.
                data = dict(
                    x=tf.data.Dataset.from_tensors((x_fit, y_fit)).repeat(),
                    steps_per_epoch=FULL_BATCH_STEPS,
                    shuffle=False,
                )
            elif len(y_fit) <= SHUFFLED_ROWS:
                # Minibatches: one infinite, reshuffled stream, so that Keras
                # keeps one iterator for the whole path instead of building
                # one per epoch; an epoch is still one pass in a new order.
                rows = len(y_fit)
                data = dict(
                    x=tf.data.Dataset.from_tensor_slices((x_fit, y_fit))
                    .shuffle(rows, seed=seed, reshuffle_each_iteration=True)
                    .batch(batch_size)
                    .repeat(),
                    steps_per_epoch=-(-rows // batch_size),
                    shuffle=False,
                )
            else:
                data = dict(x=x_fit, y=y_fit, batch_size=batch_size)
            model.fit(
                **data,
                epochs=stepper.total_epochs,
                callbacks=[stepper],
                verbose=verbose,
            )

        if warm_start:
            fit_steps(steps, budget)
        else:
            for i, strength in enumerate(steps):
                if i > 0 or from_start or saved:
                    model, reg, penalized = fresh_model()
                fit_steps([strength], None if budget is None else [budget[i]])
        return rows, kept

    # The null model (penalized weights 0, the others fitted) is the solution
    # at λ_max, where glmnet's path starts; its loss is the unit of the
    # stopping tolerances. With cv, λ_max comes from all the rows, as in
    # cv.glmnet, and every fold uses that grid.
    null_strength = _null_lambda_max(
        model, reg, penalized, x_train, y_train, batch_size
    )
    null_loss = float(np.mean(_per_sample_loss(model, x_train, y_train)))
    if not from_null or cv is not None:
        reset()
    if strengths is None:
        if max_strength is None:
            max_strength = null_strength
        if max_strength is None:
            # Zero is a stationary point for every λ (e.g. ReLU units with
            # zero biases): take λ_max at the unpenalized fit instead.
            if x_val is None:
                run([0.0], x_train, y_train, None, None, budget=[(epochs,)])
            else:
                run([0.0], x_train, y_train, x_val, y_val)
            max_strength = _lambda_max(
                model, reg, penalized, x_train, y_train, batch_size
            )
            reset()
        if max_strength is None:
            raise ValueError(
                "regularization_path cannot compute λ_max: the data-loss "
                "gradient of the penalized weights is zero. Pass max_strength=."
            )
        grid = (
            max_strength * np.geomspace(1.0, min_ratio, n_strengths)
            if n_strengths > 1
            else np.array([max_strength])
        )
    order = grid if direction == "decreasing" else grid[::-1]
    setup_seconds = time.perf_counter() - started
    if checkpoint is not None:
        if not isinstance(checkpoint, PathCheckpoint):
            checkpoint = PathCheckpoint(checkpoint)
        # What the saved strengths depend on beyond the grid and the rows.
        checkpoint.start(
            order,
            n,
            repr((direction, stopping, epochs, patience, batch_size, seed, cv)),
        )

    if cv is None:
        rows, kept = run(order, x_train, y_train, x_val, y_val, key="fit")
        folds = None
    else:
        # cv.glmnet: the path on each fold's training rows, scored on its
        # held-out rows; the curve is the fold mean, its standard error the
        # spread of the fold means. Then one path on all the rows, with no
        # data left to stop on, trains each strength for the median number
        # of epochs the folds used there.
        splits = cross_validation.make_splits(y, cv, seed=seed, owner=owner)
        fold_runs = [
            run(
                order,
                cross_validation.take(x, t),
                y[t],
                cross_validation.take(x, v),
                y[v],
                from_start=True,
                key=f"fold_{fold}",
            )
            for fold, (t, v) in enumerate(splits)
        ]
        fold_rows = [rows for rows, _ in fold_runs]
        fold_kept = [kept for _, kept in fold_runs if kept]

        budget = [
            # The epochs up to the weights each fold kept, not the patience
            # it spent after them: the final fit has no validation rows to
            # restore the best weights from (at a strong λ the epochs past a
            # fold's best shrink the model further: wine, test accuracy 0.84
            # against the folds' 1.0).
            _median_phases(
                [fold[i][10 if len(fold[i]) > 10 else 9] for fold in fold_rows]
            )
            for i in range(len(order))
        ]
        rows, kept = run(
            order,
            x,
            y,
            None,
            None,
            budget=None if converge else budget,
            from_start=True,
            key="final",
        )
        folds = np.array([[r[2] for r in f] for f in fold_rows])
        fold_seconds = np.array([[r[8] for r in f] for f in fold_rows]).sum(axis=0)
        rows = [
            (
                *row[:2],
                float(np.mean(folds[:, i])),
                selection.standard_error(folds[:, i]),
                *row[4:8],
                row[8] + fold_seconds[i],
            )
            for i, row in enumerate(rows)
        ]
    rows = [row[:9] for row in rows]
    rows[0] = (*rows[0][:8], rows[0][8] + setup_seconds)
    if cv is None:
        fold_kept = []
    if direction == "increasing":
        rows.reverse()
        kept.reverse()
        for fold in fold_kept:
            fold.reverse()
        if folds is not None:
            folds = folds[:, ::-1]
    columns = [np.asarray(c) for c in zip(*rows)]
    return RegularizationPath(
        strengths=columns[0],
        train_data_loss=columns[1],
        val_data_loss=columns[2],
        val_standard_error=columns[3],
        penalty=columns[4],
        sparsity=columns[5],
        active_inputs=columns[6].astype(int),
        epochs=columns[7].astype(int),
        seconds=columns[8],
        max_strength=float(grid[0]),
        warm_start=warm_start,
        direction=direction,
        stopping=stopping,
        n_inputs=_n_inputs(penalized),
        cv=0 if folds is None else len(folds),
        fold_val_data_loss=folds,
        model=model if keep_weights else None,
        weights=kept,
        regularizer=reg,
        fold_weights=fold_kept,
    )


class _StrengthSteps(keras.callbacks.Callback):
    """Fits one strength after another inside a single ``fit`` call.

    Each strength runs in phases, the learning rate divided by ``1 /
    LR_FACTOR`` from one phase to the next and reset at the next strength
    (to ``rate()`` when given, else to the compiled rate).
    With ``make_stopper``, a phase ends when early stopping on the validation
    data loss fires (the best weights are restored), the last phase ends the
    strength, and a strength gets at most ``epochs`` epochs. Without, ``budget[i]``
    gives the epochs of each phase of the i-th strength. Then ``record(strength,
    phase_epochs, seconds, later_strengths)`` runs (it returns True when it
    recorded the later ones too) and the next strength is set through the
    regularizer's variable. A warm path is thus one ``fit``: on small data
    Keras' set-up of each ``fit`` (data adapter, callbacks, first-epoch
    bookkeeping) costs more than the few epochs a warm start needs.
    """

    def __init__(
        self,
        reg,
        strengths,
        *,
        phases,
        epochs=None,
        budget=None,
        make_stopper=None,
        validate=None,
        record=None,
        rate=None,
    ):
        super().__init__()
        self.rate = rate
        self.validate = validate
        self.reg = reg
        self.strengths = list(strengths)
        self.phases = phases
        self.cap = epochs
        self.budget = budget
        self.make_stopper = make_stopper
        self.record = record

    @property
    def total_epochs(self) -> int:
        if self.budget is not None:
            return int(sum(sum(b) for b in self.budget))
        return self.cap * len(self.strengths)

    def on_train_begin(self, logs=None):
        self.base_rate = float(self.model.optimizer.learning_rate)
        self.index = 0
        self._start()

    def _start(self):
        self.reg.strength = float(self.strengths[self.index])
        if self.rate is not None:
            self.base_rate = self.rate()
        self.used = []
        self.kept = []
        self.started = time.perf_counter()
        self._phase()

    def _phase(self):
        self.model.optimizer.learning_rate = self.base_rate * LR_FACTOR ** len(
            self.used
        )
        self.used.append(0)
        self.stopper = None
        if self.make_stopper is not None:
            # Only the first phase of the first strength of a fit starts cold.
            self.stopper = self.make_stopper(self.index > 0 or len(self.used) > 1)
            self.stopper.set_model(self.model)
            self.stopper.on_train_begin()

    def on_epoch_end(self, epoch, logs=None):
        self.used[-1] += 1
        if self.stopper is not None:
            # The validation data loss by a direct forward pass: Keras' own
            # validation runs ``evaluate`` every epoch, which on small data
            # costs about as much as the epoch's training steps.
            logs = logs if logs is not None else {}
            logs.update(self.validate(self.model))
            # The stopper sees epochs counted from this phase's start.
            self.stopper.on_epoch_end(self.used[-1] - 1, logs)
            out_of_epochs = sum(self.used) >= self.cap
            if not self.model.stop_training and not out_of_epochs:
                return
            self.model.stop_training = False
            self.stopper.on_train_end()  # restores the best weights
            self.kept.append(self.stopper.best_epoch + 1)
            if len(self.used) < self.phases and not out_of_epochs:
                self._phase()
                return
        else:
            planned = self.budget[self.index]
            if self.used[-1] < planned[len(self.used) - 1]:
                return
            while len(self.used) < len(planned):
                self._phase()
                if planned[len(self.used) - 1] > 0:
                    return
        rest = self.strengths[self.index + 1 :]
        if self.record is not None and self.record(
            self.strengths[self.index],
            tuple(self.used),
            time.perf_counter() - self.started,
            rest,
            kept_epochs=tuple(self.kept) if self.stopper is not None else None,
        ):
            self.index += len(rest)  # recorded without fitting
        self.index += 1
        if self.index == len(self.strengths):
            self.model.stop_training = True
            self.model.optimizer.learning_rate = self.base_rate
        else:
            self._start()


def _median_phases(folds) -> tuple:
    """Median epochs per phase over the folds' ``(epochs per phase)`` tuples
    (a phase a fold did not reach counts 0); at least one epoch."""
    phases = max(len(epochs) for epochs in folds)
    padded = np.array([(*epochs, *(0,) * (phases - len(epochs))) for epochs in folds])
    median = [int(np.median(column)) for column in padded.T]
    median[0] = max(1, median[0])
    return tuple(median)


def _feeds_weights(model, penalized) -> bool:
    """Whether a penalized layer's output reaches another layer with weights
    (a hidden layer of a net), following the functional graph."""
    ids = {id(v) for v in penalized}
    owners = [
        layer
        for layer in _compat.flatten_layers(model, include_self=False)
        if any(id(w) in ids for w in layer.trainable_weights)
    ]
    seen = set()
    stack = [op for owner in owners for op in _compat.outbound_operations(owner)]
    while stack:
        operation = stack.pop()
        if id(operation) in seen or operation is model:
            continue
        seen.add(id(operation))
        if getattr(operation, "trainable_weights", None):
            return True
        stack.extend(_compat.outbound_operations(operation))
    return False


def _check_regularizer(regularizer, owner):
    if isinstance(regularizer, str) and regularizer in _KINDS:
        return _KINDS[regularizer](1.0)
    if isinstance(regularizer, regularizers.Regularizer) and not isinstance(
        regularizer, regularizers.Sum
    ):
        return regularizer
    listed = ", ".join(repr(k) for k in _KINDS)
    raise invalid_argument(
        owner,
        "regularizer",
        f"one of {listed} or a kreg regularizer (not a Sum)",
        regularizer,
    )


def _uses(variable_regularizer, reg) -> bool:
    return variable_regularizer is reg


def _compile(model, loss, optimizer):
    """Compiles with kreg's ``DataLoss`` metric; a given ``optimizer`` (a
    fresh copy) replaces a compiled model's."""
    if isinstance(optimizer, keras.optimizers.Optimizer):
        optimizer = keras.optimizers.deserialize(keras.optimizers.serialize(optimizer))
    if model.compiled:
        config = _compat.compile_config(model)
        metrics = config.get("metrics") or []
        changed = optimizer is not None
        if changed:
            config["optimizer"] = optimizer
        if isinstance(metrics, list) and not any(
            isinstance(m, DataLoss) for m in metrics
        ):
            config["metrics"] = [*metrics, DataLoss(config["loss"])]
            changed = True
        if changed:
            model.compile(**config)
        return
    if loss is None:
        raise invalid_argument(
            "regularization_path",
            "loss",
            "a loss when build returns an uncompiled model",
            None,
        )
    if optimizer is None:
        from kreg.optimizers import Proximal

        optimizer = Proximal(keras.optimizers.Adam(2e-2))
    model.compile(optimizer=optimizer, loss=loss, metrics=[DataLoss(loss)])


def _loss_fn(model):
    loss = _compat.compile_config(model)["loss"]
    fn = keras.losses.get(loss)
    if isinstance(fn, keras.losses.Loss):
        return fn.call
    return fn


def _per_sample_loss(model, x, y, rows: int = 4096) -> np.ndarray:
    fn = _loss_fn(model)
    # Direct calls rather than ``predict``: each ``predict`` builds its own
    # data pipeline, which on small data costs more than the forward pass.
    prediction = np.concatenate(
        [
            keras.ops.convert_to_numpy(
                model(cross_validation.take(x, slice(i, i + rows)), training=False)
            )
            for i in range(0, len(y), rows)
        ]
    )
    y = np.asarray(y)
    if y.ndim == prediction.ndim - 1 and prediction.shape[-1] == 1:
        y = y[..., None]
    values = keras.ops.convert_to_numpy(
        fn(keras.ops.convert_to_tensor(y), keras.ops.convert_to_tensor(prediction))
    )
    return values.reshape(len(values), -1).mean(axis=1)


def _n_inputs(penalized) -> int:
    for variable in penalized:
        if len(variable.shape) >= 2:
            return int(variable.shape[-2])
    return 0


def _active_inputs(penalized, tol) -> int:
    """Input features still in use: rows (axis -2) of the penalized kernels
    that read the model's inputs (those with as many rows as the first)."""
    rows = None
    for variable in penalized:
        w = np.abs(np.asarray(variable))
        if w.ndim < 2:
            continue
        axes = tuple(i for i in range(w.ndim) if i != w.ndim - 2)
        used = w.max(axis=axes) > tol
        if rows is None:
            rows = used
        elif used.shape == rows.shape:
            rows = rows | used
    return int(np.sum(rows)) if rows is not None else 0


def _lambda_max(model, reg, penalized, x, y, batch_size) -> float:
    """Smallest strength at which zero penalized weights are optimal, the
    other weights as they are; None when the gradient vanishes."""
    for variable in penalized:
        variable.assign(np.zeros(variable.shape, dtype="float32"))
    fn = _loss_fn(model)
    grads = [np.zeros(v.shape, dtype="float64") for v in penalized]
    n = len(y)
    y = np.asarray(y)
    for start in range(0, n, max(batch_size, 256)):
        stop = min(n, start + max(batch_size, 256))
        xb = cross_validation.take(x, slice(start, stop))
        yb = y[start:stop]
        with tf.GradientTape() as tape:
            prediction = model(xb, training=False)
            target = tf.convert_to_tensor(yb)
            if (
                len(target.shape) == len(prediction.shape) - 1
                and prediction.shape[-1] == 1
            ):
                target = target[..., None]
            value = tf.reduce_mean(fn(tf.cast(target, prediction.dtype), prediction))
        batch = tape.gradient(value, [v.value for v in penalized])
        for total, g in zip(grads, batch):
            if g is not None:
                total += np.asarray(g, dtype="float64") * (stop - start) / n
    bounds = [_bound(reg, g) for g in grads]
    result = max(bounds)
    if not np.isfinite(result) or result <= 1e-12:
        return None
    return float(result)


def _full_batch_loss(model, x, y):
    """``loss()``, the mean data loss on the first ``FULL_BATCH_ROWS`` rows
    (to be called inside a ``tf.function``)."""
    rows = min(len(y), FULL_BATCH_ROWS)
    xb = cross_validation.take(x, slice(0, rows))
    target = tf.convert_to_tensor(np.asarray(y)[:rows])
    fn = _loss_fn(model)

    def loss():
        prediction = model(xb, training=False)
        t = target
        if len(t.shape) == len(prediction.shape) - 1:
            t = t[..., None]
        return tf.reduce_mean(fn(tf.cast(t, prediction.dtype), prediction))

    return loss


class _Curvature:
    """The largest eigenvalue of the data loss's Hessian at the model's
    weights: power iteration on Hessian-vector products (traced once), full
    batch on at most 4096 rows."""

    def __init__(self, model, x, y, iterations: int = 30):
        self.iterations = iterations
        loss = _full_batch_loss(model, x, y)
        variables = model.trainable_variables
        self.variables = variables

        @tf.function(autograph=False)
        def hessian_times(vectors):
            with tf.GradientTape() as outer:
                with tf.GradientTape() as inner:
                    value = loss()
                grads = inner.gradient(value, [v.value for v in variables])
            return outer.gradient(
                grads, [v.value for v in variables], output_gradients=vectors
            )

        self.hessian_times = hessian_times

    def top(self) -> float | None:
        rng = np.random.default_rng(0)
        vectors = [
            tf.constant(rng.normal(size=v.shape), v.dtype) for v in self.variables
        ]
        norm = 0.0
        for _ in range(self.iterations):
            products = self.hessian_times(vectors)
            norm = float(tf.sqrt(sum(tf.reduce_sum(p * p) for p in products)))
            if not np.isfinite(norm) or norm <= 0:
                return None
            vectors = [p / norm for p in products]
        return norm


def _glm_rate(model, x, y) -> float | None:
    """1 / L, L the largest eigenvalue of the data loss's Hessian at all-zero
    weights; None where it is not a positive finite number.

    At zero weights a sigmoid output is at its most uncertain, where the
    curvature of the cross-entropy is largest (the bound ``X'X / 4n``
    exactly); a squared error's curvature is the same anywhere. A softmax
    over k classes is uniform there, with curvature 1/k per row, while two
    classes at 1/2 each reach 1/2: the multinomial bound is k/2 times the
    curvature at zero, so with k outputs L is scaled by ``max(1, k / 2)``.
    """
    saved = model.get_weights()
    for variable in model.trainable_variables:
        variable.assign(np.zeros(variable.shape, dtype=variable.dtype))
    norm = _Curvature(model, x, y).top()
    model.set_weights(saved)
    if norm is None:
        return None
    shape = model.output_shape
    outputs = int(np.prod(shape[1:])) if isinstance(shape, tuple) else 1
    return 1.0 / (norm * max(1.0, outputs / 2))


def _null_lambda_max(model, reg, penalized, x, y, batch_size, steps=300):
    """λ_max at the null model: penalized weights 0, the others fitted.

    For a linear model this is glmnet's λ_max (the intercept-only fit).
    Full-batch Adam on at most 4096 rows; None when the gradient of the
    penalized weights vanishes there.
    """
    for variable in penalized:
        variable.assign(np.zeros(variable.shape, dtype="float32"))
    ids = {id(v) for v in penalized}
    free = [v for v in model.trainable_weights if id(v) not in ids]
    loss = _full_batch_loss(model, x, y)
    if free:
        optimizer = keras.optimizers.Adam(0.05)
        optimizer.build(free)

        @tf.function(autograph=False)
        def step():
            with tf.GradientTape() as tape:
                value = loss()
            grads = tape.gradient(value, [v.value for v in free])
            optimizer.apply(grads, free)

        for _ in range(steps):
            step()
    return _lambda_max(model, reg, penalized, x, y, batch_size)


def _bound(reg, g) -> float:
    factor = (
        None
        if reg.penalty_factor is None
        else np.asarray(reg.penalty_factor, "float64")
    )
    if isinstance(reg, regularizers.GroupLasso):
        axes = group_axes(g.ndim, reg.groups)
        shape = [1 if i in axes else s for i, s in enumerate(g.shape)]
        p = float(np.prod([g.shape[i] for i in axes]))
        f = (
            np.ones(shape)
            if factor is None
            else np.broadcast_to(
                factor.reshape([-1 if s != 1 else 1 for s in shape]), shape
            )
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            if type(reg) is regularizers.SparseGroupLasso:
                return _sparse_group_bound(g, axes, f, p, reg.l1_ratio)
            norms = np.sqrt(np.sum(g**2, axis=axes, keepdims=True))
            ratio = np.where(f > 0, norms / (np.sqrt(p) * f), 0.0)
        return float(np.max(ratio))
    f = np.ones_like(g) if factor is None else np.broadcast_to(factor, g.shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(f > 0, np.abs(g) / f, 0.0)
    if isinstance(reg, regularizers.ElasticNet):
        return float(np.max(ratio)) / max(reg.l1_ratio, _RIDGE_RATIO)
    if isinstance(reg, regularizers.L2):
        return float(np.max(ratio)) / _RIDGE_RATIO
    return float(np.max(ratio))


def _sparse_group_bound(g, axes, f, p, alpha) -> float:
    """Per group, the smallest λ with ||S(g, λαf)|| <= λ(1-α)sqrt(p)f; bisection."""
    if alpha >= 1.0:
        return float(np.max(np.abs(g) / np.maximum(f, 1e-300)))

    def zero_ok(lam):
        shrunk = np.maximum(np.abs(g) - lam * alpha * f, 0.0)
        return (
            np.sqrt(np.sum(shrunk**2, axis=axes, keepdims=True))
            <= lam * (1 - alpha) * np.sqrt(p) * f
        )

    high = np.max(np.abs(g)) / np.maximum(
        np.min(f[f > 0]) if np.any(f > 0) else 1.0, 1e-300
    )
    high = high / min(alpha, 1 - alpha) + 1.0
    low = 0.0
    for _ in range(80):
        mid = 0.5 * (low + high)
        if np.all(zero_ok(mid)):
            high = mid
        else:
            low = mid
    return float(high)


def _py(value):
    return value.item() if hasattr(value, "item") else value

"""The regularization path: a grid of λ below λ_max, warm-started, as glmnet fits it."""

from collections.abc import Callable

import keras
import numpy as np

from kreg._validation import check_choice, check_float, invalid_argument
from kreg.tuning import cross_validation
from kreg.tuning.path.convergence import CONVERGENCE_TOL
from kreg.tuning.path.grid import _check_regularizer
from kreg.tuning.path.result import RegularizationPath
from kreg.tuning.path.run import _PathRun
from kreg.tuning.path.state import _check_numbers, _Options

#: When each strength's fit stops (see :func:`regularization_path`).
STOPPING = ("auto", "validation", "convergence")

#: Orders in which :func:`regularization_path` can fit its strengths.
DIRECTIONS = ("auto", "decreasing", "increasing")

#: How :func:`regularization_path` trains the folds of a cross-validation.
ENGINES = ("auto", "members", "sequential")


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
    tol: float = CONVERGENCE_TOL,
    sparsity_tol: float = 0.0,
    keep_weights: bool = True,
    seed: int = 0,
    checkpoint=None,
    engine: str = "auto",
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
    best weights restored. With ``cv=k``, the k fold paths and the final one
    on all rows train side by side as k + 1 copies of the model in that one
    ``fit`` (see ``engine``).

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
            paths, trained side by side where ``engine`` allows. Defaults to
            `None`.
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
        stopping: when each strength's fit ends. `"convergence"`: as
            glmnet fits each λ to convergence, so that the path is the
            penalized solutions, not early-stopped ones, and needs no
            validation data to fit. A GLM with its default optimizer
            (proximal gradient) has converged when over one epoch no weight
            and no momentum moved by more than ``tol`` times its largest
            weight (or ``tol`` when every weight is below 1), and keeps its
            last weights; other models when the penalized training objective
            (Keras' epoch ``loss``: data loss plus penalty) improves by less
            than ``1e-5`` times the null model's loss (of its best constant
            prediction: the variance of the target for the squared error,
            the entropy of the class frequencies for the cross-entropy) over
            ``patience`` epochs, with the best weights restored.
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
        tol: the convergence tolerance of a GLM fitted with its default
            optimizer at ``stopping="convergence"`` (see ``stopping``). At
            the default its coefficients are its penalized solution's within
            about ``1e-4`` of the largest (tested against scikit-learn's
            ``Lasso`` and ``LogisticRegression``); ``1e-7`` is about the
            float32 rounding of a weight near 1. Defaults to `1e-6`.
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
        engine: how ``cv`` trains its k fold paths and the all-rows path.
            `"members"`: side by side, as k + 1 members of one Keras model:
            ``build`` is called k + 1 times (each call with its own
            regularizer, at the same strength) and the copies, called on one
            input, train in one ``fit`` for the whole warm path (one
            compiled step, one copy of the data), each on its own rows (a
            per-member mask of its training rows in the loss; its held-out
            rows only scored, in inference mode at every epoch end). Each
            member stops on its own (early stopping on its held-out rows, or
            convergence), and a stopped member is frozen (its weights put
            back after every optimizer update, its optimizer state kept as
            it was when it stopped) while the others go on; with early
            stopping, the all-rows member is set back to its weights after
            the folds' median best epoch (at convergence it converges).
            ``kreg.optimizers.Proximal`` thresholds each copy with its own
            regularizer. `"sequential"`: one path after another, one model.
            `"auto"`: `"members"` where it applies, else `"sequential"`. It
            does not apply (`"members"` then raises a ValueError saying why)
            without ``cv``, with ``warm_start=False`` (a fresh model per
            strength), when stopping at convergence with an optimizer other
            than the GLM's default (two learning-rate phases per strength)
            or in minibatches, with ``x`` a list or dict, with an optimizer
            that clips the global gradient norm (``global_clipnorm`` would
            couple the members), or when ``build`` does not make a new model
            with the regularizer on the same weights at each call. The
            results read the same either way; they differ as two trainings
            do: a member's minibatches are its rows among batches of
            ``batch_size * k / (k - 1)`` rows of all the data, its stopping
            reads its held-out rows at the end of the epoch, the members
            share Adam's step count, and the upward path's shortcut for
            strengths past the point where every penalized weight is 0 is
            not taken (they are fitted). The checkpoint then holds one file
            per strength with every member. Defaults to `"auto"`.
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
    numbers = _check_numbers(
        owner,
        n_strengths=n_strengths,
        min_ratio=min_ratio,
        strengths=strengths,
        max_strength=max_strength,
        epochs=epochs,
        batch_size=batch_size,
        patience=patience,
        warm_patience=warm_patience,
        min_delta=min_delta,
        seed=seed,
        sparsity_tol=sparsity_tol,
        tol=tol,
    )
    if not isinstance(warm_start, bool):
        raise invalid_argument(owner, "warm_start", "a bool", warm_start)
    direction = check_choice(direction, "direction", owner, DIRECTIONS)
    stopping = check_choice(stopping, "stopping", owner, STOPPING)
    engine = check_choice(engine, "engine", owner, ENGINES)
    seed = numbers.seed
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

    options = _Options(
        build=build,
        template=template,
        loss=loss,
        optimizer=optimizer,
        epochs=numbers.epochs,
        batch_size=numbers.batch_size,
        patience=numbers.patience,
        warm_patience=numbers.warm_patience,
        min_delta=numbers.min_delta,
        warm_start=warm_start,
        direction=direction,
        stopping=stopping,
        tol=numbers.tol,
        sparsity_tol=numbers.sparsity_tol,
        keep_weights=keep_weights,
        seed=seed,
        verbose=verbose,
        engine=engine,
    )
    run = _PathRun(options, checkpoint, n, x_train, y_train)
    stacked = run.replica_stack(x, y, cv)
    grid = run.grid(
        x_train,
        y_train,
        x_val,
        y_val,
        strengths=numbers.strengths,
        grid_args=(numbers.max_strength, numbers.min_ratio, numbers.n_strengths),
        cv=cv,
    )
    return run.path(grid, x, y, n, x_train, y_train, x_val, y_val, cv, stacked)

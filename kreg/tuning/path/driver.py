"""The regularization path: a grid of λ below λ_max, warm-started, as glmnet fits it."""

import copy
import time
from collections.abc import Callable

import keras
import numpy as np
import tensorflow as tf

from kreg._validation import (
    check_choice,
    check_float,
    check_int,
    check_seed,
    invalid_argument,
)
from kreg.callbacks import EarlyStopping
from kreg.optimizers import Proximal
from kreg.penalty import penalty
from kreg.tuning import cross_validation, selection
from kreg.tuning._session import fresh_session
from kreg.tuning.checkpoint import PathCheckpoint
from kreg.tuning.path.grid import _check_regularizer, _lambda_max, _null_lambda_max
from kreg.tuning.path.model import (
    _active_inputs,
    _compile,
    _feeds_weights,
    _n_inputs,
    _per_sample_loss,
    _uses,
)
from kreg.tuning.path.result import RegularizationPath
from kreg.tuning.path.solver import (
    CONVERGENCE_TOL,
    FULL_BATCH_ROWS,
    FULL_BATCH_STEPS,
    GLM_MOMENTUM,
    LOCAL_MARGIN,
    LR_PHASES,
    SHUFFLED_ROWS,
    _Curvature,
    _glm_rate,
    _median_phases,
    _StrengthSteps,
)

#: When each strength's fit stops (see :func:`regularization_path`).
STOPPING = ("auto", "validation", "convergence")

#: Orders in which :func:`regularization_path` can fit its strengths.
DIRECTIONS = ("auto", "decreasing", "increasing")


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

"""One call of :func:`regularization_path`: its model, its fits and their records.

A path is a few fits over the same strengths, each on its own rows: one on
the training part of a validation split, or one per cross-validation fold and
a final one on all rows. They share one model (warm-started from fit to fit
through :meth:`_PathRun.reset`), one regularizer whose strength the training
callback moves, and one optimizer; :class:`_PathRun` holds that state, a
:class:`_Fit` what one fit has done so far, a :class:`_Record` one strength.
"""

import copy
import dataclasses
import time

import keras
import numpy as np

from kreg._validation import invalid_argument
from kreg.callbacks import EarlyStopping
from kreg.optimizers import Proximal
from kreg.penalty import penalty
from kreg.tuning import cross_validation, selection
from kreg.tuning._session import fresh_session
from kreg.tuning.checkpoint import PathCheckpoint
from kreg.tuning.path import replicas
from kreg.tuning.path.convergence import OBJECTIVE_TOL, SettledStopping
from kreg.tuning.path.grid import _geometric_grid, _lambda_max, _null_lambda_max
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
    FULL_BATCH_ROWS,
    GLM_MOMENTUM,
    LOCAL_MARGIN,
    LR_PHASES,
    _Curvature,
    _glm_rate,
    _median_phases,
    _StrengthSteps,
    _training_data,
)
from kreg.tuning.path.state import _Fit, _Options, _Record

_OWNER = "regularization_path"


class _PathRun:
    """The model, the regularizer and the optimizer every fit of a path shares,
    and the fits over folds and strengths (see :func:`regularization_path`)."""

    def __init__(self, options: _Options, checkpoint, n_rows, x_train, y_train):
        self.options = options
        self.checkpoint = checkpoint
        self.started = time.perf_counter()
        self.default_optimizer = None
        self.glm_rate = None
        self.null_loss = None
        self.fresh_model()
        o = options
        # A penalized layer that feeds another with weights: a hidden layer.
        feeds = _feeds_weights(self.model, self.penalized)
        self.direction = o.direction
        if self.direction == "auto":
            self.direction = "increasing" if feeds else "decreasing"
        # From λ_max down, each fit starts at the previous solution: exact for
        # convex (linear) models. Upwards, as LassoNet: a net whose penalized
        # layer feeds further weights would start at its null model, where the
        # penalized weights are 0 and their gradient is 0 once the unpenalized
        # part has fitted what it can (dead ReLUs; residuals uncorrelated with
        # the inputs), so the hidden layer could never come back.
        self.from_null = o.warm_start and self.direction == "decreasing"
        self.stopping = o.stopping
        if self.stopping == "auto":
            decreasing = self.direction == "decreasing"
            self.stopping = "convergence" if decreasing else "validation"
        self.converge = self.stopping == "convergence"
        self.batch_size = o.batch_size
        if self.batch_size is None:
            # Minibatch noise keeps the objective from settling, and glmnet's
            # solutions are full-batch ones.
            rows = min(n_rows, FULL_BATCH_ROWS)
            self.batch_size = rows if self.converge else 32
        if (
            self.converge
            and o.optimizer is None
            and self.batch_size >= min(n_rows, FULL_BATCH_ROWS)
            and not feeds
        ):
            # A GLM fitted to convergence in full batch is a smooth convex
            # problem plus a proximable penalty: proximal gradient with
            # Nesterov momentum at step 1/L (as FISTA) settles on the exact
            # solution, where Adam keeps hovering around it and its objective
            # creeps down for hundreds of epochs (measured on breast cancer).
            self.glm_rate = _glm_rate(self.model, x_train, y_train)
            if self.glm_rate is not None:
                self.default_optimizer = Proximal(
                    keras.optimizers.SGD(
                        self.glm_rate, momentum=GLM_MOMENTUM, nesterov=True
                    )
                )
                _compile(self.model, o.loss, self.default_optimizer)
        # Proximal gradient settles exactly at its step, so a second phase at
        # a lower rate would only cost its patience; Adam's settles further.
        glm = self.default_optimizer is not None
        self.phases = LR_PHASES if self.converge and not glm else 1
        self.initial_weights = self.model.get_weights()
        self.model.optimizer.build(self.model.trainable_variables)
        self.initial_state = [np.array(v) for v in self.model.optimizer.variables]

    # The model and its starting point.

    def fresh_model(self) -> None:
        """Builds the model anew (a fresh session, the seed set again)."""
        o = self.options
        fresh_session()
        keras.utils.set_random_seed(o.seed)
        reg = copy.deepcopy(o.template)
        model = o.build(reg)
        if not isinstance(model, keras.Model):
            raise invalid_argument(
                _OWNER, "build", "a function returning a keras.Model", o.build
            )
        penalized = [v for v in model.trainable_weights if _uses(v.regularizer, reg)]
        if not penalized:
            raise invalid_argument(
                _OWNER,
                "build",
                "a function that puts the given regularizer on some weight",
                o.build,
            )
        _compile(model, o.loss, o.optimizer or self.default_optimizer)
        self.model, self.reg, self.penalized = model, reg, penalized

    def reset(self) -> None:
        """Back to the initial weights and optimizer state."""
        self.model.set_weights(self.initial_weights)
        for variable, value in zip(self.model.optimizer.variables, self.initial_state):
            variable.assign(value)

    def grid(self, x_train, y_train, x_val, y_val, *, strengths, grid_args, cv):
        """Fits the null model (its loss is the unit of the stopping tolerances)
        and returns the grid: ``strengths`` when given, else glmnet's from
        λ_max (``grid_args``: ``max_strength, min_ratio, n_strengths``)."""
        # The null model (penalized weights 0, the others fitted) is the
        # solution at λ_max, where glmnet's path starts. With cv, λ_max comes
        # from all the rows, as in cv.glmnet, and every fold uses that grid.
        model, reg, penalized = self.model, self.reg, self.penalized
        batch_size = self.batch_size
        null_strength = _null_lambda_max(
            model, reg, penalized, x_train, y_train, batch_size
        )
        self.null_loss = float(np.mean(_per_sample_loss(model, x_train, y_train)))
        if not self.from_null or cv is not None:
            self.reset()
        if strengths is not None:
            return strengths
        max_strength, min_ratio, n_strengths = grid_args
        if max_strength is None:
            max_strength = null_strength
        if max_strength is None:
            # Zero is a stationary point for every λ (e.g. ReLU units with
            # zero biases): take λ_max at the unpenalized fit instead.
            if x_val is None:
                self.fit(_Fit(x_train, y_train), [0.0], budget=[(self.options.epochs,)])
            else:
                self.fit(_Fit(x_train, y_train, x_val, y_val), [0.0])
            max_strength = _lambda_max(
                self.model, self.reg, self.penalized, x_train, y_train, batch_size
            )
            self.reset()
        if max_strength is None:
            raise ValueError(
                "regularization_path cannot compute λ_max: the data-loss "
                "gradient of the penalized weights is zero. Pass max_strength=."
            )
        return _geometric_grid(max_strength, min_ratio, n_strengths)

    # The fits.

    def path(self, grid, x, y, n, x_train, y_train, x_val, y_val, cv, stacked=None):
        """All the fits over ``grid``; the :class:`RegularizationPath`.
        ``stacked``: what :meth:`replica_stack` gave, to train the folds as
        members."""
        o = self.options
        order = grid if self.direction == "decreasing" else grid[::-1]
        setup_seconds = time.perf_counter() - self.started
        if self.checkpoint is not None:
            if not isinstance(self.checkpoint, PathCheckpoint):
                self.checkpoint = PathCheckpoint(self.checkpoint)
            # What the saved strengths depend on beyond the grid and the rows.
            self.checkpoint.start(
                order,
                n,
                repr(
                    (
                        self.direction,
                        self.stopping,
                        o.tol,
                        o.epochs,
                        o.patience,
                        self.batch_size,
                        o.seed,
                        cv,
                        # The members engine saves all folds per strength.
                        *(("members",) if stacked else ()),
                    )
                ),
            )
        folds = []
        if cv is None:
            final = self.fit(_Fit(x_train, y_train, x_val, y_val, key="fit"), order)
        elif stacked:
            folds, final = replicas.replica_fits(
                self, *stacked, order, x, y, self.checkpoint
            )
        else:
            # cv.glmnet: the path on each fold's training rows, scored on its
            # held-out rows; the curve is the fold mean, its standard error the
            # spread of the fold means. Then one path on all the rows, with no
            # data left to stop on, trains each strength for the median number
            # of epochs the folds used there.
            splits = cross_validation.make_splits(y, cv, seed=o.seed, owner=_OWNER)
            take = cross_validation.take
            folds = [
                self.fit(
                    _Fit(take(x, t), y[t], take(x, v), y[v], key=f"fold_{k}"),
                    order,
                    from_start=True,
                )
                for k, (t, v) in enumerate(splits)
            ]
            budget = [
                # The epochs up to the weights each fold kept, not the
                # patience it spent after them: the final fit has no
                # validation rows to restore the best weights from (at a
                # strong λ the epochs past a fold's best shrink the model
                # further: wine, test accuracy 0.84 against the folds' 1.0).
                _median_phases([fold.records[i].kept_epochs for fold in folds])
                for i in range(len(order))
            ]
            final = self.fit(
                _Fit(x, y, key="final"),
                order,
                budget=None if self.converge else budget,
                from_start=True,
            )
        return self._result(grid, final, folds, setup_seconds)

    def replica_stack(self, x, y, cv):
        """``(splits, stack)`` when the folds train as members (see the
        ``engine`` argument), else None; before any training, so that
        ``engine="members"`` fails early where it does not apply."""
        engine = self.options.engine
        if engine == "sequential":
            return None
        reason = (
            "no cross-validation (cv=None): one fit"
            if cv is None
            else replicas.unsupported(self, x)
        )
        if reason is None:
            try:
                return replicas.replica_stack(self, x, y, cv)
            except replicas.Unsupported as error:
                reason = str(error)
        if engine == "members":
            raise invalid_argument(
                _OWNER,
                "engine",
                f'"auto" or "sequential" for this path ({reason})',
                engine,
            )
        return None

    def _result(self, grid, final, folds, setup_seconds) -> RegularizationPath:
        records = [dataclasses.replace(r) for r in final.records]
        fold_losses = None
        if folds:
            fold_losses = np.array(
                [[r.val_data_loss for r in fold.records] for fold in folds]
            )
            fold_seconds = np.array(
                [[r.seconds for r in fold.records] for fold in folds]
            ).sum(axis=0)
            for i, record in enumerate(records):
                record.val_data_loss = float(np.mean(fold_losses[:, i]))
                record.val_standard_error = selection.standard_error(fold_losses[:, i])
                record.seconds = record.seconds + fold_seconds[i]
        records[0].seconds = records[0].seconds + setup_seconds
        kept = final.kept
        fold_kept = [fold.kept for fold in folds if fold.kept]
        if self.direction == "increasing":
            records.reverse()
            kept.reverse()
            for fold in fold_kept:
                fold.reverse()
            if fold_losses is not None:
                fold_losses = fold_losses[:, ::-1]

        def column(name):
            return np.asarray([getattr(r, name) for r in records])

        keep_weights = self.options.keep_weights
        return RegularizationPath(
            strengths=column("strength"),
            train_data_loss=column("train_data_loss"),
            val_data_loss=column("val_data_loss"),
            val_standard_error=column("val_standard_error"),
            penalty=column("penalty"),
            sparsity=column("sparsity"),
            active_inputs=column("active_inputs").astype(int),
            epochs=column("epochs").astype(int),
            seconds=column("seconds"),
            max_strength=float(grid[0]),
            warm_start=self.options.warm_start,
            direction=self.direction,
            stopping=self.stopping,
            n_inputs=_n_inputs(self.penalized),
            cv=0 if fold_losses is None else len(fold_losses),
            fold_val_data_loss=fold_losses,
            model=self.model if keep_weights else None,
            weights=kept,
            regularizer=self.reg,
            fold_weights=fold_kept,
        )

    def fit(self, fit: _Fit, steps, budget=None, from_start=False) -> _Fit:
        """One path over ``steps``: early stopping on ``fit``'s check rows, or
        ``budget[i]`` epochs at the i-th strength. ``from_start``: start at the
        initial weights (at the null model when going down warm). Resumes what
        the checkpoint holds of ``fit.key``. Returns ``fit``, its records in
        fit order."""
        o = self.options
        if from_start:
            self.reset()
            if self.from_null:
                _null_lambda_max(
                    self.model, self.reg, self.penalized, fit.x, fit.y, self.batch_size
                )
        saved = self.checkpoint.done(fit.key) if self.checkpoint and fit.key else []
        saved = saved[: len(steps)]
        if saved:
            # Resume: the saved strengths as they were, then on from the last
            # one's weights and optimizer state.
            for entry in saved:
                fit.records.append(_Record.from_row(entry["row"]))
                if o.keep_weights:
                    fit.kept.append(entry["weights"])
            steps = list(steps)[len(fit.records) :]
            budget = None if budget is None else list(budget)[len(fit.records) :]
            if not steps:
                return fit
            if o.warm_start:
                self.model.set_weights(saved[-1]["weights"])
                for variable, value in zip(
                    self.model.optimizer.variables, saved[-1]["optimizer"]
                ):
                    variable.assign(value)
                self.reg.strength = float(saved[-1]["row"][0])
        fit.first_new = len(fit.records)
        if o.warm_start:
            self._fit_steps(fit, steps, budget)
        else:
            for i, strength in enumerate(steps):
                if i > 0 or from_start or saved:
                    self.fresh_model()
                self._fit_steps(
                    fit, [strength], None if budget is None else [budget[i]]
                )
        return fit

    def _fit_steps(self, fit: _Fit, steps, budget) -> None:
        """Fits ``steps`` (strengths, in order) in one ``model.fit`` call."""
        o = self.options
        stepper = _StrengthSteps(
            self.reg,
            steps,
            phases=self.phases,
            epochs=o.epochs,
            budget=budget,
            make_stopper=None if budget else self._stopper,
            validate=None if budget else lambda model: self._validate(fit, model),
            record=lambda *args, **kwargs: self._record(fit, *args, **kwargs),
            rate=self._local_rate(fit),
        )
        data = _training_data(fit.x, fit.y, self.batch_size, o.seed)
        self.model.fit(
            **data,
            epochs=stepper.total_epochs,
            callbacks=[stepper],
            verbose=o.verbose,
        )

    # What the training callback asks at each strength.

    def _stopper(self, warm: bool) -> EarlyStopping:
        # Convergence is measured in units of the null model's loss, as glmnet
        # measures it against the null deviance: relative to the current loss,
        # a nearly separable logistic fit creeping towards zero loss would
        # never count as converged. Validation improvements stay relative:
        # on null-model units, the warm path of a net on friedman1 (where the
        # loss is a tenth of the null's) stopped early, test R² 0.904
        # against 0.917.
        o, converge = self.options, self.converge
        if converge and self.default_optimizer is not None:
            # A GLM's proximal gradient: until its weights settle.
            return SettledStopping(o.tol)
        return EarlyStopping(
            # Keras' epoch ``loss`` is the penalized training objective (in
            # full batch, exactly, at the weights of the epoch's one step).
            monitor="loss" if converge else "val_data_loss",
            mode="min",
            patience=o.warm_patience if warm else o.patience,
            min_delta=OBJECTIVE_TOL * self.null_loss if converge else o.min_delta,
            min_delta_mode="absolute" if converge else "relative",
            restore_best_weights=True,
        )

    def _validate(self, fit: _Fit, model) -> dict:
        if self.converge:
            return {}
        losses = _per_sample_loss(model, fit.x_check, fit.y_check)
        return {"val_data_loss": float(np.mean(losses))}

    def _local_rate(self, fit: _Fit):
        """With the GLM's default optimizer, ``rate()``: each strength's step,
        the longer of 1/L and 1 / (LOCAL_MARGIN L_w) at its starting weights."""
        if self.default_optimizer is None:
            return None
        curvature = _Curvature(self.model, fit.x, fit.y)

        def rate():
            top = curvature.top()
            local = 1.0 / (LOCAL_MARGIN * top) if top else 0.0
            return max(self.glm_rate, local)

        return rate

    def _record(
        self, fit: _Fit, strength, used, seconds, stronger=(), kept_epochs=None
    ):
        """Records the fit at ``strength`` and saves it at once (a kill loses at
        most the next strength); returns True when it also filled in the
        ``stronger`` ones (a warm path upwards that reached 0)."""
        filled = self._record_fit(fit, strength, used, seconds, stronger, kept_epochs)
        if self.checkpoint and fit.key:
            for index in range(fit.first_new + fit.saved, len(fit.records)):
                self.checkpoint.save(
                    fit.key,
                    index,
                    fit.records[index].row(),
                    self.model.get_weights(),
                    [np.array(v) for v in self.model.optimizer.variables],
                )
                fit.saved += 1
        return filled

    def _record_fit(self, fit: _Fit, strength, used, seconds, stronger, kept_epochs):
        o, model, penalized = self.options, self.model, self.penalized
        train_loss = float(np.mean(_per_sample_loss(model, fit.x, fit.y)))
        if fit.x_check is None:
            val_loss, val_se = np.nan, np.nan
        else:
            val_losses = _per_sample_loss(model, fit.x_check, fit.y_check)
            val_loss = float(np.mean(val_losses))
            val_se = selection.standard_error(val_losses)
        values = np.concatenate([np.abs(np.asarray(v)).ravel() for v in penalized])
        record = _Record(
            strength=float(strength),
            train_data_loss=train_loss,
            val_data_loss=val_loss,
            val_standard_error=val_se,
            penalty=float(penalty(model).total),
            sparsity=float(np.mean(values <= o.sparsity_tol)),
            active_inputs=_active_inputs(penalized, o.sparsity_tol),
            epochs=sum(used),
            seconds=seconds,
            phase_epochs=used,
            kept_epochs=used if kept_epochs is None else kept_epochs,
        )
        fit.records.append(record)
        if o.keep_weights:
            fit.kept.append(model.get_weights())
        if self.direction != "increasing" or not stronger or np.any(values > 0):
            return False
        # Every penalized weight is 0. If 0 also satisfies the optimality
        # conditions at the next (stronger) strength, it does at all of them,
        # and the other weights, whose loss no longer depends on λ, stay put:
        # the rest of the path is this solution, with no fit.
        bound = _lambda_max(model, self.reg, penalized, fit.x, fit.y, self.batch_size)
        if bound is not None and bound > stronger[0]:
            return False
        for value in stronger:
            fit.records.append(
                dataclasses.replace(
                    record,
                    strength=float(value),
                    epochs=0,
                    seconds=0.0,
                    phase_epochs=(0,),
                    kept_epochs=(0,),
                )
            )
            if o.keep_weights:
                fit.kept.append(fit.kept[-1])
        return True

"""A KerasTuner tuner that cross-validates every trial."""

import contextlib
import os
import time

import keras
import keras_tuner
import numpy as np

from kreg import _compat
from kreg._validation import (
    SEED_MAX,
    check_bool,
    check_choice,
    check_float,
    check_int,
    invalid_argument,
)
from kreg.tuning import _distributed, _progress, cross_validation, selection
from kreg.tuning.search_space import regularization_level
from kreg.tuning.tuner import member_folds, sequential_folds
from kreg.tuning.tuner.model import _as_hypermodel, _build
from kreg.tuning.tuner.objective import _make_oracle
from kreg.tuning.tuner.store import (
    _data_key,
    _derive_seed,
    _trial_key,
    _write_json,
    check_project,
)
from kreg.tuning.tuner.trials import (
    _cv_row,
    _refit_epochs,
    _trial_summary,
)


class Tuner(keras_tuner.Tuner):
    """Cross-validates each trial of any KerasTuner oracle.

    Every trial is fitted ``cv`` times, once per fold (stratified for class
    labels, via scikit-learn), each fit with early stopping on the objective
    (kreg's ``EarlyStopping``, best weights restored). The trial's score is
    the mean of the fold scores (each fold's best epoch); the fold scores,
    their standard error and the epochs used are stored with the trial (in
    its metrics and in ``trial_<id>/cv.json``). The objective defaults to the
    unpenalized ``val_data_loss``, never the penalized ``val_loss``.

    The winner is the best mean (``rule="min"``) or, as glmnet's
    ``lambda.1se``, the most regularized trial within one standard error of
    it (``rule="1se"``); :meth:`refit` trains it on all the data for the
    number of epochs cross-validation found.

    A search stopped at any point (even ``kill -9``) resumes with
    ``overwrite=False``: completed trials and folds are kept, and the fold in
    progress continues from its last completed epoch (weights, optimizer and
    early-stopping state are saved after every epoch). The same ``seed``
    gives the same trials and scores. In KerasTuner's distributed mode
    (``KERASTUNER_TUNER_ID``, ``KERASTUNER_ORACLE_IP``,
    ``KERASTUNER_ORACLE_PORT``) the chief serves the oracle and workers run
    trials; a worker silent for ``worker_timeout`` seconds (killed, say) is
    dropped and its trial handed to another worker or marked failed, so the
    search still ends. The gRPC channel has no authentication, so bind the
    chief to a loopback or private address.

    Args:
        hypermodel: a ``keras_tuner.HyperModel``, a function of ``hp``, or a
            plain ``build(regularizer, dropout_rate, ...)`` function (wrapped
            in :class:`kreg.tuning.HyperModel`). Every fit (each fold's, and
            :meth:`refit`) goes through its ``fit(hp, model, x, y, ...)``,
            KerasTuner's hook (``model.fit`` unless overridden), so a
            hypermodel can prepare each fold's rows itself.
        oracle: `"random"`, `"bayesian"`, `"hyperband"`, `"grid"` or a
            ``keras_tuner.Oracle``. Defaults to `"random"`.
        cv: number of folds (>= 2) or a scikit-learn splitter. Defaults to `5`.
        objective: metric name or ``keras_tuner.Objective``. Defaults to
            `None`, i.e. `"val_data_loss"` (minimized).
        max_trials: trials to run (named oracles). Defaults to `10`.
        max_epochs: the most epochs of any fit: the largest epoch budget of
            `"hyperband"` (10 when `None`), and for the other oracles a cap
            on the ``epochs`` given to :meth:`search`. Defaults to `None`.
        folds_as_members: fit a trial's folds as the members of one stacked
            model (``kreg.members``), in one ``fit`` on every row, each member
            masked to its fold's training rows and scored on its validation
            rows in the same forward pass, each stopped on its own. The
            hypermodel must have ``build_members(hp, members)`` returning a
            compiled ``kreg.members.MemberModel`` (as
            :func:`kreg.tuning.tabular_hypermodel`'s has); the objective must
            be `"val_data_loss"`. A hypermodel whose own ``fit`` prepares
            each fold's rows also needs ``prepare_members(hp, x, y, splits)``
            returning the stacked fit's ``(x, y)`` (a member axis where the
            members' data differ). Batches hold about ``batch_size``
            training rows of each member. The records are the sequential
            folds'. Defaults to `False` (one fit per fold).
        worker_timeout: in KerasTuner's distributed mode, the seconds after
            which the chief gives up on a silent worker (killed, its machine
            gone): its running trial goes to another worker, or is marked
            failed when none is left. Workers send a heartbeat every quarter
            of it. Defaults to `60.0`.
        max_consecutive_failed_trials: the search stops (KerasTuner's
            ``RuntimeError``) after this many failed trials in a row; a
            diverging (non-finite) trial is a failed trial. Defaults to `3`.
        seed: seed of the folds and of every fit; the oracle gets
            ``seed + 1`` (KerasTuner reads 0 as no seed). Defaults to `None`
            (the oracle's own random seed).
        stratify: `"auto"` (stratify class labels), `True` or `False`.
            Defaults to `"auto"`.
        loss: loss to compile with when ``build`` returns an uncompiled model.
            Defaults to `None`.
        optimizer: optimizer for uncompiled models. Defaults to `"adam"`.
        metrics: extra metrics for uncompiled models. Defaults to `None`.
        patience: early-stopping patience in epochs; `None` switches early
            stopping off. Defaults to `5`.
        level: function ``hp -> float`` telling how strongly a trial
            regularizes, for ``rule="1se"``. Defaults to
            :func:`kreg.tuning.regularization_level`.
        directory: the projects' folder. Defaults to `None` (``"."``).
        project_name: the project's name. Defaults to `None`.
        overwrite: start afresh instead of resuming. Defaults to `False`.
        **kwargs: further ``keras_tuner.Tuner`` arguments.

    Example:

    >>> def build(regularizer):
    ...     return keras.Sequential([keras.Input((3,)),
    ...         keras.layers.Dense(1, kernel_regularizer=regularizer)])
    >>> x = np.random.default_rng(0).normal(size=(40, 3)).astype("float32")
    >>> y = x @ np.array([1.0, 0.0, -1.0], "float32")
    >>> import tempfile
    >>> tuner = kreg.tuning.Tuner(build, loss="mse", cv=2, max_trials=1,
    ...     seed=1, directory=tempfile.mkdtemp(), project_name="doc")
    >>> tuner.search(x, y, epochs=1, verbose=0)
    >>> sorted(tuner.cv_results()[0])  # doctest: +NORMALIZE_WHITESPACE
    ['epochs', 'fold_scores', 'hyperparameters', 'level', 'mean',
     'standard_error', 'status', 'trial_id']
    >>> model = tuner.refit(x, y, rule="1se")
    """

    def __init__(
        self,
        hypermodel,
        *,
        oracle="random",
        cv=5,
        objective=None,
        max_trials: int = 10,
        max_epochs: int | None = None,
        seed: int | None = None,
        stratify="auto",
        loss=None,
        optimizer="adam",
        metrics=None,
        patience: int | None = 5,
        level=None,
        directory=None,
        project_name=None,
        overwrite: bool = False,
        max_consecutive_failed_trials: int = 3,
        worker_timeout: float = 60.0,
        folds_as_members: bool = False,
        **kwargs,
    ):
        owner = "Tuner"
        hypermodel = _as_hypermodel(hypermodel)
        self.folds_as_members = check_bool(folds_as_members, "folds_as_members", owner)
        # A truthy "no" must not delete a project: only a real bool counts.
        overwrite = check_bool(overwrite, "overwrite", owner)
        max_failed = check_int(
            max_consecutive_failed_trials,
            "max_consecutive_failed_trials",
            owner,
            low=1,
        )
        self.worker_timeout = check_float(
            worker_timeout, "worker_timeout", owner, low=0.0, low_inclusive=False
        )
        self.cv = cross_validation.check_cv(cv, owner)
        self.stratify = check_choice(stratify, "stratify", owner, ("auto", True, False))
        if patience is not None:
            patience = check_int(patience, "patience", owner, low=0)
        self.patience = patience
        if seed is not None:
            # seed + 1 seeds the oracle, so the bound is one lower.
            seed = check_int(seed, "seed", owner, low=0, high=SEED_MAX - 1)
        if level is not None and not callable(level):
            raise invalid_argument(owner, "level", "a function hp -> float", level)
        self.level = level or regularization_level
        self._loss = loss
        self._optimizer = optimizer
        self._metrics = list(metrics or [])
        if max_epochs is not None:
            max_epochs = check_int(max_epochs, "max_epochs", owner, low=1)
        # Every oracle honours it: hyperband's largest budget, and for the
        # others a cap on search's epochs (never accepted and ignored).
        self.max_epochs = max_epochs
        oracle = _make_oracle(
            oracle,
            objective,
            max_trials=max_trials,
            max_epochs=max_epochs,
            seed=seed,
            max_failed=max_failed,
            owner=owner,
        )
        if self.folds_as_members:
            member_folds.check_tuner(hypermodel, oracle.objective.name, owner)
        directory = "." if directory is None else directory
        project_name = project_name or "untitled_project"
        is_worker = _compat.has_chief_oracle() and not _compat.is_chief_oracle()
        if not overwrite and not is_worker:
            # Workers skip it: the chief owns (and may be writing) these files.
            check_project(os.path.join(str(directory), project_name))
        super().__init__(
            oracle=oracle,
            hypermodel=hypermodel,
            directory=directory,
            project_name=project_name,
            overwrite=overwrite,
            **kwargs,
        )
        if seed is not None:
            self.seed = seed
        else:  # the oracle's own (random) seed, kept in oracle.json
            self.seed = 0 if self._is_worker() else int(self.oracle.seed)
        self._splits = None

    # ----------------------------------------------------------------- search
    @property
    def objective(self) -> keras_tuner.Objective:
        """The objective trials are scored on."""
        return self.oracle.objective

    def search(
        self,
        x,
        y,
        *,
        epochs: int = 20,
        batch_size: int = 32,
        callbacks=None,
        verbose=1,
        sample_weight=None,
        **fit_kwargs,
    ) -> None:
        """Runs the search; every argument is checked before any training.

        Args:
            x: inputs: an array or a list/dict of arrays (no ``tf.data``).
            y: targets, one row per sample.
            epochs: the most epochs of each fit. Defaults to `20`.
            batch_size: batch size. Defaults to `32`.
            callbacks: extra Keras callbacks, deep-copied for each fit.
                Defaults to `None`.
            verbose: `0`: silent; `1`: one line per trial (its time, score
                with standard error, the best so far and its
                hyperparameters); `2`: also KerasTuner's display and one line
                per epoch of every fit. Defaults to `1`.
            sample_weight: optional per-sample weights, split with the rows.
            **fit_kwargs: further ``model.fit`` arguments (not
                ``validation_data`` nor ``validation_split``: the folds are
                the validation data).
        """
        owner = "Tuner.search"
        for name in ("validation_data", "validation_split"):
            if fit_kwargs.get(name) is not None:
                raise invalid_argument(
                    owner,
                    name,
                    "None (cross-validation makes the validation folds)",
                    fit_kwargs[name],
                )
            fit_kwargs.pop(name, None)
        if self.folds_as_members:
            member_folds.check_search(sample_weight, fit_kwargs, owner)
        x, y, n = cross_validation.check_data(x, y, owner)
        if sample_weight is not None:
            _, sample_weight, _ = cross_validation.check_data(
                x, sample_weight, owner, y_name="sample_weight"
            )
        epochs = check_int(epochs, "epochs", owner, low=1)
        if self.max_epochs is not None:
            epochs = min(epochs, self.max_epochs)
        batch_size = check_int(batch_size, "batch_size", owner, low=1)
        self._trial_lines = check_int(verbose, "verbose", owner, low=0) >= 1
        # Level 1 is kreg's trial lines alone; Keras' and KerasTuner's from 2.
        verbose = verbose if verbose >= 2 else 0
        callbacks = list(callbacks or [])
        self._deepcopy_callbacks(callbacks)
        self._splits = cross_validation.make_splits(
            y, self.cv, stratify=self.stratify, seed=self.seed, owner="Tuner"
        )
        self._data_key = _data_key(x, y, self._splits)
        if _compat.is_chief_oracle():
            self.oracle.verbose = verbose
            self.save()
            _distributed.serve(self.oracle, self.worker_timeout)
            return
        heartbeat = None
        if _compat.has_chief_oracle():
            heartbeat = _distributed.Heartbeat(self.oracle, self.worker_timeout / 4)
        self._heartbeat = heartbeat
        with heartbeat or contextlib.nullcontext():
            super().search(
                x,
                y,
                epochs=epochs,
                batch_size=batch_size,
                callbacks=callbacks,
                verbose=verbose,
                sample_weight=sample_weight,
                fit_kwargs=fit_kwargs,
            )

    def on_trial_begin(self, trial):
        super().on_trial_begin(trial)
        if getattr(self, "_heartbeat", None) is not None:
            self._heartbeat.trial_id = trial.trial_id
        self._trial_start = time.monotonic()

    def on_trial_end(self, trial):
        if getattr(self, "_heartbeat", None) is not None:
            self._heartbeat.trial_id = None
        super().on_trial_end(trial)
        if getattr(self, "_trial_lines", False):
            seconds = time.monotonic() - getattr(self, "_trial_start", time.monotonic())
            print(_progress.trial_line(self.oracle, trial, seconds), flush=True)

    def run_trial(
        self,
        trial,
        x,
        y,
        *,
        epochs,
        batch_size,
        callbacks,
        verbose,
        sample_weight,
        fit_kwargs,
    ):
        hp = trial.hyperparameters
        # Hyperband hands each trial its epoch budget.
        epochs = int(hp.values.get("tuner/epochs", epochs))
        trial_dir = self.get_trial_dir(trial.trial_id)
        key = _trial_key(hp.values, self._data_key)
        if self.folds_as_members:
            folds = member_folds.run_member_folds(
                self,
                trial,
                x,
                y,
                trial_dir=trial_dir,
                key=key,
                epochs=epochs,
                batch_size=batch_size,
                callbacks=callbacks,
                verbose=verbose,
            )
            return self._summarize(trial, trial_dir, folds)
        folds = []
        for fold, (train, val) in enumerate(self._splits):
            folds.append(
                self._run_fold(
                    trial,
                    fold,
                    train,
                    val,
                    x,
                    y,
                    sample_weight,
                    trial_dir=trial_dir,
                    key=key,
                    epochs=epochs,
                    batch_size=batch_size,
                    callbacks=callbacks,
                    verbose=verbose,
                    fit_kwargs=fit_kwargs,
                )
            )
        return self._summarize(trial, trial_dir, folds)

    def _summarize(self, trial, trial_dir, folds):
        summary, metrics = _trial_summary(trial, folds, self.objective, self.tuner_id)
        _write_json(os.path.join(trial_dir, "cv.json"), summary)
        return metrics

    def _run_fold(self, trial, fold, *args, **kwargs):
        return sequential_folds.run_fold(self, trial, fold, *args, **kwargs)

    # ----------------------------------------------------------------- models
    def _build_model(self, hp, seed: int) -> keras.Model:
        return _build(
            self.hypermodel,
            hp,
            seed,
            self.objective.name,
            loss=self._loss,
            optimizer=self._optimizer,
            metrics=self._metrics,
        )

    def _try_build(self, hp):
        return self._build_model(hp, self.seed)

    def load_model(self, trial):
        raise keras_tuner.errors.FatalValueError(
            "kreg.tuning.Tuner keeps no model per trial (each trial is "
            "cross-validated); use tuner.refit(x, y) to train the chosen one."
        )

    def refit(
        self,
        x,
        y,
        *,
        rule: str = "min",
        epochs: int | None = None,
        batch_size: int = 32,
        verbose=0,
        **fit_kwargs,
    ) -> keras.Model:
        """Trains the chosen trial's model on all of ``x, y``.

        Args:
            x: inputs.
            y: targets.
            rule: `"min"` or `"1se"`. Defaults to `"min"`.
            epochs: epochs to train. Defaults to `None`: the median, over
                the folds, of the best epoch found by cross-validation.
            batch_size: batch size. Defaults to `32`.
            verbose: Keras verbosity. Defaults to `0`.
            **fit_kwargs: further ``model.fit`` arguments.

        Returns:
            The trained model.
        """
        owner = "Tuner.refit"
        x, y, _ = cross_validation.check_data(x, y, owner)
        trial = self.best_trial(rule)
        if epochs is None:
            epochs = _refit_epochs(trial, self.get_trial_dir(trial.trial_id))
        epochs = check_int(epochs, "epochs", owner, low=1)
        model = self._build_model(
            trial.hyperparameters, _derive_seed(self.seed, "refit", 0)
        )
        self.hypermodel.fit(
            trial.hyperparameters,
            model,
            x,
            y,
            epochs=epochs,
            batch_size=batch_size,
            verbose=verbose,
            **fit_kwargs,
        )
        return model

    def refit_epochs(self, trial_id: str) -> int:
        """Epochs :meth:`refit` trains a trial for: the median over the folds
        of their best epochs.

        Args:
            trial_id: a finished trial's id.
        """
        trial = self.oracle.get_trial(trial_id)
        return _refit_epochs(trial, self.get_trial_dir(trial_id))

    # -------------------------------------------------------------- results
    def cv_results(self) -> list[dict]:
        """Per trial: fold scores, their mean and standard error, epochs, level.

        Trials are in id order; unfinished or failed trials have NaN means.
        """
        k = len(self._splits) if self._splits is not None else None
        return [
            _cv_row(self.oracle.trials[trial_id], self.objective.name, k, self.level)
            for trial_id in sorted(self.oracle.trials)
        ]

    def best_trial(self, rule: str = "min"):
        """The chosen trial: best mean (`"min"`) or the one-standard-error rule."""
        rule = check_choice(rule, "rule", "Tuner.best_trial", selection.RULES)
        rows = [r for r in self.cv_results() if np.isfinite(r["mean"])]
        if not rows:
            raise keras_tuner.errors.FatalValueError(
                "No completed trial yet: run tuner.search(x, y) first."
            )
        index = selection.select(
            [r["mean"] for r in rows],
            [r["standard_error"] for r in rows],
            [r["level"] for r in rows],
            rule=rule,
            direction=self.objective.direction,
        )
        return self.oracle.get_trial(rows[index]["trial_id"])

    def best_hyperparameters(self, rule: str = "min") -> keras_tuner.HyperParameters:
        """The chosen trial's hyperparameters (`"min"` or `"1se"`)."""
        return self.best_trial(rule).hyperparameters

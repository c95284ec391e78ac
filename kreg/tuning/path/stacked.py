"""The cross-validated λ path of a tabular model, its folds trained as members.

``regularization_path(build, x, y, cv=k)`` fits k + 1 warm paths one after
another: each fold's, then one on all rows. Here, at each strength, the k
fold fits and the all-rows fit are k + 1 members of one
``kreg.members.MemberModel`` (one copy of the data, a per-member row mask),
trained in one ``fit`` for the whole path; each member carries its weights
and optimizer state to the next strength exactly as its own path would.
"""

import copy
import dataclasses
import time

import keras
import numpy as np
import tensorflow as tf

from kreg import members as mem
from kreg._validation import (
    check_float,
    check_int,
    check_seed,
    invalid_argument,
)
from kreg.members.losses import member_losses
from kreg.tuning import cross_validation, selection
from kreg.tuning._session import fresh_session
from kreg.tuning.checkpoint import PathCheckpoint
from kreg.tuning.path.grid import _check_regularizer, _null_lambda_max
from kreg.tuning.path.model import (
    _active_inputs,
    _compile,
    _feeds_weights,
    _n_inputs,
)
from kreg.tuning.path.result import RegularizationPath
from kreg.tuning.path.solver import (
    CONVERGENCE_TOL,
    FULL_BATCH_ROWS,
    FULL_BATCH_STEPS,
    GLM_MOMENTUM,
    LOCAL_MARGIN,
    _glm_rate,
    _median_phases,
)

#: The fit key of a stacked path's saved strengths (all members in one file).
KEY = "members"


@dataclasses.dataclass
class Spec:
    """What the stacked path needs besides the data: the tabular model."""

    task: str
    n_outputs: int
    units: int
    depth: int
    dropout: float
    select_inputs: bool


def supported(spec: Spec, n_rows: int, arguments: dict) -> bool:
    """Whether :func:`stacked_path` fits this path (else the caller runs
    ``regularization_path``): the default optimizers and stopping rules of
    the tabular model (a GLM to convergence with proximal gradient in full
    batch, a net early-stopped from the weakest strength up), warm-started."""
    if not arguments.get("warm_start", True):
        return False
    direction = arguments.get("direction", "auto")
    stopping = arguments.get("stopping", "auto")
    natural = "increasing" if spec.units else "decreasing"
    if direction not in ("auto", natural) or stopping not in (
        "auto",
        "validation" if spec.units else "convergence",
    ):
        return False
    if spec.units:
        return True
    # A GLM's proximal gradient needs the full batch.
    batch_size = arguments.get("batch_size")
    return n_rows <= FULL_BATCH_ROWS and (batch_size is None or batch_size >= n_rows)


def stacked_path(
    build,
    x,
    y,
    *,
    spec: Spec,
    regularizer,
    cv,
    n_strengths: int = 20,
    min_ratio: float = 1e-3,
    strengths=None,
    max_strength: float | None = None,
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
    """``regularization_path(build, x, y, cv=cv, ...)`` with its k fold fits
    and its all-rows fit trained as k + 1 members of one stacked model.

    ``build(regularizer)`` is ``tabular_model`` with the shape in ``spec``;
    arguments as :func:`regularization_path` (checked by the caller, which
    calls this only where :func:`supported` says so). Returns the same
    :class:`RegularizationPath`.
    """
    del warm_start, direction, stopping  # one meaning each, see supported()
    owner = "regularization_path"  # the same arguments, the same messages
    n_strengths = check_int(n_strengths, "n_strengths", owner, low=1)
    min_ratio = check_float(
        min_ratio, "min_ratio", owner, low=0.0, high=1.0, low_inclusive=False
    )
    epochs = check_int(epochs, "epochs", owner, low=1)
    if batch_size is not None:
        batch_size = check_int(batch_size, "batch_size", owner, low=1)
    patience = check_int(patience, "patience", owner, low=0)
    warm_patience = patience if warm_patience is None else warm_patience
    warm_patience = check_int(warm_patience, "warm_patience", owner, low=0)
    min_delta = check_float(min_delta, "min_delta", owner, low=0.0)
    seed = check_seed(seed, owner)
    sparsity_tol = check_float(sparsity_tol, "sparsity_tol", owner, low=0.0)
    if strengths is not None:
        strengths = np.asarray(strengths, dtype="float64")
        if (
            strengths.ndim != 1
            or strengths.size == 0
            or not np.all(np.isfinite(strengths))
            or np.any(strengths <= 0)
            or np.any(np.diff(strengths) >= 0)
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
    n = len(y)
    started = time.perf_counter()
    fresh_session()
    keras.utils.set_random_seed(seed)
    template = _check_regularizer(regularizer, "regularization_path")
    reg = copy.deepcopy(template)
    model = build(reg)
    penalized = [v for v in model.trainable_weights if v.regularizer is reg]
    _compile(model, None, None)
    feeds = _feeds_weights(model, penalized)
    converge = not feeds
    if batch_size is None:
        batch_size = min(n, FULL_BATCH_ROWS) if converge else 32
    stack_batch = batch_size
    glm_rate = None
    if converge:
        glm_rate = _glm_rate(model, x, y)
        if glm_rate is None:
            raise ValueError("The stacked path needs a GLM with a finite curvature.")
        from kreg.optimizers import Proximal

        # The single model as regularization_path leaves it (best_model).
        _compile(
            model,
            None,
            Proximal(
                keras.optimizers.SGD(glm_rate, momentum=GLM_MOMENTUM, nesterov=True)
            ),
        )
    initial_weights = model.get_weights()
    if strengths is not None:
        grid = np.asarray(strengths, dtype="float64")
    else:
        if max_strength is None:
            max_strength = _null_lambda_max(model, reg, penalized, x, y, batch_size)
        if max_strength is None:
            raise ValueError(
                "The stacked path cannot compute λ_max: the data-loss gradient "
                "of the penalized weights is zero. Pass max_strength=."
            )
        grid = (
            max_strength * np.geomspace(1.0, min_ratio, n_strengths)
            if n_strengths > 1
            else np.array([max_strength])
        )
    order = grid if converge else grid[::-1]
    splits = cross_validation.make_splits(y, cv, seed=seed, owner="tabular_path")
    k = len(splits)
    if not converge:
        # A fold member's rows are about (k-1)/k of each batch: batches of
        # batch_size k/(k-1) give it the batches (and the steps per epoch)
        # of its own fit.
        stack_batch = int(round(batch_size * k / (k - 1)))
    roles = np.concatenate(
        [mem.split_roles(splits, n), np.full((n, 1), mem.TRAIN, "int8")], axis=1
    )

    data = _data(x, y, roles, stack_batch, seed, converge)
    stack = _Stack(spec, template, k + 1, model, n)
    stack.y = tf.constant(y)
    if converge:
        stack.compile_sgd(data["steps_per_epoch"])
        stack.start_at_null(splits, y)
        # Convergence in units of each member's null loss on its own rows (as
        # each fold of cv.glmnet is a glmnet fit of its own): no member's
        # stopping reads another's rows, its validation rows included.
        train = roles == mem.TRAIN
        losses = stack.row_losses(tf.constant(x))
        null_loss = (losses * train).sum(axis=0) / np.maximum(train.sum(axis=0), 1)
    else:
        stack.compile_like(model, data["steps_per_epoch"])
        stack.set_all(initial_weights)
    setup_seconds = time.perf_counter() - started

    listener = None
    if checkpoint is not None:
        if not isinstance(checkpoint, PathCheckpoint):
            checkpoint = PathCheckpoint(checkpoint)
        listener, checkpoint.listener = checkpoint.listener, None
        checkpoint.start(
            order,
            n,
            repr(("stacked", converge, epochs, patience, batch_size, seed, cv)),
        )
    steps = _Steps(
        stack,
        model,
        reg,
        penalized,
        order,
        x=x,
        y=y,
        roles=roles,
        splits=splits,
        converge=converge,
        epochs=epochs,
        patience=patience,
        warm_patience=warm_patience,
        min_delta=CONVERGENCE_TOL * null_loss if converge else min_delta,
        glm_rate=glm_rate,
        sparsity_tol=sparsity_tol,
        keep_weights=keep_weights,
        checkpoint=checkpoint,
        listener=listener,
    )
    steps.resume()
    if steps.index < len(order):
        stack.model.fit(
            **data,
            epochs=epochs * (len(order) - steps.index),
            callbacks=[steps],
            verbose=verbose,
        )
    return _result(steps, model, reg, penalized, grid, converge, setup_seconds)


def _data(x, y, roles, batch_size, seed, full_batch) -> dict:
    if full_batch:
        # As regularization_path: an epoch of one repeated full batch.
        return dict(
            x=tf.data.Dataset.from_tensors((x, y, roles)).repeat(),
            steps_per_epoch=FULL_BATCH_STEPS,
            shuffle=False,
        )
    rows = len(y)
    return dict(
        x=tf.data.Dataset.from_tensor_slices((x, y, roles))
        .shuffle(rows, seed=seed, reshuffle_each_iteration=True)
        .batch(batch_size)
        .repeat(),
        steps_per_epoch=-(-rows // batch_size),
        shuffle=False,
    )


class _Stack:
    """The stacked model and the map from its weights to the single model's."""

    def __init__(self, spec, template, members, single, n_rows):
        self.members = members
        reg = mem.stack_regularizer(copy.deepcopy(template), members)
        self.reg = reg
        self.model = mem.stacked_tabular_model(
            reg,
            spec.dropout,
            members=members,
            n_features=int(single.input_shape[-1]),
            n_outputs=spec.n_outputs,
            task=spec.task,
            units=spec.units,
            depth=spec.depth,
            select_inputs=spec.select_inputs,
        )
        by_path = {v.path: v for v in self.model.trainable_variables}
        # The stacked variable of each of the single model's weights.
        self.sources = [by_path[v.path] for v in single.weights]
        self.variables = self.model.trainable_variables
        self.task = spec.task
        self.n_rows = n_rows
        self.y = None  # the targets, for row_losses
        self._row_losses = None

    def compile_sgd(self, steps: int):
        """Proximal gradient with the path's momentum; each member's step is
        ``model.scale`` (rate 1 here). ``steps``: steps per epoch, run in one
        call (the callbacks act at epoch ends only)."""
        from kreg.optimizers import Proximal

        self.model.compile(
            Proximal(keras.optimizers.SGD(1.0, momentum=GLM_MOMENTUM, nesterov=True)),
            steps_per_execution=steps,
        )
        self._build_optimizer()

    def compile_like(self, single, steps: int):
        optimizer = keras.optimizers.deserialize(
            keras.optimizers.serialize(single.optimizer)
        )
        self.model.compile(optimizer, steps_per_execution=steps)
        self._build_optimizer()

    def _build_optimizer(self):
        self.model.optimizer.build(self.variables)
        self.slots = [
            v
            for v in self.model.optimizer.variables
            if len(v.shape) >= 1 and v.shape[0] == self.members
        ]

    def set_all(self, weights):
        """Every member gets the single model's ``weights``."""
        for source, value in zip(self.sources, weights):
            source.assign(np.broadcast_to(value, source.shape))

    def start_at_null(self, splits, y):
        """Each member at its null model on its training rows: penalized
        kernel 0, the intercept of the best constant prediction (what
        ``regularization_path`` fits at the start of a GLM's path)."""
        linear = self.model.get_layer("linear")
        linear.kernel.assign(np.zeros(linear.kernel.shape, "float32"))
        rows = [train for train, _ in splits] + [np.arange(self.n_rows)]
        bias = np.stack([_intercept(self.task, y[r], linear.units) for r in rows])
        linear.bias.assign(bias.astype("float32"))

    def values(self) -> list:
        return [v.numpy() for v in self.variables]

    def row_losses(self, x) -> np.ndarray:
        """Every row's data loss for every member, ``(rows, members)``, in
        inference mode: one forward pass (traced once)."""
        if self._row_losses is None:
            model, task, y = self.model, self.task, self.y

            @tf.function(autograph=False)
            def row_losses(x):
                return member_losses(task, y, model(x, training=False))

            self._row_losses = row_losses
        return np.asarray(self._row_losses(x), "float64")

    def slot_values(self) -> list:
        return [v.numpy() for v in self.slots]

    def single_weights(self, member: int, values=None) -> list:
        """Member ``member``'s weights, as the single model's ``set_weights``."""
        if values is None:
            return [np.array(source[member]) for source in self.sources]
        index = {id(v): i for i, v in enumerate(self.variables)}
        return [np.array(values[index[id(s)]][member]) for s in self.sources]

    def put(self, member, values, slots=None):
        """Writes member ``member``'s slice of ``values`` (and of ``slots``)."""
        for variable, value in zip(self.variables, values):
            _assign_member(variable, member, value[member])
        if slots is not None:
            for variable, value in zip(self.slots, slots):
                _assign_member(variable, member, value[member])


def _assign_member(variable, member, value):
    values = variable.numpy()
    values[member] = value
    variable.assign(values)


def _intercept(task, y, outputs):
    if task == "regression":
        return np.mean(np.asarray(y, "float64").reshape(len(y), -1), axis=0)
    if task == "binary":
        p = np.clip(np.mean(y), 1e-6, 1 - 1e-6)
        return np.array([np.log(p / (1 - p))])
    counts = np.bincount(np.ravel(y).astype(int), minlength=outputs)[:outputs]
    return np.log(np.maximum(counts, 1) / counts.sum())


class _Curvature:
    """Each member's largest eigenvalue of its data loss's Hessian (on its
    training rows, at its weights): one power iteration per member at once,
    the blocks of the stack's Hessian being the members'."""

    def __init__(self, stack, x, y, roles, iterations: int = 30):
        self.iterations = iterations
        self.members = stack.members
        variables = stack.variables
        self.variables = variables
        model, task = stack.model, stack.task
        x = tf.constant(x)
        y = tf.constant(y)
        train = tf.cast(tf.constant(roles) == mem.TRAIN, "float32")
        count = tf.maximum(tf.reduce_sum(train, axis=0), 1.0)

        def loss():
            losses = member_losses(task, y, model(x, training=False))
            return tf.reduce_sum(tf.reduce_sum(losses * train, axis=0) / count)

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

    def top(self) -> np.ndarray:
        rng = np.random.default_rng(0)
        vectors = [
            tf.constant(rng.normal(size=v.shape), v.dtype) for v in self.variables
        ]
        norms = np.zeros(self.members)
        for _ in range(self.iterations):
            products = self.hessian_times(vectors)
            squares = sum(
                tf.reduce_sum(tf.reshape(p * p, (self.members, -1)), axis=1)
                for p in products
            )
            norms = np.sqrt(np.asarray(squares, "float64"))
            safe = np.where(np.isfinite(norms) & (norms > 0), norms, 1.0)
            vectors = [
                p / tf.reshape(tf.constant(safe, p.dtype), (-1,) + (1,) * (p.ndim - 1))
                for p in products
            ]
        return np.where(np.isfinite(norms), norms, 0.0)


class _Steps(keras.callbacks.Callback):
    """Fits one strength after another for every member in one ``fit``.

    At each strength every member trains until its own stopping rule fires:
    fold members on their held-out rows (kreg's early stopping, the best
    weights restored), or every member at convergence of its penalized
    training objective (GLMs). A stopped member is frozen
    (``model.active``); its optimizer state is kept as it was when it
    stopped. The all-rows member of an early-stopped path trains alongside
    and is set back to its weights after the folds' median best epoch.
    """

    def __init__(self, stack, single, reg, penalized, order, **settings):
        super().__init__()
        self.stack = stack
        self.single = single
        self.reg = reg
        self.penalized = penalized
        self.order = list(order)
        for name, value in settings.items():
            setattr(self, name, value)
        self.k = stack.members - 1
        self.rows = [[] for _ in range(stack.members)]
        self.kept = [[] for _ in range(stack.members)]
        self.seconds = []
        self.index = 0
        self.scale = np.ones(stack.members)
        self.curvature = (
            _Curvature(stack, self.x, self.y, self.roles) if self.converge else None
        )
        self.unit = _unit_penalty(stack)
        self.penalized_index = [
            i for i, v in enumerate(stack.variables) if v.regularizer is stack.reg
        ]
        # Converted once: a numpy argument is copied at every call.
        self.x_tensor = tf.constant(self.x)
        self.train_mask = (self.roles == mem.TRAIN).astype("float64")
        self.val_mask = (self.roles == mem.VALIDATION).astype("float64")
        self.train_count = np.maximum(self.train_mask.sum(axis=0), 1.0)
        self.val_count = np.maximum(self.val_mask.sum(axis=0), 1.0)

    # Resume -------------------------------------------------------------

    def resume(self):
        saved = self.checkpoint.done(KEY) if self.checkpoint else []
        saved = saved[: len(self.order)]
        for entry in saved:
            member_rows, scale = entry["row"]
            for member, row in enumerate(member_rows):
                self.rows[member].append(tuple(_tuples(row)))
            self.seconds.append(float(member_rows[-1][8]))
        if saved:
            last = saved[-1]
            for variable, value in zip(self.stack.variables, last["weights"]):
                variable.assign(value)
            for variable, value in zip(
                self.stack.model.optimizer.variables, last["optimizer"]
            ):
                variable.assign(value)
            self.scale = np.asarray(saved[-1]["row"][1], "float64")
            if self.keep_weights:
                for entry in saved:
                    values = entry["weights"]
                    for member in range(self.stack.members):
                        self.kept[member].append(
                            self.stack.single_weights(member, values)
                        )
        self.index = len(saved)

    # One strength -------------------------------------------------------

    def on_train_begin(self, logs=None):
        self._start()

    def _start(self):
        members = self.stack.members
        strength = float(self.order[self.index])
        if self.converge:
            # Each member's step: 1/L at zero weights, or the longer step of
            # the curvature at its starting weights (regularization_path).
            top = self.curvature.top()
            with np.errstate(divide="ignore"):
                local = np.where(top > 0, 1.0 / (LOCAL_MARGIN * top), 0.0)
            scale = np.maximum(self.glm_rate, local)
            # Momentum in units of the step, rescaled to the new step (as
            # Proximal's learning-rate setter does for one model).
            ratio = scale / np.where(self.index == 0, scale, self.scale)
            for slot in self.stack.slots:
                shape = (-1,) + (1,) * (len(slot.shape) - 1)
                slot.assign(slot * ratio.reshape(shape).astype("float32"))
            self.scale = scale
        self.stack.model.scale.assign(self.scale.astype("float32"))
        self.stack.reg.strength = list(strength * self.scale)
        self.stack.model.active.assign(np.ones(members, "float32"))
        self.best = np.full(members, np.inf)
        self.best_epoch = np.zeros(members, int)
        self.wait = np.zeros(members, int)
        self.used = np.zeros(members, int)
        self.running = np.ones(members, bool)
        if not self.converge:
            self.running[self.k] = False  # the all-rows member has no stop rule
        self.best_values = None
        self.stopped_slots = [None] * members
        self.history = []  # the all-rows member after each epoch
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.used[self.running] += 1
        monitored = self._monitored()
        values = self.stack.values()
        improved = self.running & _improves(
            monitored, self.best, self.min_delta, relative=not self.converge
        )
        first = self.best_values is None
        if first:
            self.best_values = [v.copy() for v in values]
        for best, value in zip(self.best_values, values):
            best[improved] = value[improved]
        self.best[improved] = monitored[improved]
        self.best_epoch[improved] = self.used[improved] - 1
        self.wait[self.running] += 1
        self.wait[improved] = 0
        warm = self.index > 0
        limit = self.warm_patience if warm else self.patience
        stop = self.running & ~improved & (self.wait >= limit) & (self.used > 1)
        stop |= self.running & (self.used >= self.epochs)
        if not self.converge:
            self.history.append(
                (
                    [v[self.k].copy() for v in values],
                    [s[self.k].copy() for s in self.stack.slot_values()],
                )
            )
        if stop.any():
            slots = self.stack.slot_values()
            for member in np.flatnonzero(stop):
                self.stopped_slots[member] = [s.copy() for s in slots]
                self.stack.put(member, self.best_values)
            self.running &= ~stop
            self.stack.model.active.assign(
                (self.running | self._all_rows_on()).astype("float32")
            )
        if self.running.any():
            return
        self._finish()

    def _all_rows_on(self) -> np.ndarray:
        on = np.zeros(self.stack.members, bool)
        on[self.k] = not self.converge
        return on

    def _monitored(self) -> np.ndarray:
        losses = self.stack.row_losses(self.x_tensor)
        train = (losses * self.train_mask).sum(axis=0) / self.train_count
        validation = (losses * self.val_mask).sum(axis=0) / self.val_count
        if not self.converge:
            out = np.asarray(validation, "float64")
            out[self.k] = np.inf
            return out
        strength = float(self.order[self.index])
        return np.asarray(train, "float64") + strength * self.unit()

    def _finish(self):
        members = self.stack.members
        if not self.converge:
            # The all-rows member: the folds' median best epoch.
            budget = _median_phases(
                [(int(self.best_epoch[j]) + 1,) for j in range(self.k)]
            )
            weights, slots = self.history[budget[0] - 1]
            for variable, value in zip(self.stack.variables, weights):
                _assign_member(variable, self.k, value)
            self.stopped_slots[self.k] = None
            for variable, value in zip(self.stack.slots, slots):
                _assign_member(variable, self.k, value)
            self.used[self.k] = budget[0]
            self.best_epoch[self.k] = budget[0] - 1
        for member in range(members):
            if self.stopped_slots[member] is not None:
                for variable, value in zip(
                    self.stack.slots, self.stopped_slots[member]
                ):
                    _assign_member(variable, member, value[member])
        seconds = time.perf_counter() - self.started
        self.seconds.append(seconds)
        losses = self.stack.row_losses(self.x_tensor)
        values = self.stack.values()
        penalties = float(self.order[self.index]) * self.unit()
        for member in range(members):
            seconds_m = seconds if member == self.k else 0.0
            self._record(member, seconds_m, losses, values, penalties)
        self._save()
        self.index += 1
        if self.index == len(self.order):
            self.model.stop_training = True
        else:
            self._start()

    def _record(self, member, seconds, losses, values, penalties):
        """The results row of ``member`` at this strength, as
        ``regularization_path`` records it; ``losses`` the per-row data
        losses of every member ``(rows, members)``, ``values`` the stack's
        weights, ``penalties`` each member's penalty."""
        strength = float(self.order[self.index])
        train_rows, check_rows = (
            (self.splits[member][0], self.splits[member][1])
            if member < self.k
            else (np.arange(len(self.y)), None)
        )
        train_loss = float(np.mean(losses[train_rows, member]))
        if check_rows is None:
            val_loss, val_se = np.nan, np.nan
        else:
            held_out = losses[check_rows, member]
            val_loss = float(np.mean(held_out))
            val_se = selection.standard_error(held_out)
        penalized = [values[i][member] for i in self.penalized_index]
        magnitudes = np.concatenate([np.abs(v).ravel() for v in penalized])
        used = (int(self.used[member]),)
        kept = used if self.converge else (int(self.best_epoch[member]) + 1,)
        self.rows[member].append(
            (
                strength,
                train_loss,
                val_loss,
                val_se,
                float(penalties[member]),
                float(np.mean(magnitudes <= self.sparsity_tol)),
                _active_inputs(penalized, self.sparsity_tol),
                sum(used),
                seconds,
                used,
                kept,
            )
        )
        if self.keep_weights:
            self.kept[member].append(self.stack.single_weights(member, values))

    def _save(self):
        if not self.checkpoint:
            return
        index = self.index
        row = [[list(r[index]) for r in self.rows], [float(s) for s in self.scale]]
        self.checkpoint.save(
            KEY,
            index,
            row,
            self.stack.values(),
            [np.array(v) for v in self.stack.model.optimizer.variables],
        )
        if self.listener is not None:
            for member in range(self.stack.members):
                key = "final" if member == self.k else f"fold_{member}"
                self.listener(key, index, self.rows[member][index])


def _improves(current, best, min_delta, relative) -> np.ndarray:
    """kreg's EarlyStopping test for a minimized value, member by member."""
    if relative:
        delta = min_delta * np.abs(np.where(np.isfinite(best), best, 0.0))
    else:  # one tolerance, or one per member
        delta = np.broadcast_to(np.asarray(min_delta, "float64"), best.shape)
    return np.isfinite(current) & (current < best - delta)


def _unit_penalty(stack):
    """Each member's penalty at strength 1: ``unit() -> (members,)``."""
    unit = mem.member_regularizer(stack.reg, 0)
    unit.strength = 1.0
    variables = [v for v in stack.variables if v.regularizer is stack.reg]

    @tf.function(autograph=False)
    def per_member():
        return tf.stack(
            [
                tf.add_n([unit(v.value[m]) for v in variables])
                for m in range(stack.members)
            ]
        )

    return lambda: np.asarray(per_member(), "float64")


def _tuples(row):
    return [tuple(v) if isinstance(v, list) else v for v in row]


def _result(steps, model, reg, penalized, grid, converge, setup_seconds):
    k = steps.k
    fold_rows, rows = steps.rows[:k], steps.rows[k]
    fold_kept = steps.kept[:k] if steps.keep_weights else []
    kept = steps.kept[k] if steps.keep_weights else []
    folds = np.array([[r[2] for r in f] for f in fold_rows])
    rows = [
        (
            *row[:2],
            float(np.mean(folds[:, i])),
            selection.standard_error(folds[:, i]),
            *row[4:8],
            steps.seconds[i],
        )
        for i, row in enumerate(rows)
    ]
    rows[0] = (*rows[0][:8], rows[0][8] + setup_seconds)
    if not converge:
        rows.reverse()
        kept = kept[::-1]
        fold_kept = [fold[::-1] for fold in fold_kept]
        folds = folds[:, ::-1]
    columns = [np.asarray(c) for c in zip(*rows)]
    if steps.keep_weights and kept:
        model.set_weights(kept[-1] if converge else kept[0])
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
        warm_start=True,
        direction="decreasing" if converge else "increasing",
        stopping="convergence" if converge else "validation",
        n_inputs=_n_inputs(penalized),
        cv=len(folds),
        fold_val_data_loss=folds,
        model=model if steps.keep_weights else None,
        weights=kept,
        regularizer=reg,
        fold_weights=fold_kept,
    )

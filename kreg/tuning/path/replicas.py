"""``regularization_path(cv=k)`` for any Keras model: its folds as members.

The k fold fits and the all-rows fit of a cross-validated path are k + 1
*replicas* of the user's model (``build`` called k + 1 times, each with its
own regularizer at the same strength), called on one input and stacked on
axis 1 inside one ``kreg.members.MemberModel`` whose members are those whole
sublayers (``member_layers``). One compiled step, one copy of the data and a
per-member row mask train them all, one strength after another in one
``fit`` for the whole warm path, with the members engine of
``tabular_path`` (``stack_steps._Steps``: per-member early stopping or
convergence, a stopped member frozen, its optimizer state kept as it was).
This module is the stack of replicas that engine drives, and the call that
turns its records into the fits of ``run._PathRun``.
"""

import copy

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from kreg import members as mem
from kreg.members.model import MemberModel
from kreg.optimizers import Proximal
from kreg.tuning import cross_validation
from kreg.tuning.path.grid import _null_lambda_max
from kreg.tuning.path.model import _loss_fn
from kreg.tuning.path.solver import GLM_MOMENTUM
from kreg.tuning.path.stack import _Scored
from kreg.tuning.path.stack_steps import KEY, StepSettings, _Steps
from kreg.tuning.path.stacked import _data
from kreg.tuning.path.state import _Fit, _Record

_OWNER = "regularization_path"


def _name(member: int) -> str:
    return f"member_{member}"


class Unsupported(Exception):
    """Why this path cannot train its folds as members (the message)."""


def unsupported(run, x) -> str | None:
    """Why ``run``'s cross-validation cannot train its folds as members, or
    None when it can."""
    o = run.options
    if not o.warm_start:
        return "warm_start=False builds a fresh model per strength"
    if run.phases != 1:
        return (
            "stopping at convergence with an optimizer other than the GLM's "
            "default runs two learning-rate phases per strength"
        )
    if not isinstance(x, np.ndarray):
        return "the members engine takes x as one array (not a list or dict)"
    if run.converge and run.batch_size < len(x):
        # As the stacked path: each member's step and convergence are those
        # of full-batch proximal gradient.
        return "a GLM fitted to convergence in minibatches (over 4,096 rows)"
    optimizer = run.model.optimizer
    for opt in (optimizer, getattr(optimizer, "inner_optimizer", None)):
        if getattr(opt, "global_clipnorm", None):
            return "global_clipnorm clips all members' gradients together"
    return None


class _ReplicaModel(MemberModel):
    """A ``MemberModel`` of whole replicas trained on the user's loss."""

    def __init__(self, *args, loss_fn=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._loss_fn = loss_fn

    def row_losses(self, y, predictions):
        return _row_losses(self._loss_fn, y, predictions)


def _row_losses(fn, y, predictions):
    """``(batch, members)``: each replica's per-row loss, as the sequential
    path scores one model (``model._per_sample_loss``)."""
    columns = []
    for member in range(predictions.shape[1]):
        prediction = predictions[:, member]
        target = ops.cast(y, prediction.dtype)
        if len(target.shape) == len(prediction.shape) - 1 and prediction.shape[-1] == 1:
            target = target[..., None]
        values = fn(target, prediction)
        columns.append(ops.mean(ops.reshape(values, (ops.shape(values)[0], -1)), 1))
    return ops.stack(columns, axis=1)


class _ReplicaStack(_Scored):
    """k + 1 replicas of the user's model as one stack for ``_Steps``.

    ``values()`` stacks each weight (in ``get_weights`` order) over the
    members, so the engine reads and writes member slices as it does for a
    model with a member axis; the optimizer's state is told apart by the
    name each slot takes from its weight's path (every replica is built
    under its own name scope, ``member_<m>``). See ``stack._Stack`` for the
    interface.
    """

    def __init__(self, run, members: int, x):
        o = run.options
        self.members = members
        self.regs, self.replicas = [], []
        for member in range(members):
            reg = copy.deepcopy(o.template)
            with keras.name_scope(_name(member)):
                replica = o.build(reg)
            if not isinstance(replica, keras.Model):
                raise Unsupported("build did not return a keras.Model")
            replica.name = _name(member)
            self.regs.append(reg)
            self.replicas.append(replica)
        inputs = keras.Input(tuple(x.shape[1:]), dtype=str(x.dtype))
        outputs = []
        for member, replica in enumerate(self.replicas):
            with keras.name_scope(_name(member)):  # what builds lazily, too
                output = replica(inputs)
            if not isinstance(output, keras.KerasTensor):
                raise Unsupported("the model has several outputs")
            outputs.append(output)
        self.model = _ReplicaModel(
            inputs,
            ops.stack(outputs, axis=1),
            member_layers=[_name(m) for m in range(members)],
            loss_fn=_loss_fn(run.model),
            name="replicas",
        )
        for member, replica in enumerate(self.replicas):
            prefix = _name(member) + "/"
            if any(not v.path.startswith(prefix) for v in replica.weights):
                raise Unsupported(
                    "build shares or reuses weights between calls (each call "
                    "must build a new model)"
                )
        self.penalized = [
            [v for v in r.trainable_weights if v.regularizer is reg]
            for r, reg in zip(self.replicas, self.regs)
        ]
        if any(len(p) != len(self.penalized[0]) or not p for p in self.penalized):
            raise Unsupported("build put the regularizer on different weights")
        ids = {id(v): i for i, v in enumerate(self.replicas[0].weights)}
        self.penalized_index = [ids[id(v)] for v in self.penalized[0]]
        self.variables = self.model.trainable_variables
        self.owners = self.model._owners  # each weight's member
        self.y = self.roles = self.data = None
        self._values = self._slot_values = None
        self.slots = [[] for _ in range(members)]

    # Compilation.

    def compile(self, optimizer, steps: int) -> None:
        self.model.compile(optimizer, steps_per_execution=steps)
        self.model.optimizer.build(self.variables)
        slots = [[] for _ in range(self.members)]
        shared = []  # the iterations and the learning rate: scalars
        for variable in self.model.optimizer.variables:
            # Keras names a slot after its weight's path (member_<m>/...).
            owner = [
                m
                for m in range(self.members)
                if variable.name.startswith(_name(m) + "_")
            ]
            (slots[owner[0]] if owner else shared).append(variable)
        shapes = [[tuple(v.shape) for v in s] for s in slots]
        if any(s != shapes[0] for s in shapes) or any(len(v.shape) for v in shared):
            raise Unsupported("the optimizer's state cannot be told apart by member")
        self.slots = slots

    # What _Steps reads and writes.

    def values(self) -> list:
        if self._values is None:
            self._values = _stacker([r.weights for r in self.replicas])
        return self._values()

    def slot_values(self) -> list:
        if self._slot_values is None:
            self._slot_values = _stacker(self.slots)
        return self._slot_values()

    def set_values(self, values) -> None:
        for member in range(self.members):
            self.put_member(member, [v[member] for v in values])

    def put(self, member, values, slots=None) -> None:
        self.put_member(
            member,
            [v[member] for v in values],
            None if slots is None else [s[member] for s in slots],
        )

    def put_member(self, member, weights=None, slots=None) -> None:
        if weights is not None:
            self.replicas[member].set_weights(weights)
        for variable, value in zip(self.slots[member], slots or []):
            variable.assign(value)

    def scale_slots(self, ratio) -> None:
        for member, slots in enumerate(self.slots):
            for variable in slots:
                variable.assign(variable * float(ratio[member]))

    def set_strengths(self, strengths) -> None:
        for reg, strength in zip(self.regs, strengths):
            reg.strength = float(strength)

    def single_weights(self, member: int, values=None) -> list:
        if values is None:
            return self.replicas[member].get_weights()
        return [np.array(v[member]) for v in values]

    def unit_penalty(self):
        units = []
        for reg in self.regs:
            unit = copy.deepcopy(reg)
            unit.strength = 1.0
            units.append(unit)
        penalized = self.penalized

        @tf.function(autograph=False)
        def per_member():
            return tf.stack(
                [
                    tf.add_n([unit(v.value) for v in variables])
                    for unit, variables in zip(units, penalized)
                ]
            )

        return lambda: np.asarray(per_member(), "float64")


def _stacker(groups):
    """``() -> list`` of numpy arrays: the i-th variable of every group,
    stacked (member axis first). One traced call: read every epoch, where a
    read per variable would cost as much as the epoch's training steps."""

    @tf.function(autograph=False)
    def stacked():
        return [tf.stack([v.value for v in column]) for column in zip(*groups)]

    return lambda: [np.array(v) for v in stacked()]


def replica_stack(run, x, y, cv):
    """The splits of ``cv`` and the compiled stack of their k + 1 replicas,
    with its data (``stack.data``, ``stack.roles``); raises ``Unsupported``
    when ``build``'s models cannot be stacked. Trains nothing."""
    splits = cross_validation.make_splits(y, cv, seed=run.options.seed, owner=_OWNER)
    n, k = len(y), len(splits)
    stack = _ReplicaStack(run, k + 1, x)
    stack.y = tf.constant(y)
    stack.roles = np.concatenate(
        [mem.split_roles(splits, n), np.full((n, 1), mem.TRAIN, "int8")], axis=1
    )
    batch_size = run.batch_size
    if not run.converge:
        # A fold member's rows are about (k-1)/k of each batch: batches of
        # batch_size k/(k-1) give it the batches (and the steps per epoch)
        # of its own fit.
        batch_size = int(round(batch_size * k / (k - 1)))
    stack.data = _data(x, y, stack.roles, batch_size, run.options.seed, batch_size >= n)
    if run.converge:
        # Each member's step is model.scale (SGD at rate 1), as stacked.py.
        optimizer = Proximal(
            keras.optimizers.SGD(1.0, momentum=GLM_MOMENTUM, nesterov=True)
        )
    else:
        optimizer = keras.optimizers.deserialize(
            keras.optimizers.serialize(run.model.optimizer)
        )
    stack.compile(optimizer, stack.data["steps_per_epoch"])
    return splits, stack


def replica_fits(run, splits, stack, order, x, y, checkpoint) -> tuple[list, _Fit]:
    """The k fold fits and the all-rows fit of ``run``'s cross-validation
    over ``order``, trained as k + 1 replicas in one ``fit``: ``(folds,
    final)``, as ``_PathRun.path`` would have fitted them one by one."""
    o = run.options
    n, k = len(y), len(splits)
    roles, data, converge = stack.roles, stack.data, run.converge
    # Each member starts where the sequential path starts its fit: the
    # initial weights, at the null model of its own rows going down warm.
    rows = [train for train, _ in splits] + [np.arange(n)]
    for member, train in enumerate(rows):
        run.reset()
        if run.from_null:
            _null_lambda_max(
                run.model,
                run.reg,
                run.penalized,
                cross_validation.take(x, train),
                y[train],
                run.batch_size,
            )
        stack.put_member(member, run.model.get_weights())
    run.reset()
    listener = None
    if checkpoint is not None:
        listener, checkpoint.listener = checkpoint.listener, None
    steps = _Steps(
        stack,
        order,
        StepSettings(
            x=x,
            y=y,
            roles=roles,
            splits=splits,
            converge=converge,
            epochs=o.epochs,
            patience=o.patience,
            warm_patience=o.warm_patience,
            min_delta=o.min_delta,
            tol=o.tol,
            glm_rate=run.glm_rate,
            sparsity_tol=o.sparsity_tol,
            keep_weights=o.keep_weights,
            checkpoint=checkpoint,
            listener=listener,
        ),
    )
    steps.run(data, o.epochs, o.verbose)
    if checkpoint is not None:
        checkpoint.listener = listener
    fits = [
        _Fit(None, None, key=key, records=[_Record(*r) for r in steps.rows[m]])
        for m, key in enumerate([f"fold_{j}" for j in range(k)] + ["final"])
    ]
    for fit, kept in zip(fits, steps.kept):
        fit.kept = list(kept)
    # The model is left as the sequential path leaves it: at the all-rows
    # fit's last strength.
    run.model.set_weights(stack.single_weights(k))
    return fits[:k], fits[k]


__all__ = ["KEY", "Unsupported", "replica_fits", "replica_stack", "unsupported"]

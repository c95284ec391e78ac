"""The stacked model of a λ path whose folds are members, and its curvature."""

import copy

import keras
import numpy as np
import tensorflow as tf

from kreg import members as mem
from kreg.tuning.path.solver import GLM_MOMENTUM, _hessian_times, _power_iteration


class _Scored:
    """What both kinds of stack share: each row's data loss for each member,
    from ``self.model`` (a ``MemberModel``) and ``self.y``."""

    _row_losses = None

    def row_losses(self, x) -> np.ndarray:
        """Every row's data loss for every member, ``(rows, members)``, in
        inference mode: one forward pass (traced once)."""
        if self._row_losses is None:
            model, y = self.model, self.y

            @tf.function(autograph=False)
            def row_losses(x):
                return model.row_losses(y, model(x, training=False))

            self._row_losses = row_losses
        return np.asarray(self._row_losses(x), "float64")


class _Stack(_Scored):
    """The stacked model and the map from its weights to the single model's.

    What ``_Steps`` asks of a stack of members (this class, whose weights
    carry a member axis, or ``replicas._ReplicaStack``, whose members are
    copies of a user's model): ``members``, ``model`` (a
    ``kreg.members.MemberModel``), ``values()`` and ``slot_values()`` (numpy
    arrays, member axis first), ``set_values``, ``put``, ``put_member``,
    ``scale_slots``, ``set_strengths``, ``penalized_index``,
    ``unit_penalty``, ``variables``, ``owners``, ``row_losses`` and
    ``single_weights``.
    """

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
        self.owners = None  # the member axis is every weight's first

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

    def set_single(self, member: int, weights) -> None:
        """Member ``member`` gets the single model's ``weights``."""
        for source, value in zip(self.sources, weights):
            _assign_member(source, member, value)

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

    def set_values(self, values) -> None:
        """Every member's weights from ``values`` (as ``values()`` gives)."""
        for variable, value in zip(self.variables, values):
            variable.assign(value)

    @property
    def penalized_index(self) -> list:
        """The positions in ``values()`` of the penalized weights."""
        return [i for i, v in enumerate(self.variables) if v.regularizer is self.reg]

    def set_strengths(self, strengths) -> None:
        """Member ``m``'s penalty strength is ``strengths[m]``."""
        self.reg.strength = [float(s) for s in strengths]

    def scale_slots(self, ratio) -> None:
        """Multiplies member ``m``'s optimizer state by ``ratio[m]``."""
        for slot in self.slots:
            shape = (-1,) + (1,) * (len(slot.shape) - 1)
            slot.assign(slot * np.reshape(ratio, shape).astype("float32"))

    def unit_penalty(self):
        """Each member's penalty at strength 1: ``unit() -> (members,)``."""
        unit = mem.member_regularizer(self.reg, 0)
        unit.strength = 1.0
        variables = [v for v in self.variables if v.regularizer is self.reg]
        members = self.members

        @tf.function(autograph=False)
        def per_member():
            return tf.stack(
                [
                    tf.add_n([unit(v.value[m]) for v in variables])
                    for m in range(members)
                ]
            )

        return lambda: np.asarray(per_member(), "float64")

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
        self.put_member(
            member,
            [value[member] for value in values],
            None if slots is None else [value[member] for value in slots],
        )

    def put_member(self, member, weights=None, slots=None):
        """Writes member ``member``'s ``weights`` and ``slots`` (slices; None
        leaves them)."""
        for variable, value in zip(self.variables, weights or []):
            _assign_member(variable, member, value)
        if slots is not None:
            for variable, value in zip(self.slots, slots):
                _assign_member(variable, member, value)


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
        self.stack = stack
        variables = stack.variables
        self.variables = variables
        model = stack.model
        x = tf.constant(x)
        y = tf.constant(y)
        train = tf.cast(tf.constant(roles) == mem.TRAIN, "float32")
        count = tf.maximum(tf.reduce_sum(train, axis=0), 1.0)

        def loss():
            losses = model.row_losses(y, model(x, training=False))
            return tf.reduce_sum(tf.reduce_sum(losses * train, axis=0) / count)

        self.hessian_times = _hessian_times(loss, variables)

    def top(self) -> np.ndarray:
        return _power_iteration(
            self.hessian_times,
            self.variables,
            self.iterations,
            self.members,
            owners=self.stack.owners,
        )

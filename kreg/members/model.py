"""A Keras model whose outputs are many independent members, trained in one fit."""

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from kreg._api import register
from kreg._validation import check_choice, invalid_argument
from kreg.members.losses import TASKS, member_losses
from kreg.members.roles import TRAIN, VALIDATION


class _MemberMean(keras.metrics.Metric):
    """A running mean per member: sums and counts of shape ``(members,)``."""

    def __init__(self, members: int, name: str):
        super().__init__(name=name)
        self.total = self.add_variable((members,), "zeros", name="total")
        self.count = self.add_variable((members,), "zeros", name="count")

    def update_state(self, total, count):
        self.total.assign_add(ops.cast(total, self.dtype))
        self.count.assign_add(ops.cast(count, self.dtype))

    def result(self):
        # A member with no such row in the epoch reads NaN, not a made-up 0.
        return ops.where(
            self.count > 0, self.total / ops.maximum(self.count, 1.0), np.nan
        )


@register
class MemberModel(keras.Model):
    """A functional model of ``members`` independent models trained side by side.

    Build it like a functional ``keras.Model`` whose output has a member axis,
    ``(batch, members, outputs)`` (``kreg.layers.StackedDense`` layers), and
    fit it with one copy of the data and a *roles* matrix as
    ``sample_weight``: ``roles[i, m]`` is ``kreg.members.TRAIN`` (row ``i``
    is in member ``m``'s training data), ``VALIDATION`` (only scored) or
    ``UNUSED``; ``kreg.members.fold_roles`` makes k folds. Each step

    - computes every member's prediction in one forward pass;
    - gives member ``m`` the mean data loss over *its* training rows of the
      batch (the task's Keras loss: mse, binary or sparse categorical
      cross-entropy), plus its penalties; the members' objectives are summed,
      and since they share no weight each member's gradient is exactly its own
      (a member never gets gradient from a row that is not its training row);
    - scores each member on its validation rows of the same forward pass;
    - applies the optimizer, then puts back the old value of every member
      that is not active (``model.active``, a variable: a stopped member is
      frozen, with no update at all, though Adam's momentum would move it).

    The epoch's logs hold vectors ``member_data_loss`` and
    ``member_val_data_loss`` (means over each member's rows), and ``loss``,
    their sum with the penalties. ``evaluate`` with the same roles scores the
    members in inference mode (no dropout, the weights at the end).

    Every trainable weight must have the member axis first, or, with
    ``member_layers``, each member is one whole sublayer (such as k copies
    of one Keras model, called on the same inputs and stacked on axis 1):
    member ``m``'s weights are the trainable weights of the layer named
    ``member_layers[m]``, and freezing puts all of them back. Written for the
    TensorFlow backend (as ``kreg.optimizers.Proximal``).

    Args:
        *args: ``inputs`` and ``outputs`` as for a functional model.
        task: `"regression"`, `"binary"` or `"multiclass"`: the data loss.
            Defaults to `"regression"`.
        member_layers: `None` (a member axis on every weight), or the names
            of the sublayers that are the members, one per member. Defaults
            to `None`.
        **kwargs: functional model arguments (``name``...).

    Example:

    >>> inputs = keras.Input((3,))
    >>> outputs = kreg.layers.StackedDense(1, members=4)(inputs)
    >>> model = kreg.members.MemberModel(inputs, outputs)
    >>> model.compile(keras.optimizers.Adam(0.01))
    >>> x = np.random.default_rng(0).normal(size=(20, 3)).astype("float32")
    >>> roles = kreg.members.fold_roles(20, 4)
    >>> history = model.fit(x, x[:, :1], sample_weight=roles, epochs=2, verbose=0)
    >>> history.history["member_val_data_loss"][-1].shape
    (4,)
    """

    def __init__(self, *args, task: str = "regression", member_layers=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.task = check_choice(task, "task", "MemberModel", TASKS)
        shape = self.outputs[0].shape if len(self.outputs) == 1 else None
        # Whole-layer members may have any output (batch, members, ...).
        ranks = (3,) if member_layers is None else tuple(range(2, 9))
        if shape is None or len(shape) not in ranks or shape[1] is None:
            raise invalid_argument(
                "MemberModel",
                "outputs",
                "one output of shape (batch, members, outputs)",
                [tuple(o.shape) for o in self.outputs],
            )
        self.members = int(shape[1])
        self.member_layers = None
        # Per trainable variable: the member that owns it whole, or None
        # (the member axis first).
        self._owners = [None] * len(self.trainable_variables)
        if member_layers is None:
            for variable in self.trainable_variables:
                if not variable.shape or variable.shape[0] != self.members:
                    raise invalid_argument(
                        "MemberModel",
                        "outputs",
                        f"a model whose every trainable weight has the member "
                        f"axis ({self.members}) first",
                        f"<{variable.path} of shape {tuple(variable.shape)}>",
                    )
        else:
            self.member_layers = self._check_member_layers(member_layers)
        self._active = keras.Variable(
            np.ones(self.members, "float32"), trainable=False, name="active"
        )
        self._scale = keras.Variable(
            np.ones(self.members, "float32"), trainable=False, name="scale"
        )
        self._score_function = None
        self._objective = keras.metrics.Mean(name="loss")
        self._data_loss = _MemberMean(self.members, "member_data_loss")
        self._val_data_loss = _MemberMean(self.members, "member_val_data_loss")

    def _check_member_layers(self, names) -> list:
        """The owner of every trainable variable, from whole-layer members."""
        names = list(names) if isinstance(names, list | tuple) else None
        if names is None or len(names) != self.members:
            raise invalid_argument(
                "MemberModel",
                "member_layers",
                f"a list of {self.members} layer names",
                names,
            )
        owner = {}
        shapes = []
        for m, name in enumerate(names):
            layer = self.get_layer(name)
            shapes.append([tuple(v.shape) for v in layer.trainable_variables])
            for variable in layer.trainable_variables:
                owner.setdefault(id(variable), m)
        if any(s != shapes[0] for s in shapes):
            raise invalid_argument(
                "MemberModel",
                "member_layers",
                "layers with the same weights' shapes",
                names,
            )
        self._owners = [owner.get(id(v)) for v in self.trainable_variables]
        if None in self._owners:
            stray = self.trainable_variables[self._owners.index(None)]
            raise invalid_argument(
                "MemberModel",
                "member_layers",
                "layers that hold every trainable weight",
                f"<{stray.path} in none of them>",
            )
        return names

    @property
    def active(self) -> keras.Variable:
        """1 for a member that trains, 0 for one that is frozen."""
        return self._active

    @property
    def scale(self) -> keras.Variable:
        """Each member's factor on its data loss in the training objective (1).

        A per-member learning rate for SGD: SGD at rate 1 on ``scale[m]`` times
        member ``m``'s objective is SGD at rate ``scale[m]`` on the objective,
        when the member's penalty strength is scaled by ``scale[m]`` as well
        (``kreg.optimizers.Proximal`` then thresholds by the scaled strength,
        the threshold of the rate ``scale[m]``). The logged data losses are
        not scaled.
        """
        return self._scale

    def score(self, x, y, roles) -> tuple:
        """Each member's data loss on its training and its validation rows.

        In inference mode (no dropout), at the current weights, in one forward
        pass over ``x`` (one batch: meant for tabular data that fits in
        memory); traced once. A member with no such row gets NaN.

        Returns:
            ``(train, validation)``, two numpy vectors ``(members,)``.
        """
        if self._score_function is None:

            @tf.function(reduce_retracing=True)
            def scores(x, y, roles):
                losses = self.row_losses(y, self(x, training=False))
                roles = ops.cast(roles, "int32")
                out = []
                for role in (TRAIN, VALIDATION):
                    mask = ops.cast(roles == role, losses.dtype)
                    count = ops.sum(mask, axis=0)
                    mean = ops.sum(losses * mask, axis=0) / ops.maximum(count, 1.0)
                    out.append(ops.where(count > 0, mean, np.nan))
                return tuple(out)

            self._score_function = scores
        train, validation = self._score_function(x, y, roles)
        return np.asarray(train), np.asarray(validation)

    def row_losses(self, y, predictions):
        """Every row's data loss for every member, ``(batch, members)``: the
        task's loss (``kreg.members.member_losses``); a subclass may train
        its members on another loss."""
        return member_losses(self.task, y, predictions)

    def _scores(self, y, predictions, roles):
        losses = self.row_losses(y, predictions)
        if roles is None:
            raise ValueError(
                "MemberModel.fit and evaluate need the roles of the rows as "
                "sample_weight (kreg.members.fold_roles, split_roles)."
            )
        if len(roles.shape) != 2 or roles.shape[1] != self.members:
            raise ValueError(
                f"The roles (sample_weight) of a MemberModel of {self.members} "
                f"members must have shape (rows, {self.members}). Received "
                f"shape {tuple(roles.shape)}."
            )
        roles = ops.cast(roles, "int32")
        train = ops.cast(roles == TRAIN, losses.dtype)
        validation = ops.cast(roles == VALIDATION, losses.dtype)
        n_train = ops.sum(train, axis=0)
        train_sum = ops.sum(losses * train, axis=0)
        self._data_loss.update_state(train_sum, n_train)
        self._val_data_loss.update_state(
            ops.sum(losses * validation, axis=0), ops.sum(validation, axis=0)
        )
        return train_sum / ops.maximum(n_train, 1.0)

    @property
    def metrics(self):
        # What the logs report (Keras' guide to a custom train_step): epoch
        # means, reset by fit and evaluate.
        return [self._objective, self._data_loss, self._val_data_loss]

    def _logs(self, loss, predictions):
        self._objective.update_state(loss, sample_weight=ops.shape(predictions)[0])
        return {
            "loss": self._objective.result(),
            "member_data_loss": self._data_loss.result(),
            "member_val_data_loss": self._val_data_loss.result(),
        }

    def train_step(self, data):
        x, y, roles = keras.utils.unpack_x_y_sample_weight(data)
        variables = self.trainable_variables
        with tf.GradientTape() as tape:
            predictions = self(x, training=True)
            member_loss = self._scores(y, predictions, roles)
            loss = ops.sum(member_loss * ops.cast(self._scale, member_loss.dtype))
            if self.losses:
                loss = loss + ops.sum(ops.stack(self.losses))
        grads = tape.gradient(loss, variables)
        before = [tf.identity(v.value) for v in variables]
        with tf.control_dependencies(before):
            self.optimizer.apply(grads, variables)
        for variable, old, owner in zip(variables, before, self._owners):
            active = ops.cast(self._active, variable.dtype)
            if owner is None:
                active = ops.reshape(active, (-1,) + (1,) * (len(variable.shape) - 1))
            else:
                active = active[owner]
            variable.assign(ops.where(active > 0, variable.value, old))
        return self._logs(loss, predictions)

    def test_step(self, data):
        x, y, roles = keras.utils.unpack_x_y_sample_weight(data)
        predictions = self(x, training=False)
        loss = ops.sum(self._scores(y, predictions, roles))
        if self.losses:
            loss = loss + ops.sum(ops.stack(self.losses))
        return self._logs(loss, predictions)

    def get_config(self) -> dict:
        config = {**super().get_config(), "task": self.task}
        if self.member_layers is not None:
            config["member_layers"] = list(self.member_layers)
        return config

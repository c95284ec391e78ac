"""A trained stack as ordinary Keras models, one per member, or as their average."""

import keras
from keras import ops

from kreg._validation import check_int, invalid_argument
from kreg.layers.member_average import MemberAverage
from kreg.layers.stacked_dense import StackedDense
from kreg.layers.stacked_dropout import StackedDropout
from kreg.members.losses import LOSSES
from kreg.members.model import MemberModel
from kreg.members.strengths import member_regularizer
from kreg.metrics import DataLoss
from kreg.optimizers import Proximal


def split_members(model: MemberModel, members=None) -> list:
    """Ordinary Keras models, one per member, with that member's weights.

    Every ``StackedDense`` becomes a ``keras.layers.Dense`` of the same name
    (with the member's kernel, bias and regularizer strength), every
    ``StackedDropout`` a ``keras.layers.Dropout`` at the member's rate; other
    layers are copied. The models are compiled as ``kreg.tuning.tabular_model``
    compiles (``Proximal`` around Adam at the stack's learning rate, the task's
    loss, ``DataLoss``) when the stack is compiled, and need no kreg class to
    predict.

    Args:
        model: a ``kreg.members.MemberModel``.
        members: the member indices to split out, or `None` for all.
            Defaults to `None`.

    Returns:
        A list of ``keras.Model``.

    Example:

    >>> stack = kreg.members.stacked_tabular_model(
    ...     kreg.regularizers.L1([0.1, 0.01]), members=2, n_features=3, units=4)
    >>> first, second = kreg.members.split_members(stack)
    >>> x = np.ones((2, 3), "float32")
    >>> stacked = stack.predict(x, verbose=0)
    >>> bool(np.allclose(second.predict(x, verbose=0), stacked[:, 1]))
    True
    """
    if not isinstance(model, MemberModel):
        raise invalid_argument("split_members", "model", "a MemberModel", model)
    indices = range(model.members) if members is None else members
    return [
        _member_model(model, check_int(m, "members", "split_members", low=0))
        for m in indices
    ]


def _member_model(stack: MemberModel, member: int) -> keras.Model:
    if member >= stack.members:
        raise invalid_argument(
            "split_members", "members", f"indices below {stack.members}", member
        )

    # One member regularizer per stacked one: layers that shared a
    # regularizer (and its strength variable) still share it.
    regularizers = {}

    def regularizer(stacked):
        if stacked is None:
            return None
        if id(stacked) not in regularizers:
            regularizers[id(stacked)] = member_regularizer(stacked, member)
        return regularizers[id(stacked)]

    def clone(layer):
        if isinstance(layer, StackedDense):
            return keras.layers.Dense(
                layer.units,
                activation=layer.activation,
                use_bias=layer.use_bias,
                kernel_regularizer=regularizer(layer.kernel_regularizer),
                bias_regularizer=regularizer(layer.bias_regularizer),
                name=layer.name,
            )
        if isinstance(layer, StackedDropout):
            rate = float(ops.convert_to_numpy(layer.rate)[member])
            return keras.layers.Dropout(rate, seed=layer.seed, name=layer.name)
        if isinstance(layer, MemberAverage):
            raise ValueError("A member of a stack has no MemberAverage layer.")
        return layer.__class__.from_config(layer.get_config())

    view = keras.Model(stack.inputs, stack.outputs)
    single = keras.models.clone_model(view, clone_function=clone)
    single.set_weights(member_weights(stack, member))
    if stack.optimizer is not None and isinstance(stack.optimizer, Proximal):
        rate = float(ops.convert_to_numpy(stack.optimizer.learning_rate))
        loss = LOSSES[stack.task]
        single.compile(
            Proximal(keras.optimizers.Adam(rate)), loss, metrics=[DataLoss(loss)]
        )
    return single


def member_weights(model: MemberModel, member: int) -> list:
    """Member ``member``'s weights, as ``set_weights`` of its split model takes them.

    A slice of every stacked weight, with no model built: cheap for many
    members (``split_members`` builds one model and then
    ``model.set_weights(member_weights(stack, m))`` for each member).

    Example:

    >>> stack = kreg.members.stacked_tabular_model(
    ...     None, members=3, n_features=2, units=0)
    >>> [w.shape for w in kreg.members.member_weights(stack, 2)]
    [(2, 1), (1,)]
    """
    weights = []
    for layer in model.layers:
        if isinstance(layer, StackedDropout):
            continue  # its rate becomes a Dropout's argument, not a weight
        if isinstance(layer, StackedDense):
            weights.extend(ops.convert_to_numpy(w)[member] for w in layer.weights)
        else:
            weights.extend(ops.convert_to_numpy(w) for w in layer.weights)
    return weights


def member_ensemble(model: MemberModel) -> keras.Model:
    """The stack used whole: a model that predicts the members' average.

    It shares the stack's layers (no copy): ``(batch, members, outputs)``
    becomes ``(batch, outputs)`` by ``kreg.layers.MemberAverage``, after the
    activation (an average of probabilities for classifiers).

    Example:

    >>> stack = kreg.members.stacked_tabular_model(None, members=3, n_features=2)
    >>> kreg.members.member_ensemble(stack).output_shape
    (None, 1)
    """
    if not isinstance(model, MemberModel):
        raise invalid_argument("member_ensemble", "model", "a MemberModel", model)
    outputs = MemberAverage(name="member_average")(model.outputs[0])
    return keras.Model(model.inputs, outputs, name=f"{model.name}_ensemble")

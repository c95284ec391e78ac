"""kreg's default tabular model, stacked: many members in one MemberModel."""

import keras

from kreg._validation import check_choice, check_int, invalid_argument
from kreg._vocabulary import TASK_ACTIVATIONS
from kreg.layers.stacked_dense import StackedDense
from kreg.layers.stacked_dropout import StackedDropout
from kreg.members.losses import TASKS
from kreg.members.model import MemberModel
from kreg.members.strengths import stack_regularizer
from kreg.optimizers import Proximal


def stacked_tabular_model(
    regularizer,
    dropout_rate=0.0,
    *,
    members: int,
    n_features: int,
    n_outputs: int = 1,
    task: str = "regression",
    units: int = 32,
    depth: int = 1,
    select_inputs: bool = False,
    learning_rate: float = 1e-2,
    member_inputs: bool = False,
) -> MemberModel:
    """``members`` copies of ``kreg.tuning.tabular_model``, trained side by side.

    Member ``m`` is the model ``tabular_model(regularizer_m, dropout_rate[m],
    ...)`` would build, ``output = linear(x) + head(dropout(relu(hidden(x))))``
    (or the GLM ``linear(x)`` with ``units=0``), with the same layer names,
    losses and optimizer (``kreg.optimizers.Proximal`` around Adam). Give the
    regularizer one strength per member (``kreg.regularizers.L1([...])``) to
    train a path of strengths at once, and ``kreg.members.fold_roles`` as
    ``sample_weight`` to train folds at once. ``kreg.members.split_members``
    turns each member back into an ordinary ``tabular_model``.

    Args:
        regularizer: penalty of the input kernels, with one strength per
            member or one for all; or `None`.
        dropout_rate: after the hidden layer: one rate, or a list with one
            rate per member. Defaults to `0.0`.
        members: the number of members, at least 1.
        n_features: number of input features.
        n_outputs: outputs (classes for `"multiclass"`). Defaults to `1`.
        task: `"regression"`, `"binary"` or `"multiclass"`. Defaults to
            `"regression"`.
        units: hidden units; `0` for the GLM. Defaults to `32`.
        depth: hidden layers (the later ones unpenalized). Defaults to `1`.
        select_inputs: one input kernel ``(n_features, n_outputs + units)``
            shared by the linear skip and the first hidden layer, as
            ``tabular_model``'s. Defaults to `False`.
        learning_rate: Adam's learning rate inside ``Proximal``. Defaults to
            `1e-2`.
        member_inputs: the input has a member axis, ``(batch, members,
            n_features)``: each member reads its own features (each fold's
            own preprocessing, say). Defaults to `False` (one input
            ``(batch, n_features)`` shared by all members).

    Example:

    >>> reg = kreg.regularizers.L1([0.1, 0.01, 0.001])
    >>> model = kreg.members.stacked_tabular_model(reg, members=3, n_features=4)
    >>> model.output_shape
    (None, 3, 1)
    """
    owner = "stacked_tabular_model"
    members = check_int(members, "members", owner, low=1)
    n_features = check_int(n_features, "n_features", owner, low=1)
    n_outputs = check_int(n_outputs, "n_outputs", owner, low=1)
    units = check_int(units, "units", owner, low=0)
    depth = check_int(depth, "depth", owner, low=1)
    if not isinstance(select_inputs, bool):
        raise invalid_argument(owner, "select_inputs", "a bool", select_inputs)
    if not isinstance(member_inputs, bool):
        raise invalid_argument(owner, "member_inputs", "a bool", member_inputs)
    task = check_choice(task, "task", owner, TASKS)
    if task == "binary" and n_outputs != 1:
        raise invalid_argument(owner, "n_outputs", "1 for task='binary'", n_outputs)
    count = getattr(regularizer, "members", None)
    if count is not None and count != members:
        raise invalid_argument(
            owner, "regularizer", f"one strength or {members} strengths", regularizer
        )
    # A copy with per-member strengths, so group penalties group per member.
    regularizer = stack_regularizer(regularizer, members)
    # StackedDense reads either shape: shared or per-member features.
    inputs = keras.Input((members, n_features) if member_inputs else (n_features,))
    if units and select_inputs:
        z = StackedDense(
            n_outputs + units, members, kernel_regularizer=regularizer, name="inputs"
        )(inputs)
        hidden = _deeper(
            keras.layers.Activation("relu")(z), units, members, depth, dropout_rate
        )
        logits = StackedDense(n_outputs, members, name="head")(
            keras.layers.Concatenate()([z, hidden])
        )
    else:
        logits = StackedDense(
            n_outputs, members, kernel_regularizer=regularizer, name="linear"
        )(inputs)
    if units and not select_inputs:
        hidden = StackedDense(
            units, members, "relu", kernel_regularizer=regularizer, name="hidden"
        )(inputs)
        hidden = _deeper(hidden, units, members, depth, dropout_rate)
        head = StackedDense(n_outputs, members, name="head")(hidden)
        logits = keras.layers.Add()([logits, head])
    outputs = keras.layers.Activation(TASK_ACTIVATIONS[task])(logits)
    model = MemberModel(inputs, outputs, task=task)
    model.compile(optimizer=Proximal(keras.optimizers.Adam(learning_rate)))
    return model


def _deeper(hidden, units, members, depth, dropout_rate):
    """Dropout, then ``depth - 1`` more hidden layers, each with its dropout
    (as ``tabular_model``)."""
    hidden = StackedDropout(dropout_rate, members, name="dropout")(hidden)
    for layer in range(2, depth + 1):
        hidden = StackedDense(units, members, "relu", name=f"hidden_{layer}")(hidden)
        hidden = StackedDropout(dropout_rate, members, name=f"dropout_{layer}")(hidden)
    return hidden

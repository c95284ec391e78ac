"""kreg's default tunable model for tabular data: a net that can switch inputs off."""

import keras

from kreg._validation import check_float, check_int, invalid_argument
from kreg._vocabulary import TASK_ACTIVATIONS, TASK_LOSSES
from kreg.members import stacked_tabular_model
from kreg.metrics import DataLoss
from kreg.optimizers import Proximal
from kreg.tuning import search_space
from kreg.tuning.hypermodel import HyperModel, _draw
from kreg.tuning.tasks import model_task


def tabular_model(
    regularizer,
    dropout_rate: float = 0.0,
    *,
    n_features: int,
    n_outputs: int = 1,
    task: str = "regression",
    units: int = 32,
    depth: int = 1,
    select_inputs: bool = False,
    learning_rate: float = 1e-2,
) -> keras.Model:
    """A linear model plus an MLP, both penalized on their inputs.

    ``output = linear(x) + mlp(x)``, where the linear part's kernel and the
    MLP's first kernel carry the same regularizer (typically L1 or a group
    lasso over ``"inputs"``), trained with ``kreg.optimizers.Proximal`` so that
    input features reach exactly zero. Strong penalties leave a sparse linear
    model (what ``LassoCV`` fits); weaker ones let the MLP add the
    non-linear part (as LassoNet). Compiled with ``kreg.metrics.DataLoss``.

    With ``select_inputs``, the linear part and the first hidden layer are
    one kernel of shape ``(n_features, n_outputs + units)``, ``z = x W``;
    the output reads ``concat(z, mlp(relu(z)))``. A group lasso over its
    rows (``GroupLasso(groups="inputs")``) then switches an input off for
    the skip and every hidden unit at once: an input reaches the net only
    where it is in the model at all, as LassoNet's constraint asks, with one
    proximal step instead of its hierarchical one.

    Args:
        regularizer: penalty of the input kernels, or `None`.
        dropout_rate: dropout after the hidden layer. Defaults to `0.0`.
        n_features: number of input features.
        n_outputs: outputs (classes for `"multiclass"`). Defaults to `1`.
        task: `"regression"` (mse), `"binary"` (sigmoid, binary
            cross-entropy) or `"multiclass"` (softmax, sparse categorical
            cross-entropy); `"classification"` (the CLI's word) is
            `"binary"` with one output and `"multiclass"` with more.
            Defaults to `"regression"`.
        units: hidden units per layer; `0` leaves the linear part alone (a
            penalized GLM: linear, logistic or multinomial regression).
            Defaults to `32`.
        depth: hidden layers (the later ones unpenalized). Defaults to `1`.
        select_inputs: one input kernel shared by the linear part and the
            hidden layer (see above). Defaults to `False`.
        learning_rate: Adam's learning rate inside ``Proximal``. Defaults to
            `1e-2`.

    Example:

    >>> model = kreg.tuning.tabular_model(kreg.regularizers.L1(0.01), n_features=4)
    >>> model.output_shape
    (None, 1)

    References:
        Lemhadri, Ruan, Abraham & Tibshirani, "LassoNet: a neural network with
        feature sparsity", https://arxiv.org/abs/1907.12207
    """
    owner = "tabular_model"
    n_features = check_int(n_features, "n_features", owner, low=1)
    n_outputs = check_int(n_outputs, "n_outputs", owner, low=1)
    units = check_int(units, "units", owner, low=0)
    depth = check_int(depth, "depth", owner, low=1)
    if not isinstance(select_inputs, bool):
        raise invalid_argument(owner, "select_inputs", "a bool", select_inputs)
    task = model_task(task, n_outputs, owner)
    if task == "binary" and n_outputs != 1:
        raise invalid_argument(owner, "n_outputs", "1 for task='binary'", n_outputs)
    inputs = keras.Input((n_features,))
    if units and select_inputs:
        z = keras.layers.Dense(
            n_outputs + units, kernel_regularizer=regularizer, name="inputs"
        )(inputs)
        h = _deeper(keras.layers.Activation("relu")(z), units, depth, dropout_rate)
        logits = keras.layers.Dense(n_outputs, name="head")(
            keras.layers.Concatenate()([z, h])
        )
    else:
        linear = keras.layers.Dense(
            n_outputs, kernel_regularizer=regularizer, name="linear"
        )
        logits = linear(inputs)
    if units and not select_inputs:
        hidden = keras.layers.Dense(
            units, "relu", kernel_regularizer=regularizer, name="hidden"
        )
        head = keras.layers.Dense(n_outputs, name="head")
        h = _deeper(hidden(inputs), units, depth, dropout_rate)
        logits = keras.layers.Add()([logits, head(h)])
    outputs = keras.layers.Activation(TASK_ACTIVATIONS[task])(logits)
    model = keras.Model(inputs, outputs)
    loss = TASK_LOSSES[task]
    model.compile(
        optimizer=Proximal(keras.optimizers.Adam(learning_rate)),
        loss=loss,
        metrics=[DataLoss(loss)],
    )
    return model


def _deeper(h, units, depth, dropout_rate):
    """Dropout, then ``depth - 1`` more hidden layers, each followed by dropout."""
    h = keras.layers.Dropout(dropout_rate)(h)
    for layer in range(2, depth + 1):
        h = keras.layers.Dense(units, "relu", name=f"hidden_{layer}")(h)
        h = keras.layers.Dropout(dropout_rate)(h)
    return h


def tabular_hypermodel(
    n_features: int,
    *,
    n_outputs: int = 1,
    task: str = "regression",
    units: int = 32,
    kinds: tuple[str, ...] = ("l1", "group_lasso"),
    min_strength: float = 1e-4,
    max_strength: float = 1.0,
    max_dropout: float = 0.5,
) -> HyperModel:
    """kreg's default search space over :func:`tabular_model`.

    Tunes the input penalty (kind among ``kinds`` or none, strength on a log
    scale in ``[min_strength, max_strength]``) and the dropout rate in
    ``[0, max_dropout]``. Defaults suit standardized inputs and targets. Its
    ``build_members(hp, members)`` builds the same trial's net stacked
    (:func:`kreg.members.stacked_tabular_model`), for
    ``Tuner(folds_as_members=True)``.

    Example:

    >>> hypermodel = kreg.tuning.tabular_hypermodel(4)
    >>> import keras_tuner
    >>> model = hypermodel.build(keras_tuner.HyperParameters())
    >>> hypermodel.build_members(keras_tuner.HyperParameters(), 3).members
    3
    """
    owner = "tabular_hypermodel"
    n_features = check_int(n_features, "n_features", owner, low=1)
    task = model_task(task, check_int(n_outputs, "n_outputs", owner, low=1), owner)
    # Checked now, not when the first trial builds its model.
    units = check_int(units, "units", owner, low=1)
    min_strength = check_float(
        min_strength, "min_strength", owner, low=0.0, low_inclusive=False
    )
    max_strength = check_float(
        max_strength, "max_strength", owner, low=0.0, low_inclusive=False
    )
    if max_strength <= min_strength:
        raise invalid_argument(
            owner,
            "max_strength",
            f"a float > min_strength={min_strength:g}",
            max_strength,
        )
    max_dropout = check_float(
        max_dropout,
        "max_dropout",
        owner,
        low=0.0,
        high=1.0,
        low_inclusive=False,
        high_inclusive=False,
    )

    def build(regularizer, dropout_rate):
        return tabular_model(
            regularizer,
            dropout_rate,
            n_features=n_features,
            n_outputs=n_outputs,
            task=task,
            units=units,
        )

    def build_members(regularizer, dropout_rate, members, **options):
        return stacked_tabular_model(
            regularizer,
            dropout_rate,
            members=members,
            n_features=n_features,
            n_outputs=n_outputs,
            task=task,
            units=units,
            **options,
        )

    return _TabularHyperModel(
        build,
        build_members,
        regularizer=lambda hp: search_space.regularizer(
            hp, kinds=kinds, min_strength=min_strength, max_strength=max_strength
        ),
        dropout_rate=lambda hp: search_space.dropout_rate(hp, max_value=max_dropout),
    )


class _TabularHyperModel(HyperModel):
    """A :class:`HyperModel` that also builds a trial's net stacked."""

    def __init__(self, build, build_members, **space):
        super().__init__(build, **space)
        self._build_members = build_members

    def build_members(self, hp, members: int, **options):
        """The trial's net, ``members`` copies side by side (a MemberModel);
        ``options`` go to :func:`kreg.members.stacked_tabular_model`
        (``member_inputs=True``, say)."""
        values = {name: _draw(hp, name, spec) for name, spec in self.spaces.items()}
        return self._build_members(members=members, **values, **options)

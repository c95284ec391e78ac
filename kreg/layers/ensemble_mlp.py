"""A parameter-efficient ensemble of MLPs as one layer: TabM and BatchEnsemble."""

import keras
from keras import ops

from kreg._api import register
from kreg._validation import (
    check_choice,
    check_float,
    check_int,
    check_seed,
    invalid_argument,
)
from kreg.layers.batch_ensemble_dense import BatchEnsembleDense
from kreg.layers.stacked_dense import StackedDense

KINDS = ("tabm", "tabm_mini", "independent")


@register
class EnsembleMLP(keras.layers.Layer):
    """An ensemble of ``members`` MLPs whose prediction is the members' mean.

    Ensembling regularizes: the mean of several nets varies less than one
    net. This layer trains the members together, in one forward pass, in one
    of three ways (``kind``), from most to least weight sharing:

    - `"tabm_mini"` (TabM-mini): a per-member multiplicative adapter on the
      inputs (±1 at the start), then hidden layers shared by all members;
    - `"tabm"` (TabM, BatchEnsemble in every layer): shared kernels with
      rank-1 adapters per member (``kreg.layers.BatchEnsembleDense``), the
      adapters of the first layer ±1, the others 1;
    - `"independent"`: members share nothing (``kreg.layers.StackedDense``),
      a deep ensemble in one layer.

    Each member has its own output head. Dropout is drawn independently per
    member. With ``average=True`` the layer returns the mean of the members'
    outputs after ``output_activation`` (so classifiers average
    probabilities), in training and inference alike: the model is trained on
    the loss of the mean. TabM trains on the mean of the members' losses
    instead, which keeps members more diverse; for that, use
    ``average=False`` (``(batch, members, outputs)``) with a loss that
    averages over the member axis, and ``kreg.layers.MemberAverage`` to
    predict.

    Args:
        units: hidden units of each layer, a non-empty list of ints.
        outputs: output units.
        members: number of members, at least 1. Defaults to `8`.
        kind: `"tabm"`, `"tabm_mini"` or `"independent"`. Defaults to
            `"tabm"`.
        dropout: dropout rate after each hidden layer, in [0, 1). Defaults
            to `0.0`.
        activation: hidden activation. Defaults to `"relu"`.
        output_activation: applied to each member's output before the mean.
            Defaults to `None`.
        average: return the mean over members. Defaults to `True`.
        seed: an int for reproducible adapters and dropout, or `None`.
            Defaults to `None`.
        **kwargs: base layer arguments.

    Call arguments:
        inputs: ``(batch, features)``.
        training: applies dropout when `True`.

    Returns:
        ``(batch, outputs)``, or ``(batch, members, outputs)`` without
        ``average``.

    Example:

    >>> inputs = keras.Input((6,))
    >>> outputs = kreg.layers.EnsembleMLP([16, 16], 1, members=4, seed=0)(inputs)
    >>> model = keras.Model(inputs, outputs)
    >>> model.compile("adam", "mse")
    >>> model.output_shape
    (None, 1)

    References:
        Gorishniy, Kotelnikov & Babenko, "TabM: advancing tabular deep learning
        with parameter-efficient ensembling", ICLR 2025,
        https://arxiv.org/abs/2410.24210. Wen, Tran & Ba, "BatchEnsemble: an
        alternative approach to efficient ensemble and lifelong learning",
        ICLR 2020, https://arxiv.org/abs/2002.06715
    """

    def __init__(
        self,
        units,
        outputs: int,
        members: int = 8,
        kind: str = "tabm",
        dropout: float = 0.0,
        activation="relu",
        output_activation=None,
        average: bool = True,
        seed: int | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        owner = type(self).__name__
        ok = isinstance(units, (list, tuple)) and len(units) > 0
        if not ok or not all(isinstance(u, int) and u >= 1 for u in units):
            raise invalid_argument(
                owner, "units", "a non-empty list of positive ints", units
            )
        self.units = list(units)
        self.outputs = check_int(outputs, "outputs", owner, low=1)
        self.members = check_int(members, "members", owner, low=1)
        self.kind = check_choice(kind, "kind", owner, KINDS)
        self.dropout = check_float(
            dropout, "dropout", owner, low=0.0, high=1.0, high_inclusive=False
        )
        if not isinstance(average, bool):
            raise invalid_argument(owner, "average", "a bool", average)
        self.average = average
        if seed is not None:
            seed = check_seed(seed, owner)
        self.seed = seed
        self.activation = keras.activations.get(activation)
        self.output_activation = keras.activations.get(output_activation)
        self._hidden = [self._hidden_layer(i, u) for i, u in enumerate(self.units)]
        self._dropouts = [
            keras.layers.Dropout(self.dropout, seed=self._seed(100 + i))
            for i in range(len(self.units))
        ]
        self._head = StackedDense(self.outputs, self.members, name="head")

    def _seed(self, offset):
        return None if self.seed is None else self.seed + offset

    def _hidden_layer(self, index, units):
        name = f"hidden_{index}"
        if self.kind == "independent":
            return StackedDense(units, self.members, self.activation, name=name)
        if self.kind == "tabm" or index == 0:
            return BatchEnsembleDense(
                units,
                self.members,
                self.activation,
                # TabM-mini adapts the inputs of the first layer only.
                output_adapter=self.kind == "tabm",
                adapter_init="random_signs" if index == 0 else "ones",
                seed=self._seed(index * 2),
                name=name,
            )
        return keras.layers.Dense(units, self.activation, name=name)

    def build(self, input_shape):
        shape = tuple(input_shape)
        for hidden in self._hidden:
            hidden.build(shape)
            shape = hidden.compute_output_shape(shape)
            if len(shape) == 2:
                shape = (shape[0], self.members, shape[1])
        self._head.build(shape)

    def call(self, inputs, training=False):
        hidden = inputs
        for layer, dropout in zip(self._hidden, self._dropouts):
            hidden = dropout(layer(hidden), training=training)
        outputs = self._head(hidden)
        if self.output_activation is not None:
            outputs = self.output_activation(outputs)
        return ops.mean(outputs, axis=1) if self.average else outputs

    def compute_output_shape(self, input_shape):
        if self.average:
            return (input_shape[0], self.outputs)
        return (input_shape[0], self.members, self.outputs)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "units": self.units,
            "outputs": self.outputs,
            "members": self.members,
            "kind": self.kind,
            "dropout": self.dropout,
            "activation": keras.activations.serialize(self.activation),
            "output_activation": keras.activations.serialize(self.output_activation),
            "average": self.average,
            "seed": self.seed,
        }

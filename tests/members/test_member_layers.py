"""MemberModel with whole sublayers as members (copies of one Keras model)."""

import keras
import numpy as np
import pytest
from keras import ops

import kreg
from tests.helpers import assert_invalid


def _copies(members=2):
    inputs = keras.Input((3,))
    copies = [
        keras.Sequential(
            [keras.Input((3,)), keras.layers.Dense(2, "relu"), keras.layers.Dense(1)],
            name=f"copy_{m}",
        )
        for m in range(members)
    ]
    outputs = ops.stack([c(inputs) for c in copies], axis=1)
    names = [c.name for c in copies]
    return kreg.members.MemberModel(inputs, outputs, member_layers=names), copies


def test_a_stopped_copy_does_not_move_the_others_train():
    model, copies = _copies()
    model.compile(keras.optimizers.Adam(0.1))
    x = np.random.default_rng(0).normal(size=(16, 3)).astype("float32")
    roles = kreg.members.fold_roles(16, 2)
    model.fit(x, x[:, :1], sample_weight=roles, epochs=1, verbose=0)  # Adam moments
    before = [c.get_weights() for c in copies]
    model.active.assign(np.array([1.0, 0.0], "float32"))
    model.fit(x, x[:, :1], sample_weight=roles, epochs=2, verbose=0)
    for a, b in zip(before[1], copies[1].get_weights()):
        np.testing.assert_array_equal(a, b)  # bit for bit
    assert not np.array_equal(before[0][0], copies[0].get_weights()[0])


def test_member_layers_round_trip_and_are_checked():
    model, _ = _copies()
    config = model.get_config()
    assert config["member_layers"] == ["copy_0", "copy_1"]
    clone = kreg.members.MemberModel.from_config(config)
    assert clone.member_layers == ["copy_0", "copy_1"] and clone.members == 2
    inputs = keras.Input((3,))
    copy = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)], name="one")
    outputs = ops.stack([copy(inputs), copy(inputs)], axis=1)
    assert_invalid(
        lambda: kreg.members.MemberModel(inputs, outputs, member_layers=["one"]),
        "member_layers",
        ["one"],
    )
    with pytest.raises(ValueError, match="member_layers"):
        free = keras.layers.Dense(1, name="free")(inputs)
        kreg.members.MemberModel(
            inputs,
            ops.stack([copy(inputs), free], axis=1),
            member_layers=["one", "one"],
        )

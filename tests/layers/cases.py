"""The dropout-family layers, with small models around them, for shared tests."""

import keras
import numpy as np

import kreg


class Case:
    """One layer class: how to build it, its input shape and a model around it."""

    def __init__(self, name, make, shape, bad_shape, head=None):
        self.name = name
        self.make = make  # make(rate, seed) -> layer
        self.shape = shape  # input shape without the batch axis
        self.bad_shape = bad_shape  # a full input shape of the wrong rank
        self.head = head or (lambda h: keras.layers.Dense(1)(keras.layers.Flatten()(h)))

    def model(self, rate=0.3, seed=1, extra=()):
        inputs = keras.Input(self.shape)
        hidden = inputs
        for layer in extra:
            hidden = layer(hidden)
        layer = self.make(rate, seed)
        hidden = layer(hidden)
        return keras.Model(inputs, self.head(hidden)), layer

    def data(self, n=16, seed=0):
        rng = np.random.default_rng(seed)
        x = rng.uniform(0.5, 1.5, size=(n,) + self.shape).astype("float32")
        y = rng.normal(size=(n, 1)).astype("float32")
        return x, y

    def __repr__(self):
        return self.name


CASES = [
    Case("MCDropout", lambda r, s: kreg.layers.MCDropout(r, seed=s), (6,), (None,)),
    Case(
        "DropConnectDense",
        lambda r, s: kreg.layers.DropConnectDense(5, rate=r, seed=s),
        (6,),
        (None,),
    ),
    Case(
        "DropBlock2D",
        lambda r, s: kreg.layers.DropBlock2D(r, block_size=2, seed=s),
        (5, 7, 2),
        (None, 5, 7),
    ),
    Case("DropPath", lambda r, s: kreg.layers.DropPath(r, seed=s), (6,), (None,)),
    Case(
        "LockedDropout",
        lambda r, s: kreg.layers.LockedDropout(r, seed=s),
        (4, 3),
        (None, 4),
    ),
    Case(
        "ConcreteDropout",
        lambda r, s: kreg.layers.ConcreteDropout(
            keras.layers.Dense(5), init_min=max(r, 0.01), init_max=max(r, 0.01), seed=s
        ),
        (6,),
        (None,),
    ),
]

#: The layers whose rate is a hyperparameter held in a variable.
RATE_CASES = [c for c in CASES if c.name != "ConcreteDropout"]

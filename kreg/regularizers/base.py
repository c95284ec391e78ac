"""The base class of kreg's regularizers: a strength held in a variable."""

import keras
import numpy as np
from keras import ops

from kreg._validation import check_float, invalid_argument


class Regularizer(keras.regularizers.Regularizer):
    """Base class for kreg regularizers.

    The strength lives in a non-trainable ``keras.Variable``, so a callback or a
    tuner can change it while training runs, with no recompiling and no
    retracing of the train function::

        reg.strength = 1e-3          # validated, then assigned into the variable
        reg.strength.assign(1e-3)    # the same, unvalidated

    Subclasses implement :meth:`penalty`, the penalty without the strength, and
    extend :meth:`get_config`. ``reg_a + reg_b`` builds a
    :class:`~kreg.regularizers.Sum`.

    Args:
        strength: non-negative strength (λ). Defaults to `0.01`.
        penalty_factor: optional per-weight factors, as glmnet's
            ``penalty.factor``: an array broadcastable to the weight's shape
            (numpy rules), or a scalar. A factor of 0 leaves a weight
            unpenalized. Defaults to `None` (all factors 1).
    """

    def __init__(self, strength: float = 0.01, penalty_factor=None):
        name = type(self).__name__
        strength = check_float(strength, "strength", name, low=0.0)
        self.penalty_factor = _check_factor(penalty_factor, name)
        # float32 whatever the policy: casting at call time keeps mixed precision
        # models exact in the strength and lets one variable serve any dtype.
        self._strength = keras.Variable(
            strength, trainable=False, dtype="float32", name="strength"
        )

    @property
    def strength(self) -> keras.Variable:
        """The strength variable (read with ``float(reg.strength)``)."""
        return self._strength

    @strength.setter
    def strength(self, value: float) -> None:
        value = check_float(value, "strength", type(self).__name__, low=0.0)
        self._strength.assign(value)

    def penalty(self, x):
        """The penalty of ``x`` without the strength factor."""
        raise NotImplementedError  # abstract: each subclass defines its penalty

    def __call__(self, x):
        strength = ops.cast(self._strength, x.dtype)
        return strength * ops.cast(self.penalty(x), x.dtype)

    def _factor(self, dtype):
        if self.penalty_factor is None:
            return None
        return ops.convert_to_tensor(self.penalty_factor, dtype=dtype)

    def get_config(self) -> dict:
        config = {"strength": float(self._strength.numpy())}
        if self.penalty_factor is not None:
            config["penalty_factor"] = self.penalty_factor.tolist()
        return config

    def __add__(self, other):
        from kreg.regularizers.sum import Sum

        if not isinstance(other, keras.regularizers.Regularizer):
            return NotImplemented
        return Sum([self, other])

    def __deepcopy__(self, memo):
        # KerasTuner deep-copies objects per trial; a fresh variable per copy
        # keeps trials from sharing (and changing) one strength.
        return type(self).from_config(self.get_config())

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


def _check_factor(factor, owner: str):
    if factor is None:
        return None
    try:
        array = np.asarray(factor, dtype="float32")
    except (TypeError, ValueError):
        array = None
    if array is None or not np.all(np.isfinite(array)) or np.any(array < 0):
        raise invalid_argument(
            owner,
            "penalty_factor",
            "None or an array of non-negative finite floats",
            factor,
        )
    return array

"""One place that builds every argument error, so all messages read alike.

The template follows Keras' own messages:
``Invalid value for argument `rate` of DropBlock2D: expected a float in [0, 1).
Received: rate=1.5``.
"""

import math
from collections.abc import Iterable
from numbers import Integral, Real
from typing import Any

import numpy as np


class InvalidArgumentError(ValueError):
    """A bad argument to a kreg function or class, its message built by
    :func:`invalid_argument`; the CLI reports it as bad input by its type."""


def invalid_argument(
    owner: str, name: str, expected: str, value: Any
) -> InvalidArgumentError:
    """Returns the error for a bad argument, ready to raise."""
    return InvalidArgumentError(
        f"Invalid value for argument `{name}` of {owner}: expected {expected}. "
        f"Received: {name}={value!r}"
    )


#: The largest float32: kreg keeps strengths, rates and schedules in float32
#: variables, where anything larger silently becomes inf.
FLOAT32_MAX = 3.4028234663852886e38

#: Seeds are given to ``keras.utils.set_random_seed`` (numpy takes < 2**32)
#: and to Keras' ``SeedGenerator``: one bound that every backend accepts.
SEED_MAX = 2**32 - 1

#: The most elements of anything kreg builds element by element (a list of
#: rates per block): a bound far above any real network that keeps a typo
#: such as ``depth=10**20`` from hanging.
MAX_LENGTH = 1_000_000


def _is_real(value: Any) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)


def check_float(
    value: Any,
    name: str,
    owner: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_inclusive: bool = True,
    high_inclusive: bool = True,
) -> float:
    """Checks that ``value`` is a finite real number in a range; returns it as float.

    Accepts numpy scalars and 0-d arrays; rejects bools, NaN, infinities and
    magnitudes beyond float32 (they become inf in a float32 variable).
    """
    expected = "a finite float"
    if low is not None or high is not None:
        left = "-inf" if low is None else f"{low:g}"
        right = "inf" if high is None else f"{high:g}"
        bracket_l = "[" if low_inclusive and low is not None else "("
        bracket_r = "]" if high_inclusive and high is not None else ")"
        expected = f"a float in {bracket_l}{left}, {right}{bracket_r}"
        if low == 0 and high is None and low_inclusive:
            expected = "a non-negative finite float"
    try:
        number = float(value) if _is_real(value) or _is_scalar_array(value) else None
    except (TypeError, ValueError):
        number = None
    if number is None or not math.isfinite(number) or abs(number) > FLOAT32_MAX:
        raise invalid_argument(owner, name, expected, value)
    if low is not None and (number < low or (number == low and not low_inclusive)):
        raise invalid_argument(owner, name, expected, value)
    if high is not None and (number > high or (number == high and not high_inclusive)):
        raise invalid_argument(owner, name, expected, value)
    return number


def _is_scalar_array(value: Any) -> bool:
    shape = getattr(value, "shape", None)
    dtype = getattr(value, "dtype", None)
    return shape == () and dtype is not None and getattr(dtype, "kind", "f") in "fiu"


def check_int(
    value: Any,
    name: str,
    owner: str,
    *,
    low: int | None = None,
    high: int | None = None,
) -> int:
    """Checks that ``value`` is an integer (not a bool) in ``[low, high]``."""
    if high is None:
        expected = "an integer" if low is None else f"an integer >= {low}"
    else:
        expected = f"an integer in [{low}, {high}]"
    if not isinstance(value, Integral) or isinstance(value, bool):
        raise invalid_argument(owner, name, expected, value)
    if low is not None and value < low:
        raise invalid_argument(owner, name, expected, value)
    if high is not None and value > high:
        raise invalid_argument(owner, name, expected, value)
    return int(value)


def check_seed(value: Any, owner: str, name: str = "seed") -> int:
    """Checks a random seed: an integer in [0, 2**32 - 1]."""
    return check_int(value, name, owner, low=0, high=SEED_MAX)


def check_bool(value: Any, name: str, owner: str) -> bool:
    """Checks that ``value`` is a real bool (numpy's included), not 0, 1 or "no"."""
    if not isinstance(value, (bool, np.bool_)):
        raise invalid_argument(owner, name, "a bool", value)
    return bool(value)


def _matches(value: Any, choice: Any) -> bool:
    # Strict on type: 0 is not False, "1" is not 1, and an array is nothing
    # (``array in choices`` would raise numpy's "truth value is ambiguous").
    if choice is None:
        return value is None
    if isinstance(choice, bool):
        return isinstance(value, (bool, np.bool_)) and bool(value) is choice
    if isinstance(choice, str):
        return isinstance(value, str) and value == choice
    if _is_real(choice):
        return _is_real(value) and value == choice
    return value is choice


def check_choice(value: Any, name: str, owner: str, choices: Iterable[Any]) -> Any:
    """Checks that ``value`` is one of ``choices`` (of the same type)."""
    choices = list(choices)
    for choice in choices:
        if _matches(value, choice):
            return choice
    listed = ", ".join(repr(c) for c in choices)
    raise invalid_argument(owner, name, f"one of {listed}", value)


def check_no_kwargs(kwargs: dict, owner: str) -> None:
    """Rejects unknown keyword arguments by name, as KerasTuner does."""
    if kwargs:
        names = ", ".join(sorted(kwargs))
        raise TypeError(f"{owner} got unexpected keyword argument(s): {names}")


def check_scalar_or_tensor(
    value: Any,
    name: str,
    owner: str,
    *,
    low: float | None = None,
    high: float | None = None,
    high_inclusive: bool = True,
) -> Any:
    """A float in range, or a scalar tensor or variable (a schedule's rate).

    Tensors pass when their value cannot be read (symbolic, in a traced
    function); a concrete one is range-checked like a float. Anything that
    is not a number (a string, None, a list) is rejected here, by name,
    rather than by the backend's conversion error.
    """
    is_tensor = hasattr(value, "shape") and hasattr(value, "dtype")
    if is_tensor and not isinstance(value, (np.ndarray, np.generic)):
        if tuple(value.shape) != ():
            raise invalid_argument(owner, name, "a scalar", value)
        try:
            number = float(value)
        except Exception:  # noqa: BLE001 - each backend has its own error here
            return value  # symbolic: checked where it was set
        check_float(
            number, name, owner, low=low, high=high, high_inclusive=high_inclusive
        )
        return value
    return check_float(
        value, name, owner, low=low, high=high, high_inclusive=high_inclusive
    )

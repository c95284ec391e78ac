"""One place that builds every argument error, so all messages read alike.

The template follows Keras' own messages:
``Invalid value for argument `rate` of DropBlock2D: expected a float in [0, 1).
Received: rate=1.5``.
"""

import math
from collections.abc import Iterable
from numbers import Integral, Real
from typing import Any


def invalid_argument(owner: str, name: str, expected: str, value: Any) -> ValueError:
    """Returns the ValueError for a bad argument, ready to raise."""
    return ValueError(
        f"Invalid value for argument `{name}` of {owner}: expected {expected}. "
        f"Received: {name}={value!r}"
    )


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

    Accepts numpy scalars and 0-d arrays; rejects bools, NaN and infinities.
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
    if number is None or not math.isfinite(number):
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


def check_int(value: Any, name: str, owner: str, *, low: int | None = None) -> int:
    """Checks that ``value`` is an integer (not a bool) at least ``low``."""
    expected = "an integer" if low is None else f"an integer >= {low}"
    if not isinstance(value, Integral) or isinstance(value, bool):
        raise invalid_argument(owner, name, expected, value)
    if low is not None and value < low:
        raise invalid_argument(owner, name, expected, value)
    return int(value)


def check_choice(value: Any, name: str, owner: str, choices: Iterable[Any]) -> Any:
    """Checks that ``value`` is one of ``choices``."""
    choices = list(choices)
    if value not in choices:
        listed = ", ".join(repr(c) for c in choices)
        raise invalid_argument(owner, name, f"one of {listed}", value)
    return value


def check_no_kwargs(kwargs: dict, owner: str) -> None:
    """Rejects unknown keyword arguments by name, as KerasTuner does."""
    if kwargs:
        names = ", ".join(sorted(kwargs))
        raise TypeError(f"{owner} got unexpected keyword argument(s): {names}")

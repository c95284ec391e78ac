"""Schedule shapes shared by the schedule callbacks: value as a function of epoch."""

import math
from collections.abc import Callable

from kreg._validation import check_choice, check_float, check_int, invalid_argument

SHAPES = ("constant", "linear", "warmup", "cosine", "step", "exponential", "curriculum")


class Shape:
    """A schedule shape: ``shape(epoch) -> float``, validated and printable.

    ``linear``/``cosine``: ``start`` for ``delay`` epochs, then to ``end`` over
    ``epochs`` epochs, then ``end``. ``warmup``: ``linear`` with ``start=0``.
    ``step``: ``start * gamma ** floor((epoch - delay) / step_size)``.
    ``exponential``: ``start * gamma ** (epoch - delay)``. ``curriculum``
    (Morerio et al. 2017): ``end * (1 - exp(-gamma * (epoch - delay)))``.
    ``constant``: ``end``.
    """

    def __init__(
        self,
        owner: str,
        shape: str,
        *,
        start: float | None,
        end: float | None,
        epochs: int | None,
        delay: int,
        step_size: int | None,
        gamma: float | None,
    ):
        check_choice(shape, "schedule", owner, SHAPES)
        self.shape = shape
        self.delay = check_int(delay, "delay", owner, low=0)
        default_start = 0.0 if shape in ("warmup", "curriculum") else 1.0
        if shape == "warmup" and start not in (None, 0, 0.0):
            raise invalid_argument(owner, "start", "None or 0 for 'warmup'", start)
        self.start = check_float(
            default_start if start is None else start, "start", owner, low=0.0
        )
        self.end = check_float(1.0 if end is None else end, "end", owner, low=0.0)
        self.epochs = None
        self.step_size = None
        self.gamma = None
        if shape in ("linear", "warmup", "cosine"):
            if epochs is None:
                raise invalid_argument(
                    owner, "epochs", f"an integer >= 1 for {shape!r}", epochs
                )
            self.epochs = check_int(epochs, "epochs", owner, low=1)
        if shape == "step":
            if step_size is None:
                raise invalid_argument(
                    owner, "step_size", "an integer >= 1 for 'step'", step_size
                )
            self.step_size = check_int(step_size, "step_size", owner, low=1)
        if shape in ("step", "exponential", "curriculum"):
            default_gamma = {"step": 0.1, "exponential": 0.9, "curriculum": 0.5}
            self.gamma = check_float(
                default_gamma[shape] if gamma is None else gamma,
                "gamma",
                owner,
                low=0.0,
            )

    def __call__(self, epoch: int) -> float:
        t = epoch - self.delay
        if self.shape == "constant":
            return self.end
        if self.shape in ("linear", "warmup", "cosine"):
            progress = min(max(t / self.epochs, 0.0), 1.0)
            if self.shape == "cosine":
                progress = (1.0 - math.cos(math.pi * progress)) / 2.0
            return self.start + (self.end - self.start) * progress
        t = max(t, 0)
        if self.shape == "step":
            return self.start * self.gamma ** (t // self.step_size)
        if self.shape == "exponential":
            return self.start * self.gamma**t
        return self.end * (1.0 - math.exp(-self.gamma * t))  # curriculum

    def __repr__(self) -> str:
        fields = {k: v for k, v in vars(self).items() if v is not None and k != "shape"}
        args = ", ".join(f"{k}={v!r}" for k, v in fields.items())
        return f"{self.shape}({args})"


def make_schedule(
    owner: str,
    schedule,
    *,
    start=None,
    end=None,
    epochs=None,
    delay=0,
    step_size=None,
    gamma=None,
) -> Callable[[int], float]:
    """A named shape with its parameters, or a user callable ``epoch -> float``."""
    if callable(schedule):
        extra = {
            "start": start,
            "end": end,
            "epochs": epochs,
            "step_size": step_size,
            "gamma": gamma,
        }
        given = [k for k, v in extra.items() if v is not None]
        if given or delay:
            name = given[0] if given else "delay"
            value = extra[name] if given else delay
            raise invalid_argument(
                owner, name, "unset when `schedule` is a callable", value
            )
        return schedule
    if not isinstance(schedule, str):
        listed = ", ".join(repr(s) for s in SHAPES)
        raise invalid_argument(
            owner, "schedule", f"one of {listed} or a callable epoch -> float", schedule
        )
    return Shape(
        owner,
        schedule,
        start=start,
        end=end,
        epochs=epochs,
        delay=delay,
        step_size=step_size,
        gamma=gamma,
    )


def schedule_value(owner: str, schedule, epoch: int) -> float:
    """Calls the schedule and checks that it returned a finite non-negative float."""
    value = schedule(epoch)
    try:
        return check_float(value, "schedule", owner, low=0.0)
    except ValueError:
        raise ValueError(
            f"The schedule of {owner} returned {value!r} for epoch {epoch}: "
            "expected a non-negative finite float."
        ) from None

"""Schedule shapes shared by the schedule callbacks: value as a function of epoch."""

import math
from collections.abc import Callable

import keras

from kreg import _compat
from kreg._validation import check_choice, check_float, check_int, invalid_argument
from kreg.callbacks._base import Callback

SHAPES = ("constant", "linear", "warmup", "cosine", "step", "exponential", "curriculum")

# The parameters each shape reads; any other one given is a mistake, not ignored.
_PARAMETERS = {
    "constant": {"end"},
    "linear": {"start", "end", "epochs", "delay"},
    "cosine": {"start", "end", "epochs", "delay"},
    "warmup": {"start", "end", "epochs", "delay"},
    "step": {"start", "step_size", "gamma", "delay"},
    "exponential": {"start", "gamma", "delay"},
    "curriculum": {"end", "gamma", "delay"},
}


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
        given = {
            "start": start,
            "end": end,
            "epochs": epochs,
            "delay": delay or None,
            "step_size": step_size,
            "gamma": gamma,
        }
        for name, value in given.items():
            if value is not None and name not in _PARAMETERS[shape]:
                raise invalid_argument(
                    owner, name, f"unset for schedule {shape!r}", value
                )
        self.shape = shape
        self.delay = check_int(delay, "delay", owner, low=0)
        default_start = 0.0 if shape in ("warmup", "curriculum") else 1.0
        if (
            shape == "warmup"
            and start is not None
            and check_float(start, "start", owner)
        ):
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


class ScheduleCallback(Callback):
    """Drives one variable-backed property of many objects by a schedule (private).

    Subclasses set ``_owner``, ``_attribute`` (the property: ``strength``,
    ``rate``, ``magnitude``), ``_log_prefix`` and implement :meth:`_discover`.
    The value for epoch ``e`` is set in ``on_epoch_begin(e)`` by assigning the
    property, which assigns the variable: the compiled train function reads
    the variable at every step, so nothing is recompiled or retraced. With
    ``per_step=True`` it is set before every step too, at the fractional epoch
    ``e + step / steps_per_epoch``.
    """

    _owner = "ScheduleCallback"
    _attribute = ""
    _log_prefix = ""
    _shared_attributes = ("_given",)

    def __init__(
        self,
        schedule,
        *,
        targets=None,
        relative: bool = True,
        start=None,
        end=None,
        epochs=None,
        delay: int = 0,
        step_size=None,
        gamma=None,
        restore: bool = True,
        log_key: str | None = None,
        verbose: int = 0,
        per_step: bool = False,
    ):
        super().__init__()
        owner = self._owner
        self.schedule = make_schedule(
            owner,
            schedule,
            start=start,
            end=end,
            epochs=epochs,
            delay=delay,
            step_size=step_size,
            gamma=gamma,
        )
        for name, flag in (
            ("relative", relative),
            ("restore", restore),
            ("per_step", per_step),
        ):
            if not isinstance(flag, bool):
                raise invalid_argument(owner, name, "a bool", flag)
        self.relative = relative
        self.restore = restore
        self.per_step = per_step
        if log_key is not None and (not isinstance(log_key, str) or not log_key):
            raise invalid_argument(
                owner, "log_key", "None or a non-empty string", log_key
            )
        default_key = self._log_prefix + ("_scale" if relative else "")
        self.log_key = default_key if log_key is None else log_key
        self.verbose = check_int(
            int(verbose) if isinstance(verbose, bool) else verbose,
            "verbose",
            owner,
            low=0,
        )
        self._given = None if targets is None else self._check_targets(targets)
        self._reset()

    def _check_targets(self, targets) -> list:
        raise NotImplementedError  # each schedule knows its targets

    def _discover(self, model) -> list:
        raise NotImplementedError  # each schedule knows its targets

    def _reset(self) -> None:
        self.targets = []
        self.base_values = []
        self.value = None
        self._epoch = 0
        self._steps = None

    def on_train_begin(self, logs=None):
        self._reset()
        found = self._given if self._given is not None else self._discover(self.model)
        if not found:
            raise ValueError(self._nothing_found_message())
        self.targets = list(found)
        self.base_values = [
            float(getattr(t, self._attribute).numpy()) for t in self.targets
        ]
        if self.per_step:
            self._steps = (getattr(self, "params", None) or {}).get("steps")
            if not self._steps:
                raise ValueError(
                    f"{self._owner}(per_step=True) needs the number of steps per "
                    "epoch, which this fit does not know: pass `steps_per_epoch=` "
                    "to fit, or data of known length."
                )

    def _nothing_found_message(self) -> str:
        return f"{self._owner} found nothing to drive in the model."

    def value_for_epoch(self, epoch: float) -> float:
        """The schedule's value (a factor if ``relative``) for ``epoch``.

        ``epoch`` is fractional (``e + step / steps``) with ``per_step=True``.
        """
        return schedule_value(self._owner, self.schedule, epoch)

    def _apply(self, value: float) -> None:
        for target, base in zip(self.targets, self.base_values):
            setattr(target, self._attribute, base * value if self.relative else value)

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch
        self.value = self.value_for_epoch(epoch)
        self._apply(self.value)
        if self.verbose > 0:
            print(
                f"Epoch {epoch + 1}: {self._owner} sets {self.log_key}={self.value:g}"
            )

    def on_train_batch_begin(self, batch, logs=None):
        if self.per_step and batch > 0:
            self.value = self.value_for_epoch(self._epoch + batch / self._steps)
            self._apply(self.value)

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None and self.value is not None:
            logs[self.log_key] = self.value

    def on_train_end(self, logs=None):
        if self.restore:
            for target, base in zip(self.targets, self.base_values):
                setattr(target, self._attribute, base)


class LayerVariableSchedule(ScheduleCallback):
    """A schedule of layers whose ``_attribute`` is a non-trainable
    ``keras.Variable`` (``rate``, ``magnitude``), given as ``layers=`` or
    found in the model (private)."""

    def _check_targets(self, targets) -> list:
        items = list(targets) if isinstance(targets, (list, tuple)) else [targets]
        if not items or not all(has_variable(i, self._attribute) for i in items):
            raise invalid_argument(
                self._owner,
                "layers",
                f"None or a non-empty list of layers whose `{self._attribute}` is "
                "a non-trainable keras.Variable",
                targets,
            )
        return items

    def _discover(self, model) -> list:
        return [
            layer
            for layer in _compat.flatten_layers(model, include_self=False)
            if has_variable(layer, self._attribute)
        ]


def has_variable(obj, attribute: str) -> bool:
    """Whether ``obj.<attribute>`` is a non-trainable ``keras.Variable``."""
    try:
        value = getattr(obj, attribute, None)
    except Exception:  # a property that raises is not a drivable variable
        return False
    return isinstance(value, keras.Variable) and not value.trainable

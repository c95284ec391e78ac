"""Changes the strength of kreg regularizers over epochs, without recompiling."""

import keras

from kreg import _compat
from kreg._validation import invalid_argument
from kreg.callbacks._schedules import ScheduleCallback
from kreg.regularizers import Regularizer


class RegularizationSchedule(ScheduleCallback):
    """Sets the strength (λ) of every kreg regularizer in the model each epoch.

    kreg regularizers keep λ in a variable (``reg.strength``), which the
    compiled train function reads at every step; this callback assigns it at
    the start of each epoch, so the change takes effect at the next step with
    no recompiling and no retracing.

    The value for epoch ``e`` is ``schedule(e)``: either a callable
    ``epoch -> float`` or a named shape with its parameters (epochs count from
    0, as Keras counts them):

    - ``"linear"`` / ``"cosine"``: ``start`` for ``delay`` epochs, then to
      ``end`` over ``epochs`` epochs (linearly, or along half a cosine), then
      ``end``;
    - ``"warmup"``: ``"linear"`` from 0 (λ off, then ramped up);
    - ``"step"``: ``start * gamma ** floor((e - delay) / step_size)``;
    - ``"exponential"``: ``start * gamma ** (e - delay)``;
    - ``"constant"``: ``end``.

    With ``relative=True`` (the default) the value multiplies each
    regularizer's strength as it was when ``fit`` began, so one schedule
    serves regularizers of different strengths (a warm-up from 0 to 1 ends at
    each one's own λ); a regularizer built with strength 0 then stays at 0:
    use ``relative=False``, where the value is the strength itself, set on
    all of them. With ``restore=True`` (the default) every strength returns
    to its value before ``fit`` when training ends, so the next ``fit`` (or a
    KerasTuner trial) starts from the same λ.

    Which regularizers: by default every :class:`kreg.regularizers.Regularizer`
    reachable from the model: the ``regularizer`` of each weight variable, the
    ``*_regularizer`` attributes of each layer (nested layers included; an
    activity regularizer counts) and the terms of a
    :class:`~kreg.regularizers.Sum`. Keras' own regularizers hold λ as a
    Python float baked into the traced function and are left alone. A model
    with no kreg regularizer raises a ``ValueError`` when training begins. Or
    pass ``regularizers=`` explicitly; a deep copy of the callback (KerasTuner
    makes one per trial) then still drives the very objects given.

    Logs the schedule's value each epoch as ``"reg_strength_scale"``
    (relative) or ``"reg_strength"`` (absolute), or as ``log_key``.

    Args:
        schedule: a shape name (above) or a callable ``epoch -> float``.
        regularizers: kreg regularizers to drive, or `None` to find them in the
            model. Defaults to `None`.
        relative: scale each initial strength (True) or set absolute strengths
            (False). Defaults to `True`.
        start: the shape's first value. Defaults to `1.0` (`0` for
            ``"warmup"``).
        end: the shape's final value. Defaults to `1.0`.
        epochs: epochs of the ramp (``"linear"``, ``"warmup"``,
            ``"cosine"``). Defaults to `None`.
        delay: epochs at ``start`` before the shape begins. Defaults to `0`.
        step_size: epochs between steps (``"step"``). Defaults to `None`.
        gamma: factor per step or epoch (``"step"``: `0.1`,
            ``"exponential"``: `0.9`). Defaults to `None`.
        restore: restore the strengths at the end of training. Defaults to
            `True`.
        log_key: the key logged. Defaults to `None` (see above).
        verbose: 1 prints each epoch's value. Defaults to `0`.
        per_step: also update before every training step, at the fractional
            epoch ``e + step / steps_per_epoch`` (the paper's curriculum is per
            step); the value logged is the last step's. Needs a known number
            of steps per epoch. Defaults to `False`.

    Example:

    >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(
    ...     1, kernel_regularizer=kreg.regularizers.L2(0.01))])
    >>> model.compile("sgd", "mse")
    >>> warmup = kreg.callbacks.RegularizationSchedule("warmup", epochs=2)
    >>> history = model.fit(np.ones((8, 3)), np.zeros((8, 1)), epochs=3,
    ...                     callbacks=[warmup], verbose=0)
    >>> history.history["reg_strength_scale"]  # λ = 0, 0.005, 0.01
    [0.0, 0.5, 1.0]
    """

    _owner = "RegularizationSchedule"
    _attribute = "strength"
    _log_prefix = "reg_strength"

    def __init__(self, schedule, regularizers=None, **options):
        # The schedule's options (relative, start, end, ..., per_step) are
        # ScheduleCallback's, documented above.
        super().__init__(schedule, targets=regularizers, **options)

    def _check_targets(self, targets) -> list:
        items = list(targets) if isinstance(targets, (list, tuple)) else [targets]
        found = _unique(r for item in items for r in _flatten(item))
        if not found or not all(
            isinstance(i, keras.regularizers.Regularizer) for i in items
        ):
            raise invalid_argument(
                self._owner,
                "regularizers",
                "None or a non-empty list of kreg regularizers",
                targets,
            )
        return found

    def _discover(self, model) -> list:
        return find_regularizers(model)

    def _nothing_found_message(self) -> str:
        return (
            "RegularizationSchedule found no kreg regularizer in the model. Build "
            "layers with e.g. `kernel_regularizer=kreg.regularizers.L2(...)` or "
            "call `kreg.regularize(model, kernel=...)`; Keras' own regularizers "
            "hold λ as a Python float and cannot be changed without retracing."
        )


def find_regularizers(model) -> list:
    """Every kreg regularizer reachable from ``model``, each once, in order."""
    candidates = []
    for layer in _compat.flatten_layers(model, include_self=True):
        for variable in layer.weights:
            candidates.append(getattr(variable, "regularizer", None))
        for key, value in vars(layer).items():
            if key.endswith("regularizer"):
                candidates.append(value)
    return _unique(r for c in candidates for r in _flatten(c))


def _flatten(item) -> list:
    if isinstance(item, Regularizer):
        return [item]
    terms = getattr(item, "terms", None)
    if isinstance(item, keras.regularizers.Regularizer) and isinstance(terms, list):
        return [r for term in terms for r in _flatten(term)]
    return []


def _unique(items) -> list:
    seen, out = set(), []
    for item in items:
        if id(item) not in seen:
            seen.add(id(item))
            out.append(item)
    return out

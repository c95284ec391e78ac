"""Search-space helpers: take KerasTuner's ``hp`` and return ready objects.

Every helper registers its hyperparameters under names that start with
``name`` (``"regularizer_on"``, ``"regularizer_kind"``,
``"regularizer_strength"``...), so two calls with different names never clash.
Strengths use ``sampling="log"``; since a log range cannot hold 0, "off" is a
``Boolean`` whose ``conditional_scope`` holds the strength.
"""

import math
from inspect import signature

import keras_tuner

from kreg import regularizers
from kreg._validation import check_choice, check_float, invalid_argument
from kreg.regularizers.kinds import KINDS, build

#: Suffixes of the hyperparameter names that measure how strongly a trial
#: regularizes (see :func:`kreg.tuning.regularization_level`).
LEVEL_SUFFIXES = ("strength", "dropout_rate", "dropout", "weight_decay")


def _check_hp(hp, owner: str):
    if not isinstance(hp, keras_tuner.HyperParameters):
        raise invalid_argument(owner, "hp", "a keras_tuner.HyperParameters", hp)


def _check_name(name, owner: str) -> str:
    if not isinstance(name, str) or not name:
        raise invalid_argument(owner, "name", "a non-empty string", name)
    return name


def _check_log_range(low, high, owner: str, low_name: str, high_name: str):
    low = check_float(low, low_name, owner, low=0.0, low_inclusive=False)
    high = check_float(high, high_name, owner, low=0.0, low_inclusive=False)
    if high <= low:
        raise invalid_argument(owner, high_name, f"a float > {low_name}={low:g}", high)
    return low, high


def regularizer(
    hp: keras_tuner.HyperParameters,
    name: str = "regularizer",
    *,
    kinds: tuple[str, ...] = ("l1", "l2", "elastic_net", "group_lasso"),
    min_strength: float = 1e-5,
    max_strength: float = 1e-1,
    allow_none: bool = True,
    groups: str = "inputs",
) -> regularizers.Regularizer | None:
    """Returns a kreg regularizer whose kind and strength are hyperparameters.

    Registers ``{name}_on`` (a Boolean, when ``allow_none``), then inside its
    conditional scope ``{name}_kind`` (a Choice among ``kinds``, when there
    are several), ``{name}_strength`` (log scale in
    ``[min_strength, max_strength]``) and, for the elastic net and the sparse
    group lasso, ``{name}_l1_ratio`` (in [0.1, 0.9]).

    Args:
        hp: the trial's hyperparameters.
        name: prefix of the hyperparameter names. Defaults to `"regularizer"`.
        kinds: kinds to choose from, among `"l1"`, `"l2"`, `"elastic_net"`,
            `"group_lasso"` and `"sparse_group_lasso"` (the registry
            ``kreg.regularizers.kinds.KINDS``). Defaults to
            `("l1", "l2", "elastic_net", "group_lasso")`.
        min_strength: the smallest strength (> 0). Defaults to `1e-5`.
        max_strength: the largest strength. Defaults to `1e-1`.
        allow_none: whether "no regularization" is a choice. Defaults to
            `True`.
        groups: the groups of the group lassos, `"inputs"` (switch off input
            features) or `"units"`. Defaults to `"inputs"`.

    Returns:
        A new :class:`kreg.regularizers.Regularizer`, or `None` when the trial
        has regularization switched off.

    Example:

    >>> import keras_tuner
    >>> hp = keras_tuner.HyperParameters()
    >>> reg = kreg.tuning.regularizer(hp, kinds=("l1",), allow_none=False)
    >>> type(reg).__name__, round(float(reg.strength), 8)
    ('L1', 1e-05)
    >>> sorted(hp.values)
    ['regularizer_strength']
    """
    owner = "regularizer"
    _check_hp(hp, owner)
    name = _check_name(name, owner)
    kinds = tuple(kinds) if isinstance(kinds, list | tuple) else kinds
    if (
        not isinstance(kinds, tuple)
        or not kinds
        or any(k not in KINDS for k in kinds)
        or len(set(kinds)) != len(kinds)
    ):
        listed = ", ".join(repr(k) for k in KINDS)
        raise invalid_argument(
            owner, "kinds", f"a non-empty tuple of distinct kinds among {listed}", kinds
        )
    low, high = _check_log_range(
        min_strength, max_strength, owner, "min_strength", "max_strength"
    )
    groups = check_choice(groups, "groups", owner, ("inputs", "units"))
    if not isinstance(allow_none, bool):
        raise invalid_argument(owner, "allow_none", "a bool", allow_none)

    if not allow_none:
        return _regularizer_on(hp, name, kinds, low, high, groups)
    on = hp.Boolean(f"{name}_on", default=True)
    with hp.conditional_scope(f"{name}_on", [True]):
        reg = _regularizer_on(hp, name, kinds, low, high, groups)
    return reg if on else None


def _regularizer_on(hp, name, kinds, low, high, groups):
    if len(kinds) > 1:
        kind = hp.Choice(f"{name}_kind", list(kinds))
    else:
        kind = kinds[0]
    strength = hp.Float(f"{name}_strength", low, high, sampling="log")
    # The kinds that mix L1 with another term take a ratio.
    ratio_kinds = [k for k in kinds if "l1_ratio" in signature(KINDS[k]).parameters]
    l1_ratio = None
    if ratio_kinds:
        if len(kinds) > 1:
            with hp.conditional_scope(f"{name}_kind", ratio_kinds):
                l1_ratio = hp.Float(f"{name}_l1_ratio", 0.1, 0.9, step=0.2)
        else:
            l1_ratio = hp.Float(f"{name}_l1_ratio", 0.1, 0.9, step=0.2)
    if kind is None or strength is None:
        # Inactive scope: KerasTuner is exploring the space, no object needed.
        return None
    return build(kind, strength, l1_ratio=l1_ratio, groups=groups)


def dropout_rate(
    hp: keras_tuner.HyperParameters,
    name: str = "dropout_rate",
    *,
    min_value: float = 0.0,
    max_value: float = 0.5,
    step: float = 0.1,
) -> float:
    """Returns a dropout rate, a hyperparameter on a linear grid.

    A linear range holds 0, so "no dropout" is reachable with no Boolean.

    Args:
        hp: the trial's hyperparameters.
        name: the hyperparameter's name. Defaults to `"dropout_rate"`.
        min_value: the smallest rate, in [0, 1). Defaults to `0.0`.
        max_value: the largest rate, in (min_value, 1). Defaults to `0.5`.
        step: grid step (> 0). Defaults to `0.1`.

    Example:

    >>> import keras_tuner
    >>> kreg.tuning.dropout_rate(keras_tuner.HyperParameters())
    0.0
    """
    owner = "dropout_rate"
    _check_hp(hp, owner)
    name = _check_name(name, owner)
    low = check_float(
        min_value, "min_value", owner, low=0.0, high=1.0, high_inclusive=False
    )
    high = check_float(
        max_value, "max_value", owner, low=0.0, high=1.0, high_inclusive=False
    )
    if high <= low:
        raise invalid_argument(
            owner, "max_value", f"a float > min_value={low:g}", max_value
        )
    step = check_float(step, "step", owner, low=0.0, low_inclusive=False)
    return hp.Float(name, low, high, step=step)


def weight_decay(
    hp: keras_tuner.HyperParameters,
    name: str = "weight_decay",
    *,
    min_value: float = 1e-6,
    max_value: float = 1e-1,
    allow_none: bool = True,
) -> float:
    """Returns a decoupled weight decay for ``keras.optimizers.AdamW`` and kin.

    Decoupled weight decay is its own dimension: with Adam it is not the same
    as an L2 penalty, because Adam rescales the penalty's gradient per weight
    while decoupled decay shrinks every weight by the same factor
    (Loshchilov & Hutter). Registers ``{name}_on`` (when ``allow_none``) and,
    in its conditional scope, ``{name}`` on a log scale.

    Args:
        hp: the trial's hyperparameters.
        name: the hyperparameter's name. Defaults to `"weight_decay"`.
        min_value: the smallest decay (> 0). Defaults to `1e-6`.
        max_value: the largest decay. Defaults to `1e-1`.
        allow_none: whether 0 (no decay) is a choice. Defaults to `True`.

    Returns:
        The decay, `0.0` when switched off.

    Example:

    >>> import keras_tuner
    >>> hp = keras_tuner.HyperParameters()
    >>> wd = kreg.tuning.weight_decay(hp)
    >>> optimizer = keras.optimizers.AdamW(weight_decay=wd)

    References:
        Loshchilov & Hutter, "Decoupled weight decay regularization",
        https://arxiv.org/abs/1711.05101
    """
    owner = "weight_decay"
    _check_hp(hp, owner)
    name = _check_name(name, owner)
    low, high = _check_log_range(min_value, max_value, owner, "min_value", "max_value")
    if not isinstance(allow_none, bool):
        raise invalid_argument(owner, "allow_none", "a bool", allow_none)
    if not allow_none:
        return hp.Float(name, low, high, sampling="log")
    on = hp.Boolean(f"{name}_on", default=True)
    with hp.conditional_scope(f"{name}_on", [True]):
        value = hp.Float(name, low, high, sampling="log")
    return float(value) if on and value is not None else 0.0


def augmentation_strength(
    hp: keras_tuner.HyperParameters,
    name: str = "augmentation_strength",
    *,
    min_value: float = 0.0,
    max_value: float = 1.0,
    step: float = 0.25,
) -> float:
    """Returns an augmentation strength in ``[min_value, max_value]``.

    One number that scales every augmentation of a pipeline (a shift of
    ``0.1 * strength`` of the image, a rotation of ``strength * 0.05`` turns,
    ...), so the amount of augmentation is tuned as one dimension with the
    other regularizers. 0 (no augmentation) is on the grid.

    Args:
        hp: the trial's hyperparameters.
        name: the hyperparameter's name. Defaults to `"augmentation_strength"`.
        min_value: the smallest strength (>= 0). Defaults to `0.0`.
        max_value: the largest strength. Defaults to `1.0`.
        step: grid step (> 0). Defaults to `0.25`.

    Example:

    >>> import keras_tuner
    >>> s = kreg.tuning.augmentation_strength(keras_tuner.HyperParameters())
    >>> shift = keras.layers.RandomTranslation(0.1 * s + 1e-9, 0.1 * s + 1e-9)
    """
    owner = "augmentation_strength"
    _check_hp(hp, owner)
    name = _check_name(name, owner)
    low = check_float(min_value, "min_value", owner, low=0.0)
    high = check_float(max_value, "max_value", owner, low=0.0)
    if high <= low:
        raise invalid_argument(
            owner, "max_value", f"a float > min_value={low:g}", max_value
        )
    step = check_float(step, "step", owner, low=0.0, low_inclusive=False)
    return hp.Float(name, low, high, step=step)


def regularization_level(hp: keras_tuner.HyperParameters) -> float:
    """How strongly a trial's hyperparameters regularize, as one number.

    The sum, over the active ``Float`` hyperparameters whose names end with
    ``strength``, ``dropout_rate``, ``dropout`` or ``weight_decay`` (the
    names the helpers of this module register; not ``learning_rate``), of
    the value's position in its range, in [0, 1]: on
    the log scale for log-sampled ones. A dimension switched off by its
    Boolean (or inactive) counts 0. The one-standard-error rule picks, among
    the trials within one standard error of the best, the one with the
    highest level.

    Example:

    >>> import keras_tuner
    >>> hp = keras_tuner.HyperParameters()
    >>> _ = hp.Float("dropout_rate", 0.0, 0.5, step=0.1, default=0.25)
    >>> _ = hp.Float("l1_strength", 1e-4, 1e-2, sampling="log", default=1e-3)
    >>> round(kreg.tuning.regularization_level(hp), 6)  # 0.5 + 0.5
    1.0
    """
    level = 0.0
    for param in hp.space:
        if not isinstance(param, keras_tuner.engine.hyperparameters.Float):
            continue
        if not param.name.endswith(LEVEL_SUFFIXES) or not hp.is_active(param):
            continue
        value = hp.values.get(param.name)
        if value is None:
            continue
        low, high = param.min_value, param.max_value
        if high <= low:
            continue
        if param.sampling == "log":
            position = (math.log(value) - math.log(low)) / (
                math.log(high) - math.log(low)
            )
        else:
            position = (value - low) / (high - low)
        level += min(max(position, 0.0), 1.0)
    return level

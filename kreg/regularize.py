"""Attach regularizers to a model that is already built, even pre-trained."""

import copy
import dataclasses
import re
import warnings
from collections.abc import Callable

import keras

from kreg import _compat
from kreg._validation import invalid_argument

LayerSelector = type | tuple | str | Callable[[keras.layers.Layer], bool] | None


@dataclasses.dataclass(frozen=True)
class RegularizeReport:
    """What :func:`regularize` did.

    Attributes:
        applied: ``"layer/weight"`` names that now carry a penalty.
        skipped: layer name to the reason it got no penalty.
    """

    applied: list[str]
    skipped: dict[str, str]


def _select(layers: LayerSelector) -> Callable[[keras.layers.Layer], bool]:
    if layers is None:
        return lambda layer: True
    if isinstance(layers, str):
        pattern = re.compile(layers)
        return lambda layer: pattern.fullmatch(layer.name) is not None
    if isinstance(layers, type) or (
        isinstance(layers, tuple) and all(isinstance(t, type) for t in layers)
    ):
        return lambda layer: isinstance(layer, layers)
    if callable(layers):
        return layers
    raise invalid_argument(
        "regularize",
        "layers",
        "None, a layer class or tuple of classes, a regular expression on layer "
        "names, or a callable(layer) -> bool",
        layers,
    )


def _attach(layer, attr: str, regularizer, applied, skipped) -> None:
    variable = getattr(layer, attr, None)
    if not isinstance(variable, keras.Variable):
        return
    if not layer.trainable or not variable.trainable:
        skipped[layer.name] = (
            "frozen (trainable=False): Keras adds no penalty for frozen weights"
        )
        return
    config_key = f"{attr}_regularizer"
    if config_key not in layer.get_config():
        skipped[layer.name] = (
            f"its config has no `{config_key}`, so the penalty would not survive saving"
        )
        return
    variable.regularizer = regularizer  # what Layer.losses reads
    setattr(layer, config_key, regularizer)  # what get_config saves
    applied.append(variable.path)


def regularize(
    model: keras.Model,
    kernel: keras.regularizers.Regularizer | None = None,
    bias: keras.regularizers.Regularizer | None = None,
    layers: LayerSelector = None,
    share: bool = True,
) -> RegularizeReport:
    """Adds weight penalties to a built (even pre-trained) model, in place.

    Setting ``layer.kernel_regularizer`` after a layer is built does nothing in
    Keras: the penalty is read from the weight variable. This function sets
    both, so the penalty counts in ``model.losses`` and in training, and is
    saved with the model (``model.save`` then ``keras.models.load_model`` in a
    fresh process restores it). The compiled train and test functions are
    reset so the next ``fit`` sees the penalty.

    Layers that get no penalty are reported, never skipped silently: frozen
    layers (Keras adds no penalty for non-trainable weights) and layers whose
    config cannot save the regularizer. A warning lists them.

    Args:
        model: a built Keras model.
        kernel: the regularizer for each selected layer's ``kernel`` (Dense,
            Conv, EinsumDense, ...). Defaults to `None` (kernels untouched).
        bias: the regularizer for each selected layer's ``bias``. Defaults to
            `None` (biases untouched).
        layers: which layers: `None` (all), a layer class or tuple of
            classes, a regular expression that must match the whole layer name,
            or a callable ``layer -> bool``. Defaults to `None`.
        share: if True, every layer shares the given regularizer objects, so
            one ``reg.strength`` change reaches all of them during training;
            if False, each layer gets its own copy. After saving and loading
            each layer has its own copy either way. Defaults to `True`.

    Returns:
        A :class:`RegularizeReport` with the weights penalized and the layers
        skipped, with reasons.

    Example:

    >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8),
    ...     keras.layers.Dense(1, name="out")], name="mlp")
    >>> report = kreg.regularize(model, kernel=kreg.regularizers.L2(1e-3))
    >>> report.applied
    ['mlp/dense/kernel', 'mlp/out/kernel']
    >>> len(model.losses)
    2
    """
    if not isinstance(model, keras.layers.Layer) or not model.built:
        raise invalid_argument("regularize", "model", "a built Keras model", model)
    for name, reg in (("kernel", kernel), ("bias", bias)):
        if reg is not None and not isinstance(reg, keras.regularizers.Regularizer):
            raise invalid_argument(
                "regularize", name, "a keras.regularizers.Regularizer or None", reg
            )
    if kernel is None and bias is None:
        raise invalid_argument(
            "regularize", "kernel", "a regularizer (or pass `bias`)", kernel
        )
    select = _select(layers)
    applied: list[str] = []
    skipped: dict[str, str] = {}
    # _flatten_layers reaches layers nested in sub-models and custom layers.
    for layer in _compat.flatten_layers(model, include_self=False):
        if not select(layer):
            continue
        for attr, reg in (("kernel", kernel), ("bias", bias)):
            if reg is not None:
                reg = reg if share else copy.deepcopy(reg)
                _attach(layer, attr, reg, applied, skipped)
    # Traced train/test functions captured the old (empty) list of penalties.
    model.train_function = None
    model.test_function = None
    if skipped:
        listed = "; ".join(f"{k}: {v}" for k, v in skipped.items())
        warnings.warn(f"kreg.regularize skipped layers: {listed}", stacklevel=2)
    return RegularizeReport(applied=applied, skipped=skipped)

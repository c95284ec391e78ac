"""Glue that makes an ordinary ``build(regularizer, dropout_rate, ...)`` tunable."""

import copy
import inspect
from collections.abc import Callable
from typing import Any

import keras
import keras_tuner

from kreg._validation import invalid_argument
from kreg.tuning import search_space

#: Search spaces used for build parameters of these names when none is given.
DEFAULT_SPACES: dict[str, Callable] = {
    "regularizer": search_space.regularizer,
    "kernel_regularizer": lambda hp: search_space.regularizer(hp, "kernel_regularizer"),
    "dropout_rate": search_space.dropout_rate,
    "weight_decay": search_space.weight_decay,
    "augmentation_strength": search_space.augmentation_strength,
}

# Objects that are callable but are values, not search spaces.
_VALUE_TYPES = (
    keras.regularizers.Regularizer,
    keras.layers.Layer,
    keras.optimizers.Optimizer,
    keras.losses.Loss,
    keras.initializers.Initializer,
    type,
)


class HyperModel(keras_tuner.HyperModel):
    """Turns a plain model-building function into a KerasTuner hypermodel.

    ``build`` is an ordinary function with named parameters that returns a
    Keras model (compiled or not). Each parameter gets its value from:

    - ``space[name]`` when given: a function ``fn(hp)`` (e.g. a helper of
      :mod:`kreg.tuning` with its options, ``lambda hp:
      kreg.tuning.regularizer(hp, kinds=("l1",))``), a list (a ``Choice``
      named after the parameter) or any other value (fixed, not tuned;
      Keras objects are deep-copied per build);
    - else :data:`DEFAULT_SPACES` for the names ``regularizer``,
      ``kernel_regularizer``, ``dropout_rate``, ``weight_decay`` and
      ``augmentation_strength``;
    - else the parameter's default value (not tuned).

    The user's function never sees ``hp``.

    Args:
        build: the model-building function.
        name: the hypermodel's name. Defaults to `None`.
        **space: search spaces or fixed values, by parameter name.

    Example:

    >>> def build(regularizer, dropout_rate, units=16):
    ...     return keras.Sequential([
    ...         keras.Input((4,)),
    ...         keras.layers.Dense(units, "relu", kernel_regularizer=regularizer),
    ...         keras.layers.Dropout(dropout_rate),
    ...         keras.layers.Dense(1)])
    >>> hypermodel = kreg.tuning.HyperModel(build, units=[8, 16])
    >>> import keras_tuner
    >>> hp = keras_tuner.HyperParameters()
    >>> model = hypermodel.build(hp)
    >>> sorted(hp.values)  # doctest: +NORMALIZE_WHITESPACE
    ['dropout_rate', 'regularizer_kind', 'regularizer_on',
     'regularizer_strength', 'units']
    """

    def __init__(
        self, build: Callable[..., keras.Model], name: str | None = None, **space
    ):
        if not callable(build):
            raise invalid_argument("HyperModel", "build", "a callable", build)
        try:
            signature = inspect.signature(build)
        except (TypeError, ValueError) as error:
            raise invalid_argument(
                "HyperModel", "build", "a function with an inspectable signature", build
            ) from error
        parameters = {
            p.name: p
            for p in signature.parameters.values()
            if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        }
        accepts_kwargs = any(
            p.kind == p.VAR_KEYWORD for p in signature.parameters.values()
        )
        unknown = [n for n in space if n not in parameters and not accepts_kwargs]
        if unknown:
            raise TypeError(
                f"HyperModel got search spaces for parameter(s) that `build` does "
                f"not take: {', '.join(sorted(unknown))}"
            )
        self._spaces: dict[str, Any] = {}
        for pname, parameter in parameters.items():
            if pname in space:
                self._spaces[pname] = space[pname]
            elif pname in DEFAULT_SPACES:
                self._spaces[pname] = DEFAULT_SPACES[pname]
            elif parameter.default is parameter.empty:
                raise invalid_argument(
                    "HyperModel",
                    "build",
                    "a function whose parameters each have a search space, a "
                    f"default space or a default value (parameter `{pname}` has "
                    "none: pass HyperModel(build, "
                    f"{pname}=...))",
                    build,
                )
        for pname in space:
            if pname not in parameters:
                self._spaces[pname] = space[pname]
        self.build_fn = build
        super().__init__(name=name, tunable=True)

    @property
    def spaces(self) -> dict[str, Any]:
        """The search space (or fixed value) of each parameter passed to build."""
        return dict(self._spaces)

    def build(self, hp: keras_tuner.HyperParameters) -> keras.Model:
        """Draws every parameter from ``hp`` and calls the build function."""
        kwargs = {pname: _draw(hp, pname, spec) for pname, spec in self._spaces.items()}
        return self.build_fn(**kwargs)

    def values(self, hp: keras_tuner.HyperParameters) -> dict[str, Any]:
        """The keyword arguments that ``build`` receives for ``hp``."""
        hp = hp.copy()
        return {pname: _draw(hp, pname, spec) for pname, spec in self._spaces.items()}


def _draw(hp, name: str, spec):
    if isinstance(spec, list):
        return hp.Choice(name, spec)
    if callable(spec) and not isinstance(spec, _VALUE_TYPES):
        return spec(hp)
    if isinstance(spec, keras.regularizers.Regularizer | keras.layers.Layer):
        return copy.deepcopy(spec)
    return spec

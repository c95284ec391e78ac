"""Small test helpers shared by every family (keras.src.testing is private)."""

import re

import keras
import numpy as np
import pytest


def assert_invalid(build, name: str, value, owner: str | None = None):
    """Asserts that ``build()`` raises kreg's ValueError for argument ``name``."""
    pattern = rf"Invalid value for argument `{re.escape(name)}`"
    if owner is not None:
        pattern += rf" of {re.escape(owner)}"
    pattern += rf".*Received: {re.escape(name)}={re.escape(repr(value))}"
    with pytest.raises(ValueError, match=pattern):
        build()


def assert_config_roundtrip(obj):
    """from_config(get_config()) rebuilds an object with the same config."""
    config = obj.get_config()
    clone = type(obj).from_config(config)
    assert clone.get_config() == config
    serialized = keras.saving.serialize_keras_object(obj)
    assert serialized["module"] is None or serialized["registered_name"].startswith(
        "kreg>"
    ), serialized
    restored = keras.saving.deserialize_keras_object(serialized)
    assert type(restored) is type(obj)
    assert restored.get_config() == config
    return clone


def assert_saved_model_roundtrip(model, x, tmp_path, *, atol=1e-6, **predict_kwargs):
    """Saves to ``.keras`` and loads with no custom_objects; outputs must match."""
    path = str(tmp_path / "model.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    expected = model.predict(x, verbose=0, **predict_kwargs)
    actual = loaded.predict(x, verbose=0, **predict_kwargs)
    np.testing.assert_allclose(actual, expected, atol=atol)
    return loaded


class TraceCounter(keras.layers.Layer):
    """Identity layer that counts how often its ``call`` runs in Python.

    Inside a compiled train function Python runs only while tracing, so the
    count rising between two ``fit`` calls means the function was retraced.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.count = 0

    def call(self, inputs):
        self.count += 1
        return inputs

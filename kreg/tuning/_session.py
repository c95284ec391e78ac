"""A fresh Keras session before each model of a search or a path."""

import gc
import time

import keras

#: Seconds between two full garbage collections.
_INTERVAL = 10.0
_last_collection = -_INTERVAL


def fresh_session() -> None:
    """Resets Keras' global state; a full garbage collection at most every 10 s.

    A finished model is freed only by a full collection (Keras models hold
    reference cycles), and one costs 0.1 to 1 s in a large process. Run before
    every fold or strength it dominated short fits (two thirds of a tiny
    search's time); once every 10 s it still bounds the memory of a long one.
    """
    global _last_collection
    keras.backend.clear_session(free_memory=False)
    if time.monotonic() - _last_collection >= _INTERVAL:
        gc.collect()
        _last_collection = time.monotonic()

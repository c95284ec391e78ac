"""One fold's training state on disk after every epoch, so a killed search
resumes mid-fold."""

import os

import keras
import keras_tuner
import numpy as np

from kreg.tuning.tuner.store import _read_json, _write_json


class _FoldCheckpoint(keras.callbacks.Callback):
    """Saves one fold's training state after each epoch, for resumption."""

    def __init__(self, directory: str, key: str, stopper):
        super().__init__()
        self.directory = directory
        self.key = key
        self.stopper = stopper
        self.logs: list[dict] = []
        self._state = None

    def restore_weights(self, model) -> int:
        """Loads the saved weights into ``model``; returns the epoch to resume at."""
        state = _read_json(os.path.join(self.directory, "state.json"))
        if state is None or state.get("key") != self.key:
            self._state = None
            return 0
        if model.optimizer is not None and not model.optimizer.built:
            model.optimizer.build(model.trainable_variables)
        path = os.path.join(self.directory, state["weights"])
        if path.endswith(".h5"):  # written by kreg 0.1
            model.load_weights(path)
        else:
            with np.load(path) as saved:
                values = [saved[f"w{i}"] for i in range(len(saved.files))]
            variables = _state_variables(model)
            if len(values) != len(variables):
                raise keras_tuner.errors.FatalValueError(
                    f"The checkpoint {path} holds {len(values)} variables, the "
                    f"model has {len(variables)}: the project does not match "
                    "this model; pass overwrite=True to start afresh."
                )
            for variable, value in zip(variables, values):
                variable.assign(value)
        self._state = state
        return int(state["epoch"])

    def on_train_begin(self, logs=None):
        # Runs after the early stopping's own on_train_begin has reset it.
        self.logs = []
        state = self._state
        if state is None:
            return
        self.logs = list(state["logs"])
        if self.stopper is not None:
            for name, value in state["stopper"].items():
                setattr(self.stopper, name, value)
            if state.get("best_weights"):
                with np.load(os.path.join(self.directory, state["best_weights"])) as f:
                    self.stopper.best_weights = [
                        f[f"w{i}"] for i in range(len(f.files))
                    ]

    def on_epoch_end(self, epoch, logs=None):
        self.logs.append({k: float(v) for k, v in (logs or {}).items()})
        os.makedirs(self.directory, exist_ok=True)
        # The model's and the optimizer's variables in one .npz, atomically:
        # about a tenth of the cost of save_weights' HDF5 file, paid every
        # epoch.
        weights = f"epoch_{epoch + 1}.npz"
        _save_arrays(
            os.path.join(self.directory, weights),
            [np.asarray(v) for v in _state_variables(self.model)],
        )
        state = {
            "key": self.key,
            "epoch": epoch + 1,
            "weights": weights,
            "logs": self.logs,
        }
        state["stopper"], state["best_weights"] = {}, None
        previous = self._state or {}
        if self.stopper is not None:
            state["stopper"] = {
                name: _plain(value)
                for name, value in vars(self.stopper).items()
                if name != "_model" and _is_plain(value)
            }
            best = getattr(self.stopper, "best_weights", None)
            if best is not None:
                best_epoch = getattr(self.stopper, "best_epoch", epoch)
                name = f"best_{best_epoch + 1}.npz"
                if name != previous.get("best_weights"):
                    _save_arrays(os.path.join(self.directory, name), best)
                state["best_weights"] = name
        _write_json(os.path.join(self.directory, "state.json"), state)
        # Files the new state no longer names are stale.
        for name in os.listdir(self.directory):
            if name not in (weights, state["best_weights"], "state.json"):
                os.remove(os.path.join(self.directory, name))
        self._state = state

    def clear(self):
        if os.path.isdir(self.directory):
            for name in os.listdir(self.directory):
                os.remove(os.path.join(self.directory, name))
            os.rmdir(self.directory)


def _state_variables(model) -> list:
    """What a fold checkpoint holds: the model's variables (weights, seed
    generator states) and the optimizer's."""
    optimizer = model.optimizer.variables if model.optimizer is not None else []
    return [*model.variables, *optimizer]


def _save_arrays(path: str, arrays) -> None:
    with open(path + ".tmp", "wb") as f:
        np.savez(f, **{f"w{i}": a for i, a in enumerate(arrays)})
    os.replace(path + ".tmp", path)


def _is_plain(value) -> bool:
    if isinstance(value, list):
        return all(_is_plain(v) and not isinstance(v, list) for v in value)
    return isinstance(value, bool | int | float | str | np.integer | np.floating) or (
        value is None
    )


def _plain(value):
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value

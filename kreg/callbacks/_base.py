"""What every kreg callback shares: a clean deep copy and log-key checks."""

import copy

import keras


class Callback(keras.callbacks.Callback):
    """Base class of kreg's callbacks (private).

    KerasTuner deep-copies the callbacks for every trial. A copy must not drag
    along the model of an earlier ``fit`` (``_model``), and objects the user
    handed in to be driven (regularizers, layers of a ``tf.data`` pipeline)
    must stay the very objects the user holds, or a copy would drive clones
    nobody uses. Subclasses list those in ``_shared_attributes``.
    """

    _shared_attributes: tuple[str, ...] = ()

    def __deepcopy__(self, memo):
        cls = type(self)
        clone = cls.__new__(cls)
        memo[id(self)] = clone
        for key, value in self.__dict__.items():
            if key == "_model":
                clone.__dict__[key] = None
            elif key in self._shared_attributes:
                clone.__dict__[key] = value
            else:
                clone.__dict__[key] = copy.deepcopy(value, memo)
        return clone


def missing_key_error(owner: str, key: str, logs: dict, hint: str) -> ValueError:
    """The error for a monitored key absent from ``logs``, naming what is there."""
    available = ", ".join(sorted(logs)) or "(none)"
    return ValueError(
        f"{owner} monitors `{key}`, which is not in the logs. Available keys: "
        f"{available}. {hint}"
    )


DATA_LOSS_HINT = (
    "To log `data_loss`/`val_data_loss`, compile with "
    "`metrics=[kreg.metrics.DataLoss(loss)]` and pass validation data, or put "
    "`kreg.callbacks.PenaltyMonitor()` before this callback in `callbacks=`; "
    "or pass another `monitor`."
)

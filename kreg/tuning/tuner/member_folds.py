"""A trial's k folds fitted as the k members of one stacked model.

``Tuner(folds_as_members=True)`` asks the hypermodel for
``build_members(hp, members)``, a ``kreg.members.MemberModel`` of ``k``
members, and fits it once on every row with the folds' roles
(``kreg.members.split_roles``) as its ``sample_weight``: member ``j`` trains
on fold ``j``'s training rows only and is scored on its validation rows
(batches hold about ``batch_size`` training rows of each member: see
:func:`member_batch_size`). Each epoch ends with one inference-mode forward
pass that scores every member (as Keras' ``validation_data`` does for a
fold's own fit), and
``kreg.members.MemberEarlyStopping`` freezes each member on its own. What is
recorded per member is what a sequential fold records (``fold_<j>.json``:
score at its best epoch, epochs run, the per-epoch logs), so the trial's
summary, ``cv_results()`` and the refit epochs are computed by the same code.

A hypermodel that prepares each fold's rows in ``fit`` (KerasTuner's hook:
``kreg tune`` fits its imputation and scaling there) prepares the members'
data in ``prepare_members(hp, x, y, splits)`` instead: it returns the
stacked fit's ``(x, y)``, with a member axis where the members' data differ
(``x`` of shape ``(rows, members, features)``: member ``j``'s preprocessing
fitted on fold ``j``'s training rows only).
"""

import os

import keras
import keras_tuner
import numpy as np

from kreg._validation import invalid_argument
from kreg.members import (
    TRAIN,
    VALIDATION,
    MemberEarlyStopping,
    MemberModel,
    split_roles,
)
from kreg.tuning._session import fresh_session
from kreg.tuning.tuner.store import _derive_seed, _read_json, _write_json
from kreg.tuning.tuner.trials import _fold_result

#: The hypermodel method a stacked trial needs.
BUILD_MEMBERS = "build_members"
#: The optional hypermodel method that prepares the stacked fit's data.
PREPARE_MEMBERS = "prepare_members"


def check_tuner(hypermodel, objective: str, owner: str) -> None:
    """Raises unless ``folds_as_members=True`` can work with these."""
    if not callable(getattr(hypermodel, BUILD_MEMBERS, None)):
        raise invalid_argument(
            owner,
            "folds_as_members",
            f"False for a hypermodel without a {BUILD_MEMBERS}(hp, members) method",
            True,
        )
    overrides_fit = (
        getattr(type(hypermodel), "fit", None) is not keras_tuner.HyperModel.fit
    )
    if overrides_fit and not callable(getattr(hypermodel, PREPARE_MEMBERS, None)):
        # Its fit (each fold's own preprocessing, say) would be bypassed.
        raise invalid_argument(
            owner,
            "folds_as_members",
            f"False for a hypermodel whose own fit has no {PREPARE_MEMBERS}(hp, "
            "x, y, splits) beside it (the stacked fit does not call fit)",
            True,
        )
    if objective != "val_data_loss":
        raise invalid_argument(
            owner,
            "folds_as_members",
            "False unless the objective is 'val_data_loss' (the members' "
            f"score; the objective is {objective!r})",
            True,
        )


def check_search(sample_weight, fit_kwargs: dict, owner: str) -> None:
    """The roles of the rows are the stacked fit's ``sample_weight``: no other
    weights, and no further fit arguments."""
    for name, value in {"sample_weight": sample_weight, **fit_kwargs}.items():
        if value is not None:
            raise invalid_argument(
                owner, name, "None with folds_as_members=True", value
            )


class _MemberScores(keras.callbacks.Callback):
    """Scores every member in inference mode at each epoch end and keeps
    each member's per-epoch logs until it stops (with the accuracy for a
    classifier, as a sequential fold's ``accuracy`` metric).

    The vectors are written into the epoch's ``logs`` (Keras hands the same
    dict to every later callback), so the ``MemberEarlyStopping`` after it
    stops on these scores, not on the training steps' running means.
    """

    def __init__(self, x, y, roles):
        super().__init__()
        self.data = (x, y, roles)
        self.history = None

    def on_train_begin(self, logs=None):
        self.history = [[] for _ in range(self.model.members)]

    def on_epoch_end(self, epoch, logs=None):
        active = np.asarray(self.model.active.numpy()) > 0
        train, validation = self.model.score(*self.data)
        if logs is not None:
            logs["member_data_loss"] = train
            logs["member_val_data_loss"] = validation
        accuracy = _member_accuracy(self.model, *self.data)
        # A member frozen at an earlier epoch end has stopped: its fold's
        # history ends there, as a sequential fold's fit would have.
        for member in np.flatnonzero(active):
            log = {
                "data_loss": float(train[member]),
                "val_data_loss": float(validation[member]),
            }
            if accuracy is not None:
                log["accuracy"] = float(accuracy[0][member])
                log["val_accuracy"] = float(accuracy[1][member])
            self.history[member].append(log)


def _member_accuracy(model, x, y, roles):
    """Each member's accuracy on its training and its validation rows, in
    inference mode (`None` for regression); the threshold of Keras'
    ``BinaryAccuracy`` (0.5) for one sigmoid output."""
    if model.task == "regression":
        return None
    predictions = np.asarray(model.predict_on_batch(x))  # (rows, members, outputs)
    y = np.asarray(y)
    # (rows, 1) shared by all members, or (rows, members) with a member axis
    labels = y[..., 0] if y.ndim == 3 else y.reshape(len(predictions), -1)[:, :1]
    if model.task == "binary":
        guesses = (predictions[..., 0] > 0.5).astype(labels.dtype)
    else:
        guesses = np.argmax(predictions, axis=-1)
    correct = (guesses == labels).astype("float64")  # (rows, members)
    out = []
    for role in (TRAIN, VALIDATION):
        mask = np.asarray(roles) == role
        count = mask.sum(axis=0)
        hits = (correct * mask).sum(axis=0)
        out.append(np.where(count > 0, hits / np.maximum(count, 1), np.nan))
    return tuple(out)


def run_member_folds(
    tuner, trial, x, y, *, trial_dir, key, epochs, batch_size, callbacks, verbose
) -> list[dict]:
    """The trial's fold results, from one fit of a k-member model.

    Folds already recorded with this ``key`` are reused when all are; a
    stacked fit interrupted midway starts again (it keeps no per-epoch
    checkpoint).
    """
    splits = tuner._splits
    paths = [os.path.join(trial_dir, f"fold_{j}.json") for j in range(len(splits))]
    done = [_read_json(path) for path in paths]
    if all(d is not None and d.get("key") == key for d in done):
        return done
    roles = split_roles(splits, len(y))
    prepare = getattr(tuner.hypermodel, PREPARE_MEMBERS, None)
    if callable(prepare):
        x, y = prepare(trial.hyperparameters, x, y, splits)
    model = _build_members(tuner.hypermodel, trial, len(splits), tuner.seed)
    scores = _MemberScores(x, y, roles)
    fit_callbacks = [*tuner._deepcopy_callbacks(callbacks), scores]
    if tuner.patience is not None:
        fit_callbacks.append(
            MemberEarlyStopping(
                "member_val_data_loss",
                patience=tuner.patience,
                restore_best_weights=False,  # the trial keeps no model
            )
        )
    model.fit(
        x,
        y,
        sample_weight=roles,
        epochs=epochs,
        batch_size=member_batch_size(batch_size, splits, len(y)),
        callbacks=fit_callbacks,
        verbose=verbose,
    )
    results = []
    for path, history in zip(paths, scores.history):
        result = _fold_result(history, tuner.objective, key)
        _write_json(path, result)
        results.append(result)
    return results


def member_batch_size(batch_size: int, splits, rows: int) -> int:
    """The stacked fit's batch size: a member trains on about ``(k-1)/k`` of
    a batch's rows, so ``batch_size * rows / training rows`` gives each member
    about ``batch_size`` training rows per step and the steps per epoch of its
    sequential fold's fit (an epoch then means what it means there, and the
    refit's epochs, found by cross-validation, too)."""
    train_rows = float(np.mean([len(train) for train, _ in splits]))
    return max(batch_size, round(batch_size * rows / max(train_rows, 1.0)))


def _build_members(hypermodel, trial, members: int, seed: int) -> MemberModel:
    fresh_session()
    keras.utils.set_random_seed(_derive_seed(seed, trial.trial_id, 0))
    model = getattr(hypermodel, BUILD_MEMBERS)(trial.hyperparameters, members)
    if not isinstance(model, MemberModel) or model.members != members:
        raise keras_tuner.errors.FatalTypeError(
            f"build_members(hp, {members}) must return a compiled "
            f"kreg.members.MemberModel of {members} members. Received: {model!r}"
        )
    if not model.compiled:
        raise keras_tuner.errors.FatalValueError(
            "build_members must return a compiled MemberModel (it sets its "
            "own optimizer; the Tuner's loss and optimizer are not used)."
        )
    return model

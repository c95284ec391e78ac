"""One strength after another for every member of a stacked λ path, in one fit."""

import dataclasses
import time
from collections.abc import Callable

import keras
import numpy as np
import tensorflow as tf

from kreg import members as mem
from kreg.tuning import selection
from kreg.tuning.checkpoint import PathCheckpoint
from kreg.tuning.path.convergence import settled
from kreg.tuning.path.model import _active_inputs
from kreg.tuning.path.solver import LOCAL_MARGIN, _median_phases
from kreg.tuning.path.stack import _Curvature

#: The fit key of a stacked path's saved strengths (all members in one file).
KEY = "members"


@dataclasses.dataclass
class StepSettings:
    """What the members' fits need besides the stacked model and the grid."""

    x: np.ndarray
    y: np.ndarray
    roles: np.ndarray
    splits: list
    converge: bool  # GLMs: every member to convergence; nets: early stopping
    epochs: int
    patience: int
    warm_patience: int
    min_delta: float  # early stopping's relative improvement
    tol: float  # convergence: see kreg.tuning.path.convergence
    glm_rate: float | None
    sparsity_tol: float
    keep_weights: bool
    checkpoint: PathCheckpoint | None = None
    listener: Callable | None = None  # listener(fit key, index, row)
    seeds: int = 1  # initializations per fold: splits[m] is fold m % k's


class _Steps(keras.callbacks.Callback):
    """Fits one strength after another for every member in one ``fit``.

    At each strength every member trains until its own stopping rule fires:
    fold members on their held-out rows (kreg's early stopping, the best
    weights restored), or every member until its weights and momentum
    settle (GLMs, ``convergence``; its last weights kept). A stopped member
    is frozen (``model.active``); its optimizer state is kept as it was when
    it stopped. The all-rows member of an early-stopped path trains alongside
    and is set back to its weights after the folds' median best epoch.
    """

    def __init__(self, stack, order, settings: StepSettings):
        super().__init__()
        self.stack = stack
        self.order = list(order)
        self.settings = settings
        self.k = stack.members - 1
        self.rows = [[] for _ in range(stack.members)]
        self.kept = [[] for _ in range(stack.members)]
        self.seconds = []
        self.index = 0
        self.scale = np.ones(stack.members)
        self.curvature = (
            _Curvature(stack, settings.x, settings.y, settings.roles)
            if settings.converge
            else None
        )
        self.unit = stack.unit_penalty()
        self.penalized_index = stack.penalized_index
        # Converted once: a numpy argument is copied at every call.
        self.x_tensor = tf.constant(self.settings.x)
        self.val_mask = (self.settings.roles == mem.VALIDATION).astype("float64")
        self.val_count = np.maximum(self.val_mask.sum(axis=0), 1.0)

    # Resume -------------------------------------------------------------

    def run(self, data: dict, epochs: int, verbose) -> None:
        """Resumes from the checkpoint, then fits the strengths left in one
        ``fit`` (each strength ends when its members have stopped)."""
        self.resume()
        left = len(self.order) - self.index
        if left:
            self.stack.model.fit(
                **data, epochs=epochs * left, callbacks=[self], verbose=verbose
            )

    def resume(self):
        saved = self.settings.checkpoint.done(KEY) if self.settings.checkpoint else []
        saved = saved[: len(self.order)]
        for entry in saved:
            member_rows, scale = entry["row"]
            for member, row in enumerate(member_rows):
                self.rows[member].append(tuple(_tuples(row)))
            self.seconds.append(float(member_rows[-1][8]))
        if saved:
            last = saved[-1]
            self.stack.set_values(last["weights"])
            for variable, value in zip(
                self.stack.model.optimizer.variables, last["optimizer"]
            ):
                variable.assign(value)
            self.scale = np.asarray(saved[-1]["row"][1], "float64")
            if self.settings.keep_weights:
                for entry in saved:
                    values = entry["weights"]
                    for member in range(self.stack.members):
                        self.kept[member].append(
                            self.stack.single_weights(member, values)
                        )
        self.index = len(saved)

    # One strength -------------------------------------------------------

    def on_train_begin(self, logs=None):
        self._start()

    def _start(self):
        members = self.stack.members
        strength = float(self.order[self.index])
        if self.settings.converge:
            # Each member's step: 1/L at zero weights, or the longer step of
            # the curvature at its starting weights (regularization_path).
            top = self.curvature.top()
            with np.errstate(divide="ignore"):
                local = np.where(top > 0, 1.0 / (LOCAL_MARGIN * top), 0.0)
            scale = np.maximum(self.settings.glm_rate, local)
            # Momentum in units of the step, rescaled to the new step (as
            # Proximal's learning-rate setter does for one model).
            ratio = scale / np.where(self.index == 0, scale, self.scale)
            self.stack.scale_slots(ratio)
            self.scale = scale
        self.stack.model.scale.assign(self.scale.astype("float32"))
        self.stack.set_strengths(strength * self.scale)
        self.stack.model.active.assign(np.ones(members, "float32"))
        self.best = np.full(members, np.inf)
        self.best_epoch = np.zeros(members, int)
        self.wait = np.zeros(members, int)
        self.used = np.zeros(members, int)
        self.running = np.ones(members, bool)
        if not self.settings.converge:
            self.running[self.k] = False  # the all-rows member has no stop rule
        self.best_values = None
        self.stopped_slots = [None] * members
        self.history = []  # the all-rows member after each epoch
        self.previous = self._state() if self.settings.converge else None
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.used[self.running] += 1
        if self.settings.converge:
            self._converge_epoch()
        else:
            self._early_stopping_epoch()
        if self.running.any():
            return
        self._finish()

    def _converge_epoch(self):
        """A GLM member stops when its weights settled over the epoch (see
        ``convergence``); it keeps its last weights, the most converged."""
        values = self.stack.values()
        state = values + self.stack.slot_values()
        weights = len(values)
        stop = self.running & settled(self.previous, state, weights, self.settings.tol)
        stop |= self.running & (self.used >= self.settings.epochs)
        self.previous = state
        self.best_epoch[self.running] = self.used[self.running] - 1
        self._stop(stop)

    def _state(self) -> list:
        """The weights, then the momentum (each ``(members, ...)``)."""
        return self.stack.values() + self.stack.slot_values()

    def _stop(self, stop):
        if not stop.any():
            return
        slots = self.stack.slot_values()
        for member in np.flatnonzero(stop):
            self.stopped_slots[member] = [s.copy() for s in slots]
            if not self.settings.converge:
                self.stack.put(member, self.best_values)
        self.running &= ~stop
        self.stack.model.active.assign(
            (self.running | self._all_rows_on()).astype("float32")
        )

    def _early_stopping_epoch(self):
        monitored = self._monitored()
        values = self.stack.values()
        improved = self.running & _improves(
            monitored, self.best, self.settings.min_delta
        )
        first = self.best_values is None
        if first:
            self.best_values = [v.copy() for v in values]
        for best, value in zip(self.best_values, values):
            best[improved] = value[improved]
        self.best[improved] = monitored[improved]
        self.best_epoch[improved] = self.used[improved] - 1
        self.wait[self.running] += 1
        self.wait[improved] = 0
        warm = self.index > 0
        limit = self.settings.warm_patience if warm else self.settings.patience
        stop = self.running & ~improved & (self.wait >= limit) & (self.used > 1)
        stop |= self.running & (self.used >= self.settings.epochs)
        self.history.append(
            (
                [v[self.k].copy() for v in values],
                [s[self.k].copy() for s in self.stack.slot_values()],
            )
        )
        self._stop(stop)

    def _all_rows_on(self) -> np.ndarray:
        on = np.zeros(self.stack.members, bool)
        on[self.k] = not self.settings.converge
        return on

    def _monitored(self) -> np.ndarray:
        """Each fold member's held-out data loss (inf for the all-rows one)."""
        losses = self.stack.row_losses(self.x_tensor)
        validation = (losses * self.val_mask).sum(axis=0) / self.val_count
        validation[self.k] = np.inf
        return validation

    def _finish(self):
        members = self.stack.members
        if not self.settings.converge:
            # The all-rows member: the folds' median best epoch.
            budget = _median_phases(
                [(int(self.best_epoch[j]) + 1,) for j in range(self.k)]
            )
            weights, slots = self.history[budget[0] - 1]
            self.stack.put_member(self.k, weights, slots)
            self.stopped_slots[self.k] = None
            self.used[self.k] = budget[0]
            self.best_epoch[self.k] = budget[0] - 1
        for member in range(members):
            if self.stopped_slots[member] is not None:
                self.stack.put_member(
                    member,
                    slots=[value[member] for value in self.stopped_slots[member]],
                )
        seconds = time.perf_counter() - self.started
        self.seconds.append(seconds)
        losses = self.stack.row_losses(self.x_tensor)
        values = self.stack.values()
        penalties = float(self.order[self.index]) * self.unit()
        for member in range(members):
            seconds_m = seconds if member == self.k else 0.0
            self._record(member, seconds_m, losses, values, penalties)
        self._save()
        self.index += 1
        if self.index == len(self.order):
            self.model.stop_training = True
        else:
            self._start()

    def _record(self, member, seconds, losses, values, penalties):
        """The results row of ``member`` at this strength, as
        ``regularization_path`` records it; ``losses`` the per-row data
        losses of every member ``(rows, members)``, ``values`` the stack's
        weights, ``penalties`` each member's penalty."""
        strength = float(self.order[self.index])
        train_rows, check_rows = (
            (self.settings.splits[member][0], self.settings.splits[member][1])
            if member < self.k
            else (np.arange(len(self.settings.y)), None)
        )
        train_loss = float(np.mean(losses[train_rows, member]))
        if check_rows is None:
            val_loss, val_se = np.nan, np.nan
        else:
            held_out = losses[check_rows, member]
            val_loss = float(np.mean(held_out))
            val_se = selection.standard_error(held_out)
        penalized = [values[i][member] for i in self.penalized_index]
        magnitudes = np.concatenate([np.abs(v).ravel() for v in penalized])
        used = (int(self.used[member]),)
        kept = used if self.settings.converge else (int(self.best_epoch[member]) + 1,)
        self.rows[member].append(
            (
                strength,
                train_loss,
                val_loss,
                val_se,
                float(penalties[member]),
                float(np.mean(magnitudes <= self.settings.sparsity_tol)),
                _active_inputs(penalized, self.settings.sparsity_tol),
                sum(used),
                seconds,
                used,
                kept,
            )
        )
        if self.settings.keep_weights:
            self.kept[member].append(self.stack.single_weights(member, values))

    def _save(self):
        if not self.settings.checkpoint:
            return
        index = self.index
        row = [[list(r[index]) for r in self.rows], [float(s) for s in self.scale]]
        self.settings.checkpoint.save(
            KEY,
            index,
            row,
            self.stack.values(),
            [np.array(v) for v in self.stack.model.optimizer.variables],
        )
        if self.settings.listener is not None:
            folds = self.k // self.settings.seeds
            # Once per fold (its first seed's row) and once for all rows.
            for member in [*range(folds), self.k]:
                key = "final" if member == self.k else f"fold_{member}"
                self.settings.listener(key, index, self.rows[member][index])


def _improves(current, best, min_delta) -> np.ndarray:
    """kreg's EarlyStopping test (relative ``min_delta``) for a minimized
    value, member by member."""
    delta = min_delta * np.abs(np.where(np.isfinite(best), best, 0.0))
    return np.isfinite(current) & (current < best - delta)


def _tuples(row):
    return [tuple(v) if isinstance(v, list) else v for v in row]

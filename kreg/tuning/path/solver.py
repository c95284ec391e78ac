"""How each strength is fitted: the step size, the curvature, the phases and
when a strength counts as converged."""

import time

import keras
import numpy as np
import tensorflow as tf

from kreg.tuning import cross_validation
from kreg.tuning.path.model import _loss_fn

# Phases per strength of a path that stops at convergence with Adam (or the
# user's optimizer), and the learning-rate factor between phases (as
# ReduceLROnPlateau): Adam's objective settles further at the lower rate.
# Early-stopped paths and the GLM's proximal gradient have one phase.
LR_PHASES = 2
LR_FACTOR = 0.1

# Momentum of a GLM's default optimizer (proximal gradient at step 1/L).
GLM_MOMENTUM = 0.9

# Each strength of a GLM's path may step up to 1 / (LOCAL_MARGIN * L_w), L_w
# the curvature at its starting weights: at the weak end of a logistic path
# the fitted probabilities are near 0 or 1 and L_w is a fraction of the bound
# at zero weights (breast cancer: 398 epochs instead of 1274 for the warm
# path). The margin covers curvature that grows along the strength's fit.
LOCAL_MARGIN = 2.0

# The largest batch of a converging path ("full batch" on small data), and
# the steps of one full-batch epoch.
FULL_BATCH_ROWS = 4096
FULL_BATCH_STEPS = 10

# Up to this many rows, minibatches come from one reshuffled tf.data stream
# (its shuffle buffer holds every row); beyond, from Keras' own arrays.
SHUFFLED_ROWS = 100_000


def _full_batch_loss(model, x, y):
    """``loss()``, the mean data loss on the first ``FULL_BATCH_ROWS`` rows
    (to be called inside a ``tf.function``)."""
    rows = min(len(y), FULL_BATCH_ROWS)
    xb = cross_validation.take(x, slice(0, rows))
    target = tf.convert_to_tensor(np.asarray(y)[:rows])
    fn = _loss_fn(model)

    def loss():
        prediction = model(xb, training=False)
        t = target
        if len(t.shape) == len(prediction.shape) - 1:
            t = t[..., None]
        return tf.reduce_mean(fn(tf.cast(t, prediction.dtype), prediction))

    return loss


def _hessian_times(loss, variables):
    """``vectors -> H @ vectors`` for the Hessian of ``loss()`` in
    ``variables`` (double backprop, traced once)."""

    @tf.function(autograph=False)
    def hessian_times(vectors):
        with tf.GradientTape() as outer:
            with tf.GradientTape() as inner:
                value = loss()
            grads = inner.gradient(value, [v.value for v in variables])
        return outer.gradient(
            grads, [v.value for v in variables], output_gradients=vectors
        )

    return hessian_times


def _power_iteration(
    hessian_times, variables, iterations, blocks=1, owners=None
) -> np.ndarray:
    """The largest eigenvalue of the symmetric ``hessian_times`` (on lists
    shaped as ``variables``) by power iteration from a fixed random start,
    for ``blocks`` diagonal blocks at once: the first axis of every variable
    splits into the blocks (one, the whole Hessian, by default), or, with
    ``owners`` (one block index per variable), each variable belongs whole
    to its block (copies of a model side by side). A block whose norm is 0
    or not finite is not rescaled, and its estimate is 0."""
    rng = np.random.default_rng(0)
    vectors = [tf.constant(rng.normal(size=v.shape), v.dtype) for v in variables]
    norms = np.zeros(blocks)
    for _ in range(iterations):
        products = hessian_times(vectors)
        if owners is None:
            squares = sum(
                tf.reduce_sum(tf.reshape(p * p, (blocks, -1)), axis=1) for p in products
            )
        else:
            squares = np.zeros(blocks)
            for p, owner in zip(products, owners):
                squares[owner] += float(tf.reduce_sum(p * p))
        norms = np.sqrt(np.asarray(squares, "float64"))
        usable = np.isfinite(norms) & (norms > 0)
        if not usable.any():
            break  # a zero or non-finite product stays so: nothing to iterate
        safe = np.where(usable, norms, 1.0)
        if owners is None:
            vectors = [
                p / tf.reshape(tf.constant(safe, p.dtype), (-1,) + (1,) * (p.ndim - 1))
                for p in products
            ]
        else:
            vectors = [p / float(safe[o]) for p, o in zip(products, owners)]
    return np.where(np.isfinite(norms), norms, 0.0)


class _Curvature:
    """The largest eigenvalue of the data loss's Hessian at the model's
    weights: power iteration on Hessian-vector products (traced once), full
    batch on at most 4096 rows."""

    def __init__(self, model, x, y, iterations: int = 30):
        self.iterations = iterations
        self.variables = model.trainable_variables
        loss = _full_batch_loss(model, x, y)
        self.hessian_times = _hessian_times(loss, self.variables)

    def top(self) -> float | None:
        """The estimate, or None where it is not a positive finite number."""
        (top,) = _power_iteration(self.hessian_times, self.variables, self.iterations)
        return float(top) if top > 0 else None


def _glm_rate(model, x, y) -> float | None:
    """1 / L, L the largest eigenvalue of the data loss's Hessian at all-zero
    weights; None where it is not a positive finite number.

    At zero weights a sigmoid output is at its most uncertain, where the
    curvature of the cross-entropy is largest (the bound ``X'X / 4n``
    exactly); a squared error's curvature is the same anywhere. A softmax
    over k classes is uniform there, with curvature 1/k per row, while two
    classes at 1/2 each reach 1/2: the multinomial bound is k/2 times the
    curvature at zero, so with k outputs L is scaled by ``max(1, k / 2)``.
    """
    saved = model.get_weights()
    for variable in model.trainable_variables:
        variable.assign(np.zeros(variable.shape, dtype=variable.dtype))
    norm = _Curvature(model, x, y).top()
    model.set_weights(saved)
    if norm is None:
        return None
    shape = model.output_shape
    outputs = int(np.prod(shape[1:])) if isinstance(shape, tuple) else 1
    return 1.0 / (norm * max(1.0, outputs / 2))


class _StrengthSteps(keras.callbacks.Callback):
    """Fits one strength after another inside a single ``fit`` call.

    Each strength runs in phases, the learning rate divided by ``1 /
    LR_FACTOR`` from one phase to the next and reset at the next strength
    (to ``rate()`` when given, else to the compiled rate).
    With ``make_stopper``, a phase ends when early stopping on the validation
    data loss fires (the best weights are restored), the last phase ends the
    strength, and a strength gets at most ``epochs`` epochs. Without, ``budget[i]``
    gives the epochs of each phase of the i-th strength. Then ``record(strength,
    phase_epochs, seconds, later_strengths)`` runs (it returns True when it
    recorded the later ones too) and the next strength is set through the
    regularizer's variable. A warm path is thus one ``fit``: on small data
    Keras' set-up of each ``fit`` (data adapter, callbacks, first-epoch
    bookkeeping) costs more than the few epochs a warm start needs.
    """

    def __init__(
        self,
        reg,
        strengths,
        *,
        phases,
        epochs=None,
        budget=None,
        make_stopper=None,
        validate=None,
        record=None,
        rate=None,
    ):
        super().__init__()
        self.rate = rate
        self.validate = validate
        self.reg = reg
        self.strengths = list(strengths)
        self.phases = phases
        self.cap = epochs
        self.budget = budget
        self.make_stopper = make_stopper
        self.record = record

    @property
    def total_epochs(self) -> int:
        if self.budget is not None:
            return int(sum(sum(b) for b in self.budget))
        return self.cap * len(self.strengths)

    def on_train_begin(self, logs=None):
        self.base_rate = float(self.model.optimizer.learning_rate)
        self.index = 0
        self._start()

    def _start(self):
        self.reg.strength = float(self.strengths[self.index])
        if self.rate is not None:
            self.base_rate = self.rate()
        self.used = []
        self.kept = []
        self.started = time.perf_counter()
        self._phase()

    def _phase(self):
        self.model.optimizer.learning_rate = self.base_rate * LR_FACTOR ** len(
            self.used
        )
        self.used.append(0)
        self.stopper = None
        if self.make_stopper is not None:
            # Only the first phase of the first strength of a fit starts cold.
            self.stopper = self.make_stopper(self.index > 0 or len(self.used) > 1)
            self.stopper.set_model(self.model)
            self.stopper.on_train_begin()

    def on_epoch_end(self, epoch, logs=None):
        self.used[-1] += 1
        if self.stopper is not None:
            # The validation data loss by a direct forward pass: Keras' own
            # validation runs ``evaluate`` every epoch, which on small data
            # costs about as much as the epoch's training steps.
            logs = logs if logs is not None else {}
            logs.update(self.validate(self.model))
            # The stopper sees epochs counted from this phase's start.
            self.stopper.on_epoch_end(self.used[-1] - 1, logs)
            out_of_epochs = sum(self.used) >= self.cap
            if not self.model.stop_training and not out_of_epochs:
                return
            self.model.stop_training = False
            self.stopper.on_train_end()  # restores the best weights
            self.kept.append(self.stopper.best_epoch + 1)
            if len(self.used) < self.phases and not out_of_epochs:
                self._phase()
                return
        else:
            planned = self.budget[self.index]
            if self.used[-1] < planned[len(self.used) - 1]:
                return
            while len(self.used) < len(planned):
                self._phase()
                if planned[len(self.used) - 1] > 0:
                    return
        rest = self.strengths[self.index + 1 :]
        if self.record is not None and self.record(
            self.strengths[self.index],
            tuple(self.used),
            time.perf_counter() - self.started,
            rest,
            kept_epochs=tuple(self.kept) if self.stopper is not None else None,
        ):
            self.index += len(rest)  # recorded without fitting
        self.index += 1
        if self.index == len(self.strengths):
            self.model.stop_training = True
            self.model.optimizer.learning_rate = self.base_rate
        else:
            self._start()


def _median_phases(folds) -> tuple:
    """Median epochs per phase over the folds' ``(epochs per phase)`` tuples
    (a phase a fold did not reach counts 0); at least one epoch."""
    phases = max(len(epochs) for epochs in folds)
    padded = np.array([(*epochs, *(0,) * (phases - len(epochs))) for epochs in folds])
    median = [int(np.median(column)) for column in padded.T]
    median[0] = max(1, median[0])
    return tuple(median)


def _training_data(x, y, batch_size, seed) -> dict:
    """The data arguments of the ``fit`` call of one fit's strengths."""
    if batch_size >= len(y):
        return _repeated_batch((x, y))
    if len(y) <= SHUFFLED_ROWS:
        return _shuffled_stream((x, y), batch_size, seed)
    return dict(x=x, y=y, batch_size=batch_size)


def _repeated_batch(arrays: tuple) -> dict:
    """``fit``'s data arguments for full batches of ``arrays`` (``x, y[,
    sample_weight]``): one step per epoch would be mostly Keras' per-epoch
    overhead (a new data iterator each epoch), so an epoch is
    FULL_BATCH_STEPS steps of one repeated batch."""
    return dict(
        x=tf.data.Dataset.from_tensors(arrays).repeat(),
        steps_per_epoch=FULL_BATCH_STEPS,
        shuffle=False,
    )


def _shuffled_stream(arrays: tuple, batch_size: int, seed) -> dict:
    """``fit``'s data arguments for minibatches of ``arrays``: one infinite,
    reshuffled stream, so that Keras keeps one iterator for the whole fit
    instead of building one per epoch (an eager cost that dominates an epoch
    of a few steps); an epoch is still one pass in a new order."""
    rows = len(arrays[0])
    return dict(
        x=tf.data.Dataset.from_tensor_slices(arrays)
        .shuffle(rows, seed=seed, reshuffle_each_iteration=True)
        .batch(batch_size)
        .repeat(),
        steps_per_epoch=-(-rows // batch_size),
        shuffle=False,
    )

"""The cross-validated λ path of a tabular model, its folds trained as members.

``regularization_path(build, x, y, cv=k, engine="sequential")`` fits k + 1
warm paths one after another: each fold's, then one on all rows (its members
engine trains them as k + 1 copies of any model, ``replicas.py``). Here, for
kreg's tabular model, at each strength the k fold fits and the all-rows fit
are k + 1 members of one ``kreg.members.MemberModel`` with a member axis on
every weight (one copy of the data, a per-member row mask),
trained in one ``fit`` for the whole path; each member carries its weights
and optimizer state to the next strength exactly as its own path would.
"""

import copy
import dataclasses
import time

import keras
import numpy as np
import tensorflow as tf

from kreg import members as mem
from kreg.tuning import cross_validation, selection
from kreg.tuning._session import fresh_session
from kreg.tuning.checkpoint import PathCheckpoint
from kreg.tuning.path.convergence import CONVERGENCE_TOL
from kreg.tuning.path.grid import _check_regularizer, _null_lambda_max
from kreg.tuning.path.model import (
    _compile,
    _feeds_weights,
    _n_inputs,
)
from kreg.tuning.path.result import RegularizationPath
from kreg.tuning.path.solver import (
    FULL_BATCH_ROWS,
    GLM_MOMENTUM,
    _glm_rate,
    _repeated_batch,
    _shuffled_stream,
)
from kreg.tuning.path.stack import _Stack
from kreg.tuning.path.stack_steps import KEY, StepSettings, _Steps
from kreg.tuning.path.state import _check_numbers

__all__ = ["KEY", "Spec", "stacked_path", "supported"]


@dataclasses.dataclass
class Spec:
    """What the stacked path needs besides the data: the tabular model."""

    task: str
    n_outputs: int
    units: int
    depth: int
    dropout: float
    select_inputs: bool


def supported(spec: Spec, n_rows: int, arguments: dict) -> bool:
    """Whether :func:`stacked_path` fits this path (else the caller runs
    ``regularization_path``): the default optimizers and stopping rules of
    the tabular model (a GLM to convergence with proximal gradient in full
    batch, a net early-stopped from the weakest strength up), warm-started."""
    if not arguments.get("warm_start", True):
        return False
    direction = arguments.get("direction", "auto")
    stopping = arguments.get("stopping", "auto")
    natural = "increasing" if spec.units else "decreasing"
    if direction not in ("auto", natural) or stopping not in (
        "auto",
        "validation" if spec.units else "convergence",
    ):
        return False
    if spec.units:
        return True
    # A GLM's proximal gradient needs the full batch.
    batch_size = arguments.get("batch_size")
    return n_rows <= FULL_BATCH_ROWS and (batch_size is None or batch_size >= n_rows)


def stacked_path(
    build,
    x,
    y,
    *,
    spec: Spec,
    regularizer,
    cv,
    n_strengths: int = 20,
    min_ratio: float = 1e-3,
    strengths=None,
    max_strength: float | None = None,
    epochs: int = 100,
    batch_size: int | None = None,
    patience: int = 6,
    warm_patience: int | None = None,
    min_delta: float = 1e-3,
    warm_start: bool = True,
    direction: str = "auto",
    stopping: str = "auto",
    tol: float = CONVERGENCE_TOL,
    sparsity_tol: float = 0.0,
    keep_weights: bool = True,
    seed: int = 0,
    seeds: int = 1,
    checkpoint=None,
    verbose=0,
) -> RegularizationPath:
    """``regularization_path(build, x, y, cv=cv, ...)`` with its k fold fits
    and its all-rows fit trained as k + 1 members of one stacked model.

    ``build(regularizer)`` is ``tabular_model`` with the shape in ``spec``;
    arguments as :func:`regularization_path` (checked by the caller, which
    calls this only where :func:`supported` says so). ``seeds`` > 1 (a
    net's) trains each fold from that many random initializations, as
    ``seeds`` x k + 1 members: a fold's CV loss is the mean of its seeds'
    and ``fold_weights[m]`` is fold ``m % k``'s (see
    :attr:`RegularizationPath.seeds`). Returns the same
    :class:`RegularizationPath`.
    """
    del warm_start, direction, stopping  # one meaning each, see supported()
    owner = "regularization_path"  # the same arguments, the same messages
    numbers = _check_numbers(
        owner,
        n_strengths=n_strengths,
        min_ratio=min_ratio,
        strengths=strengths,
        max_strength=max_strength,
        epochs=epochs,
        batch_size=batch_size,
        patience=patience,
        warm_patience=warm_patience,
        min_delta=min_delta,
        seed=seed,
        sparsity_tol=sparsity_tol,
        tol=tol,
    )
    n_strengths, min_ratio = numbers.n_strengths, numbers.min_ratio
    strengths, max_strength = numbers.strengths, numbers.max_strength
    epochs, batch_size = numbers.epochs, numbers.batch_size
    patience, warm_patience = numbers.patience, numbers.warm_patience
    min_delta, seed = numbers.min_delta, numbers.seed
    sparsity_tol, tol = numbers.sparsity_tol, numbers.tol
    n = len(y)
    started = time.perf_counter()
    fresh_session()
    keras.utils.set_random_seed(seed)
    template = _check_regularizer(regularizer, "regularization_path")
    reg = copy.deepcopy(template)
    model = build(reg)
    penalized = [v for v in model.trainable_weights if v.regularizer is reg]
    _compile(model, None, None)
    feeds = _feeds_weights(model, penalized)
    converge = not feeds
    if batch_size is None:
        batch_size = min(n, FULL_BATCH_ROWS) if converge else 32
    stack_batch = batch_size
    glm_rate = None
    if converge:
        glm_rate = _glm_rate(model, x, y)
        if glm_rate is None:
            raise ValueError("The stacked path needs a GLM with a finite curvature.")
        from kreg.optimizers import Proximal

        # The single model as regularization_path leaves it (best_model).
        _compile(
            model,
            None,
            Proximal(
                keras.optimizers.SGD(glm_rate, momentum=GLM_MOMENTUM, nesterov=True)
            ),
        )
    initial_weights = model.get_weights()
    if strengths is not None:
        grid = np.asarray(strengths, dtype="float64")
    else:
        if max_strength is None:
            max_strength = _null_lambda_max(model, reg, penalized, x, y, batch_size)
        if max_strength is None:
            raise ValueError(
                "The stacked path cannot compute λ_max: the data-loss gradient "
                "of the penalized weights is zero. Pass max_strength=."
            )
        grid = (
            max_strength * np.geomspace(1.0, min_ratio, n_strengths)
            if n_strengths > 1
            else np.array([max_strength])
        )
    order = grid if converge else grid[::-1]
    splits = cross_validation.make_splits(y, cv, seed=seed, owner="tabular_path")
    k = len(splits)
    # Member m trains on fold m % k: seed-major, so fold_weights[m] is too.
    member_splits = splits * seeds
    if not converge:
        # A fold member's rows are about (k-1)/k of each batch: batches of
        # batch_size k/(k-1) give it the batches (and the steps per epoch)
        # of its own fit.
        stack_batch = int(round(batch_size * k / (k - 1)))
    roles = np.concatenate(
        [mem.split_roles(member_splits, n), np.full((n, 1), mem.TRAIN, "int8")],
        axis=1,
    )

    data = _data(x, y, roles, stack_batch, seed, converge)
    stack = _Stack(spec, template, seeds * k + 1, model, n)
    stack.y = tf.constant(y)
    if converge:
        stack.compile_sgd(data["steps_per_epoch"])
        stack.start_at_null(splits, y)
    else:
        stack.compile_like(model, data["steps_per_epoch"])
        stack.set_all(initial_weights)
        for extra in range(1, seeds):
            # A fresh draw of every initializer (clone_model initializes
            # anew); seed 0's members start where the single model does.
            drawn = keras.models.clone_model(model).get_weights()
            for fold in range(k):
                stack.set_single(extra * k + fold, drawn)
    setup_seconds = time.perf_counter() - started

    listener = None
    if checkpoint is not None:
        if not isinstance(checkpoint, PathCheckpoint):
            checkpoint = PathCheckpoint(checkpoint)
        listener, checkpoint.listener = checkpoint.listener, None
        checkpoint.start(
            order,
            n,
            repr(
                ("stacked", converge, tol, epochs, patience, batch_size, seed, cv)
                # Unchanged for one seed: earlier checkpoints still resume.
                + ((("seeds", seeds),) if seeds > 1 else ())
            ),
        )
    steps = _Steps(
        stack,
        order,
        StepSettings(
            x=x,
            y=y,
            roles=roles,
            splits=member_splits,
            converge=converge,
            epochs=epochs,
            patience=patience,
            warm_patience=warm_patience,
            min_delta=min_delta,
            tol=tol,
            glm_rate=glm_rate,
            sparsity_tol=sparsity_tol,
            keep_weights=keep_weights,
            checkpoint=checkpoint,
            listener=listener,
            seeds=seeds,
        ),
    )
    steps.run(data, epochs, verbose)
    return _result(steps, model, reg, penalized, grid, converge, setup_seconds)


def _data(x, y, roles, batch_size, seed, full_batch) -> dict:
    # As regularization_path, with the roles as sample weights.
    if full_batch:
        return _repeated_batch((x, y, roles))
    return _shuffled_stream((x, y, roles), batch_size, seed)


def _result(steps, model, reg, penalized, grid, converge, setup_seconds):
    k = steps.k
    fold_rows, rows = steps.rows[:k], steps.rows[k]
    fold_kept = steps.kept[:k] if steps.settings.keep_weights else []
    kept = steps.kept[k] if steps.settings.keep_weights else []
    folds = np.array([[r[2] for r in f] for f in fold_rows])
    seeds = steps.settings.seeds
    # A fold's loss: the mean of its seeds' (each a model the ensemble holds).
    folds = folds.reshape(seeds, k // seeds, folds.shape[1]).mean(axis=0)
    rows = [
        (
            *row[:2],
            float(np.mean(folds[:, i])),
            selection.standard_error(folds[:, i]),
            *row[4:8],
            steps.seconds[i],
        )
        for i, row in enumerate(rows)
    ]
    rows[0] = (*rows[0][:8], rows[0][8] + setup_seconds)
    if not converge:
        rows.reverse()
        kept = kept[::-1]
        fold_kept = [fold[::-1] for fold in fold_kept]
        folds = folds[:, ::-1]
    columns = [np.asarray(c) for c in zip(*rows)]
    if steps.settings.keep_weights and kept:
        model.set_weights(kept[-1] if converge else kept[0])
    return RegularizationPath(
        strengths=columns[0],
        train_data_loss=columns[1],
        val_data_loss=columns[2],
        val_standard_error=columns[3],
        penalty=columns[4],
        sparsity=columns[5],
        active_inputs=columns[6].astype(int),
        epochs=columns[7].astype(int),
        seconds=columns[8],
        max_strength=float(grid[0]),
        warm_start=True,
        direction="decreasing" if converge else "increasing",
        stopping="convergence" if converge else "validation",
        n_inputs=_n_inputs(penalized),
        cv=len(folds),
        fold_val_data_loss=folds,
        model=model if steps.settings.keep_weights else None,
        weights=kept,
        regularizer=reg,
        fold_weights=fold_kept,
        seeds=seeds,
    )

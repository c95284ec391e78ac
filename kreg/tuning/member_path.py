"""A cross-validated λ path in two fits: every fold and strength is a member."""

import time

import keras
import numpy as np

from kreg import members as mem
from kreg._validation import check_float, check_int, invalid_argument
from kreg.regularizers.kinds import KINDS
from kreg.tuning import cross_validation, selection
from kreg.tuning._session import fresh_session
from kreg.tuning.models import tabular_model
from kreg.tuning.path import RegularizationPath
from kreg.tuning.path.grid import (
    _by_kind,
    _check_strengths,
    _geometric_grid,
    _null_lambda_max,
)
from kreg.tuning.path.model import _active_inputs
from kreg.tuning.path.solver import FULL_BATCH_ROWS, _shuffled_stream
from kreg.tuning.path.stack import _intercept


def member_path(
    x,
    y,
    *,
    task: str = "regression",
    regularizer: str = "l1",
    n_strengths: int = 20,
    min_ratio: float = 1e-3,
    strengths=None,
    cv=5,
    units: int = 32,
    dropout_rate: float = 0.0,
    learning_rate: float = 1e-2,
    epochs: int = 100,
    batch_size: int = 32,
    patience: int = 6,
    min_delta: float = 0.0,
    sparsity_tol: float = 0.0,
    seed: int = 0,
    verbose=0,
) -> RegularizationPath:
    """The cross-validated path of ``kreg.tuning.tabular_model``, as members.

    What ``regularization_path(build, x, y, cv=k)`` computes for the tabular
    model, trained as ``kreg.members`` of two ``fit`` calls instead of
    ``k + 1`` warm paths of one model each:

    1. all ``k x n_strengths`` (fold, strength) pairs, each a member that
       trains on its fold's training rows, is scored on its held-out rows in
       the same forward pass and stops on them
       (``kreg.members.MemberEarlyStopping``, best weights restored, scored
       at each epoch end in inference mode when the rows fit in one batch
       of 4096);
    2. one member per strength on all the rows, trained for the median
       number of epochs its folds used (``MemberEpochBudget``), as
       ``regularization_path`` does after its folds.

    Every member starts from its own initialization, its linear part at the null
    model (no warm start: the members train at the same time), so the fits are those of
    ``regularization_path(..., warm_start=False)`` in spirit, not its warm
    path: for a net, whose path is not unique, the two differ as any two
    trainings do. The result is a :class:`RegularizationPath` (``cv`` set,
    ``fold_val_data_loss``, ``fold_weights``, the 1se rule, plots,
    ``best_model`` a ``tabular_model``); ``seconds`` splits the total time
    evenly over the strengths.

    Args:
        x: inputs, ``(rows, features)``.
        y: targets (class labels for classification).
        task: `"regression"`, `"binary"` or `"multiclass"`. Defaults to
            `"regression"`.
        regularizer: `"l1"`, `"l2"`, `"elastic_net"`, `"group_lasso"` or
            `"sparse_group_lasso"` (over inputs). Defaults to `"l1"`.
        n_strengths: number of strengths. Defaults to `20`.
        min_ratio: the last strength is ``λ_max * min_ratio``. Defaults to
            `1e-3`.
        strengths: an explicit decreasing grid. Defaults to `None`: λ_max
            of the linear part at its null model, as ``regularization_path``.
        cv: the number of folds k >= 2 or a scikit-learn splitter.
            Defaults to `5`.
        units: hidden units of ``tabular_model`` (`0` for the GLM).
            Defaults to `32`.
        dropout_rate: after the hidden layer. Defaults to `0.0`.
        learning_rate: Adam's, inside ``Proximal``. Defaults to `1e-2`.
        epochs: the most epochs. Defaults to `100`.
        batch_size: rows per step. Defaults to `32`.
        patience: epochs without improvement before a member stops.
            Defaults to `6`.
        min_delta: improvement that resets the patience. Defaults to `0`.
        sparsity_tol: weights with ``|w| <= sparsity_tol`` count as zero.
            Defaults to `0.0`.
        seed: seed of the folds and the initialization. Defaults to `0`.
        verbose: Keras verbosity. Defaults to `0`.

    Returns:
        A :class:`RegularizationPath`, strongest first.

    Example:

    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(60, 4)).astype("float32")
    >>> y = x[:, :1] - x[:, 1:2]
    >>> path = kreg.tuning.member_path(
    ...     x, y, units=0, strengths=[0.1, 0.01], cv=3, epochs=2)
    >>> path.fold_val_data_loss.shape
    (3, 2)
    """
    owner = "member_path"
    started = time.perf_counter()
    x, y, n = cross_validation.check_data(x, y, owner)
    if regularizer not in KINDS:
        raise invalid_argument(
            owner, "regularizer", f"one of {sorted(KINDS)}", regularizer
        )

    def make(strength):
        return _by_kind(regularizer, strength)

    epochs = check_int(epochs, "epochs", owner, low=1)
    seed = check_int(seed, "seed", owner, low=0)
    sparsity_tol = check_float(sparsity_tol, "sparsity_tol", owner, low=0.0)
    n_outputs = int(np.max(y)) + 1 if task == "multiclass" else y.shape[1]
    shape = dict(n_features=x.shape[1], n_outputs=n_outputs, task=task, units=units)
    if strengths is None:
        grid = _grid(make, x, y, shape, n_strengths, min_ratio, owner)
    else:
        grid = _check_strengths(strengths, owner)
    splits = cross_validation.make_splits(y, cv, seed=seed, owner=owner)
    k, count = len(splits), len(grid)
    stacked = dict(dropout_rate=dropout_rate, learning_rate=learning_rate, **shape)

    # 1. Folds x strengths: member i * k + j has strength i and fold j.
    keras.utils.set_random_seed(seed)
    roles = mem.repeat_roles(mem.split_roles(splits, n), count)
    folds_model = mem.stacked_tabular_model(
        make(list(np.repeat(grid, k))), members=k * count, **stacked
    )
    _start_at_null(folds_model, y, task)
    # Scored at each epoch end in inference mode, as Keras' validation_data,
    # where the rows fit in one batch; else the steps' running means.
    data = (x, y, roles) if n <= FULL_BATCH_ROWS else None
    stop = mem.MemberEarlyStopping(patience=patience, min_delta=min_delta, data=data)
    fitting = dict(batch_size=batch_size, seed=seed, verbose=verbose)
    scores = _fit_members(folds_model, x, y, roles, stop, epochs=epochs, **fitting)
    folds = np.asarray(scores["member_val_data_loss"]).reshape(count, k).T
    used = (stop.best_epoch + 1).reshape(count, k)
    budget = [max(1, int(np.median(row))) for row in used]

    # 2. One member per strength on all the rows, for its folds' median epochs.
    keras.utils.set_random_seed(seed)
    final = mem.stacked_tabular_model(make(list(grid)), members=count, **stacked)
    _start_at_null(final, y, task)
    everything = np.full((n, count), mem.TRAIN, dtype="int8")
    train = _fit_members(
        final,
        x,
        y,
        everything,
        mem.MemberEpochBudget(budget),
        epochs=max(budget),
        **fitting,
    )["member_data_loss"]

    model = mem.split_members(final, members=[0])[0]
    penalized = [model.get_layer(name).kernel for name in _penalized(model)]
    weights, penalties, sparsity, active = [], [], [], []
    for i, strength in enumerate(grid):
        model.set_weights(mem.member_weights(final, i))
        model.get_layer("linear").kernel_regularizer.strength = float(strength)
        weights.append(model.get_weights())
        values = np.concatenate([np.abs(np.asarray(v)).ravel() for v in penalized])
        penalties.append(float(sum(model.losses)))
        sparsity.append(float(np.mean(values <= sparsity_tol)))
        active.append(_active_inputs(penalized, sparsity_tol))
    fold_weights = [
        [mem.member_weights(folds_model, i * k + j) for i in range(count)]
        for j in range(k)
    ]
    seconds = (time.perf_counter() - started) / count
    return RegularizationPath(
        strengths=grid,
        train_data_loss=np.asarray(train, dtype="float64"),
        val_data_loss=folds.mean(axis=0),
        val_standard_error=np.array(
            [selection.standard_error(folds[:, i]) for i in range(count)]
        ),
        penalty=np.asarray(penalties),
        sparsity=np.asarray(sparsity),
        active_inputs=np.asarray(active, dtype=int),
        epochs=np.asarray(budget, dtype=int),
        seconds=np.full(count, seconds),
        max_strength=float(grid[0]),
        warm_start=False,
        direction="decreasing",
        stopping="validation",
        n_inputs=x.shape[1],
        cv=k,
        fold_val_data_loss=folds,
        model=model,
        weights=weights,
        regularizer=model.get_layer("linear").kernel_regularizer,
        fold_weights=fold_weights,
    )


def _fit_members(model, x, y, roles, callback, *, epochs, batch_size, seed, verbose):
    """Fits each member on its rows of ``roles`` and returns the logged
    losses of a pass in inference mode over all the rows."""
    model.fit(
        **_shuffled_stream((x, y, roles), batch_size, seed),
        epochs=epochs,
        callbacks=[callback],
        verbose=verbose,
    )
    return model.evaluate(
        x,
        y,
        sample_weight=roles,
        batch_size=FULL_BATCH_ROWS,
        verbose=0,
        return_dict=True,
    )


def _start_at_null(model, y, task):
    """Starts the linear part at the null model (kernel 0, the intercept of
    the best constant prediction), where glmnet's path starts: from a random
    start the strong end's few epochs would not bring every input back to
    its exact zero."""
    linear = model.get_layer("linear")
    linear.kernel.assign(np.zeros(linear.kernel.shape, "float32"))
    intercept = _intercept(task, y, linear.units)
    bias = np.broadcast_to(np.asarray(intercept, "float32"), linear.bias.shape)
    linear.bias.assign(bias)


def _penalized(model) -> list[str]:
    return [name for name in ("linear", "hidden") if _has(model, name)]


def _has(model, name) -> bool:
    return any(layer.name == name for layer in model.layers)


def _grid(make, x, y, shape, n_strengths, min_ratio, owner):
    """glmnet's grid below λ_max of the linear part at its null model."""
    n_strengths = check_int(n_strengths, "n_strengths", owner, low=1)
    min_ratio = check_float(
        min_ratio, "min_ratio", owner, low=0.0, high=1.0, low_inclusive=False
    )
    reg = make(1.0)
    glm = tabular_model(reg, **{**shape, "units": 0})
    rows = min(len(y), FULL_BATCH_ROWS)
    top = _null_lambda_max(
        glm, reg, [glm.get_layer("linear").kernel], x[:rows], y[:rows], rows
    )
    fresh_session()
    if top is None:
        raise ValueError(
            "member_path cannot compute λ_max: the data-loss gradient of the "
            "linear kernel is zero at the null model. Pass strengths=."
        )
    return _geometric_grid(top, min_ratio, n_strengths)

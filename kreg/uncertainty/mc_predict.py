"""Monte Carlo dropout prediction: the predictive mean, spread and entropy."""

import contextlib
from typing import NamedTuple

import keras
import numpy as np

from kreg import _compat
from kreg._validation import check_choice, check_int, invalid_argument
from kreg._vocabulary import MODEL_TASKS
from kreg.layers import ConcreteDropout, DropConnectDense, MCDropout, VariableRate

#: Keras' stochastic regularization layers that mc_predict switches on. They
#: cover SpatialDropout1D/2D/3D, which subclass Dropout.
KERAS_DROPOUT_TYPES = (
    keras.layers.Dropout,
    keras.layers.GaussianDropout,
    keras.layers.AlphaDropout,
)

_TASKS = ("auto", *MODEL_TASKS)
_EPS = 1e-12


class MCPrediction(NamedTuple):
    """What :func:`mc_predict` returns.

    Attributes:
        mean: the predictive mean over the samples, shaped like one prediction.
        std: the standard deviation over the samples (``ddof=0``), the same shape.
        entropy: for classifiers, the predictive entropy (in nats) of the mean
            probabilities, one value per row; `None` for regression.
        mutual_information: for classifiers, the entropy minus the mean entropy
            of the samples (BALD: the part of the uncertainty due to the
            weights), one value per row; `None` for regression.
        samples: all predictions, ``(samples,) + mean.shape``, if
            ``return_samples=True``; otherwise `None`.

    Example:

    >>> pred = kreg.uncertainty.MCPrediction(mean=np.zeros(3), std=np.ones(3))
    >>> mean, std, *_ = pred
    >>> pred.entropy is None
    True
    """

    mean: np.ndarray
    std: np.ndarray
    entropy: np.ndarray | None = None
    mutual_information: np.ndarray | None = None
    samples: np.ndarray | None = None


def mc_predict(
    model: keras.Model,
    x,
    samples: int = 32,
    batch_size: int = 4096,
    task: str = "auto",
    return_samples: bool = False,
) -> MCPrediction:
    """Monte Carlo dropout: averages many stochastic forward passes of a model.

    The dropout layers of ``model`` are switched on (and only they:
    BatchNormalization and the other layers stay in inference mode, unlike the
    usual ``model(x, training=True)`` trick); they are switched back when the
    function returns. Switched on are ``keras.layers.Dropout`` and its
    subclasses (SpatialDropout1D/2D/3D), ``GaussianDropout``,
    ``AlphaDropout``, and kreg's dropout layers; kreg's ``MCDropout`` is on
    anyway. Recurrent layers' own ``dropout`` arguments are not switched on.

    The work is vectorized: each forward pass stacks up to ``batch_size`` rows,
    that is many copies of a chunk of ``x``, one per sample, and every copy
    draws its own dropout masks (``DropConnectDense`` draws one weight mask per
    copy). So 32 samples of 100 rows cost one forward pass of 3200 rows.

    Args:
        model: a Keras model with one output and at least one dropout layer.
        x: the inputs: an array (or tensor), or a list or dict of arrays for a
            model with several inputs.
        samples: the number of Monte Carlo samples, at least 2. Defaults to
            `32`.
        batch_size: the most rows (copies included) in one forward pass.
            Defaults to `4096`.
        task: `"regression"`, `"multiclass"` (softmax probabilities: the
            entropy is taken over the last axis), `"binary"` (sigmoid
            probabilities, one or several independent labels: the binary
            entropies are summed over the last axis), or `"auto"`: multiclass
            if the model's last layer is a softmax, binary if a sigmoid,
            regression otherwise. Defaults to `"auto"`.
        return_samples: also return every sample. Defaults to `False`.

    Returns:
        An :class:`MCPrediction` ``(mean, std, entropy, mutual_information,
        samples)`` of numpy arrays; ``mean, std, *_ = mc_predict(...)``.

    Example:

    >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(16),
    ...                           keras.layers.Dropout(0.3), keras.layers.Dense(1)])
    >>> pred = kreg.uncertainty.mc_predict(model, np.ones((5, 3)), samples=50)
    >>> pred.mean.shape, pred.std.shape, bool(np.all(pred.std > 0))
    ((5, 1), (5, 1), True)

    References:
        Gal & Ghahramani, "Dropout as a Bayesian Approximation: Representing
        Model Uncertainty in Deep Learning", ICML 2016,
        https://arxiv.org/abs/1506.02142
    """
    owner = "mc_predict"
    if not isinstance(model, keras.Model):
        raise invalid_argument(owner, "model", "a keras.Model", model)
    samples = check_int(samples, "samples", owner, low=2)
    batch_size = check_int(batch_size, "batch_size", owner, low=1)
    task = check_choice(task, "task", owner, _TASKS)
    if task == "auto":
        task = _infer_task(model)
    stochastic = _stochastic_layers(model)
    if not stochastic:
        raise invalid_argument(
            owner,
            "model",
            "a model with at least one dropout layer (Dropout, SpatialDropout, "
            "GaussianDropout, AlphaDropout or a kreg dropout layer)",
            model.name,
        )
    leaves = keras.tree.flatten(x)
    arrays = [np.asarray(keras.ops.convert_to_numpy(leaf)) for leaf in leaves]
    n = arrays[0].shape[0]

    # Rows of x per pass and copies (samples) per pass, so rows * copies <=
    # batch_size where possible.
    rows = max(1, min(n, batch_size // samples))
    copies = max(1, min(samples, batch_size // rows))
    chunks = []
    with _dropout_on(stochastic):
        for start in range(0, n, rows):
            part = [a[start : start + rows] for a in arrays]
            draws = []
            for done in range(0, samples, copies):
                k = min(copies, samples - done)
                draws.append(_forward(model, x, part, k, stochastic))
            chunks.append(np.concatenate(draws, axis=0))
    draws = np.concatenate(chunks, axis=1).astype("float64")
    return _summarize(draws, task, return_samples)


def _stochastic_layers(model):
    found = []
    for layer in _compat.flatten_layers(model, include_self=False, recursive=True):
        if isinstance(layer, (MCDropout, ConcreteDropout)):
            found.append(layer)
        elif isinstance(layer, (VariableRate,) + KERAS_DROPOUT_TYPES):
            found.append(layer)
    return found


@contextlib.contextmanager
def _dropout_on(layers):
    """Makes each layer's ``call`` run with ``training=True``, then restores it."""
    patched = []
    try:
        for layer in layers:
            if "call" in layer.__dict__:
                raise invalid_argument(
                    "mc_predict",
                    "model",
                    "layers whose `call` is not already replaced on the instance",
                    layer.name,
                )
            original = layer.call

            def call(*args, _original=original, **kwargs):
                kwargs["training"] = True
                return _original(*args, **kwargs)

            object.__setattr__(layer, "call", call)
            patched.append(layer)
        yield
    finally:
        for layer in patched:
            object.__delattr__(layer, "call")
            if isinstance(layer, DropConnectDense):
                object.__setattr__(layer, "_mc_groups", None)


def _forward(model, x, part, copies, stochastic):
    for layer in stochastic:
        if isinstance(layer, DropConnectDense):
            object.__setattr__(layer, "_mc_groups", copies)
    stacked = [np.concatenate([p] * copies, axis=0) for p in part]
    inputs = keras.tree.pack_sequence_as(x, stacked)
    outputs = model(inputs, training=False)
    if isinstance(outputs, (list, tuple, dict)):
        flat = keras.tree.flatten(outputs)
        if len(flat) != 1:
            raise invalid_argument(
                "mc_predict", "model", "a model with one output", model.name
            )
        outputs = flat[0]
    out = np.asarray(keras.ops.convert_to_numpy(outputs))
    return out.reshape((copies, -1) + out.shape[1:])


def _infer_task(model) -> str:
    layers = getattr(model, "layers", None)
    if not layers:
        return "regression"
    last = layers[-1]
    if isinstance(last, keras.layers.Softmax):
        return "multiclass"
    activation = getattr(last, "activation", None)
    name = getattr(activation, "__name__", None)
    if name == "softmax":
        return "multiclass"
    if name == "sigmoid":
        return "binary"
    return "regression"


def _summarize(draws, task, return_samples) -> MCPrediction:
    mean = draws.mean(axis=0)
    std = draws.std(axis=0)
    entropy = mutual_information = None
    if task == "multiclass":
        entropy = _categorical_entropy(mean)
        mutual_information = entropy - _categorical_entropy(draws).mean(axis=0)
    elif task == "binary":
        entropy = _binary_entropy(mean)
        mutual_information = entropy - _binary_entropy(draws).mean(axis=0)
    if mutual_information is not None:
        # Jensen makes it >= 0; rounding can leave -1e-17.
        mutual_information = np.maximum(mutual_information, 0.0)
    as32 = lambda a: None if a is None else a.astype("float32")  # noqa: E731
    return MCPrediction(
        mean=as32(mean),
        std=as32(std),
        entropy=as32(entropy),
        mutual_information=as32(mutual_information),
        samples=as32(draws) if return_samples else None,
    )


def _categorical_entropy(p):
    p = np.clip(p, _EPS, 1.0)
    return -np.sum(p * np.log(p), axis=-1)


def _binary_entropy(p):
    p = np.clip(p, _EPS, 1.0 - _EPS)
    return -np.sum(p * np.log(p) + (1.0 - p) * np.log(1.0 - p), axis=-1)

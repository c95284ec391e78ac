"""The average of a stack's members: many models used as one ensemble."""

import keras
from keras import ops

from kreg._api import register


@register
class MemberAverage(keras.layers.Layer):
    """Averages ``(batch, members, ...)`` over the member axis.

    Put after a stack of independent members (``kreg.layers.StackedDense``)
    or a parameter-efficient ensemble (``kreg.layers.BatchEnsembleDense``) to
    predict with the ensemble's mean. For classifiers place it after the
    softmax or sigmoid: the ensemble averages probabilities, as deep
    ensembles and TabM do.

    Call arguments:
        inputs: ``(batch, members, ...)``.

    Returns:
        ``(batch, ...)``.

    Example:

    >>> x = np.array([[[1.0], [3.0]]], "float32")  # 1 row, 2 members
    >>> kreg.layers.MemberAverage()(x).numpy().tolist()
    [[2.0]]
    """

    def call(self, inputs):
        return ops.mean(inputs, axis=1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + tuple(input_shape[2:])

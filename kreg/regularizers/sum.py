"""The sum of regularizers, itself a serializable regularizer."""

import keras

from kreg._api import register
from kreg._validation import invalid_argument


@register
class Sum(keras.regularizers.Regularizer):
    """The sum of several regularizers, built by ``reg_a + reg_b``.

    Each term keeps its own strength variable, so ``reg.terms[0].strength`` can
    still be changed during training.

    Args:
        terms: a list of at least one regularizer (kreg's or Keras').

    Example:

    >>> reg = kreg.regularizers.L1(0.1) + kreg.regularizers.L2(0.1)
    >>> round(float(reg(np.array([1.0, -2.0], "float32"))), 6)  # 0.3 + 0.5
    0.8
    """

    def __init__(self, terms):
        terms = list(terms) if isinstance(terms, (list, tuple)) else terms
        if not isinstance(terms, list) or not terms:
            raise invalid_argument(
                "Sum", "terms", "a non-empty list of regularizers", terms
            )
        flat = []
        for term in terms:
            if isinstance(term, dict):
                term = keras.regularizers.deserialize(term)
            if not isinstance(term, keras.regularizers.Regularizer):
                raise invalid_argument(
                    "Sum", "terms", "a non-empty list of regularizers", terms
                )
            # (a + b) + c is one flat sum, so its config stays shallow.
            flat.extend(term.terms if isinstance(term, Sum) else [term])
        self.terms = flat

    def __call__(self, x):
        total = self.terms[0](x)
        for term in self.terms[1:]:
            total = total + term(x)
        return total

    def __add__(self, other):
        if not isinstance(other, keras.regularizers.Regularizer):
            return NotImplemented
        return Sum([self, other])

    def sliced(self, shape, rows, cols) -> "Sum":
        """Each term sliced for a pruned weight (see ``Regularizer.sliced``);
        Keras' own regularizers have nothing to slice."""
        return Sum(
            [
                term.sliced(shape, rows, cols) if hasattr(term, "sliced") else term
                for term in self.terms
            ]
        )

    def get_config(self) -> dict:
        return {"terms": [keras.regularizers.serialize(t) for t in self.terms]}

    def __repr__(self) -> str:
        return " + ".join(repr(t) for t in self.terms)

"""The hypermodel of ``kreg tune``: preprocessing fitted per fold, then the net.

The net and its search space are kreg's defaults for tables,
:func:`kreg.tuning.tabular_model` and :func:`kreg.tuning.tabular_hypermodel`:
a linear model plus a one-hidden-layer MLP whose input kernels carry the
tuned penalty (L1 or group lasso over the inputs, or none), trained with
``kreg.optimizers.Proximal`` so that input features switch off exactly.
"""

import keras
import keras_tuner
import numpy as np
import pandas as pd
from sklearn.base import clone

from kreg import tuning
from kreg.data import make_preprocessor, output_width
from kreg.members import stacked_tabular_model
from kreg.metrics import DataLoss


class TabularHyperModel(keras_tuner.HyperModel):
    """Builds the net from ``hp``; prepares arrays for any rows of the table.

    ``kreg.tuning.Tuner`` hands each fold's rows to :meth:`fit` (KerasTuner's
    hook) as they are. The "features" it splits are row indices, so there the
    preprocessing is fitted on the fold's training rows only and applied to
    its validation rows: no statistic of a validation fold reaches the model.

    With ``Tuner(folds_as_members=True)`` the k folds train as the k members
    of one stacked model (:meth:`build_members`), and
    :meth:`prepare_members` gives each member its own copy of the features,
    preprocessed by the fold's own fitted preprocessor (the same arrays a
    sequential fold's :meth:`fit` makes): a member axis on the input,
    ``(rows, k, width)``, and on a regression target (each fold's own
    scaling).

    Args:
        features: the training rows' feature columns.
        y: their encoded target (class indices or values).
        task: `"classification"` or `"regression"`.
        n_classes: number of classes, `None` for regression.
        numeric: numeric feature columns.
        categorical: categorical feature columns.
        regularized: whether :meth:`build` takes the penalty and dropout from
            ``hp``; else it builds the same net with neither (see
            :meth:`unregularized`). Defaults to `True`.
    """

    def __init__(
        self,
        features: pd.DataFrame,
        y: np.ndarray,
        task: str,
        n_classes: int | None,
        *,
        numeric: list[str],
        categorical: list[str],
        regularized: bool = True,
    ):
        super().__init__(name="kreg_tabular")
        self.regularized = regularized
        self.features = features
        self.y = y
        self.task = task
        self.n_classes = n_classes
        self.numeric, self.categorical = numeric, categorical
        self.template = make_preprocessor(features, numeric, categorical)
        self.width = output_width(self.template)
        if task == "regression":
            self._shape = {"task": "regression", "n_outputs": 1}
        elif n_classes == 2:
            self._shape = {"task": "binary", "n_outputs": 1}
        else:
            self._shape = {"task": "multiclass", "n_outputs": n_classes}
        self.space = tuning.tabular_hypermodel(self.width, **self._shape)

    def build(self, hp: keras_tuner.HyperParameters) -> keras.Model:
        model = self.build_plain(hp) if self.regularized else self.network()
        # The same optimizer (unbuilt) and loss; accuracy beside the data loss
        # so each fold also reports it.
        metrics = [DataLoss(model.loss)]
        if self.task == "classification":
            metrics.append(
                keras.metrics.BinaryAccuracy(name="accuracy")
                if self.n_classes == 2
                else keras.metrics.SparseCategoricalAccuracy(name="accuracy")
            )
        model.compile(optimizer=model.optimizer, loss=model.loss, metrics=metrics)
        return model

    def fit(self, hp, model, x=None, y=None, validation_data=None, **kwargs):
        """Fits ``model`` on the table rows ``x`` (indices, as the tuner splits
        them), the preprocessing fitted on those rows only."""
        if validation_data is None:
            _, _, [(x, y)] = self.prepare(x)
            return model.fit(x, y, **kwargs)
        _, _, [(x, y), valid] = self.prepare(x, validation_data[0])
        return model.fit(x, y, validation_data=valid, **kwargs)

    def build_members(self, hp: keras_tuner.HyperParameters, members: int):
        """The trial's net stacked ``members`` times (a ``MemberModel``), each
        member reading its own features (``(batch, members, width)``)."""
        if self.regularized:
            return self.space.build_members(hp, members, member_inputs=True)
        return stacked_tabular_model(
            None,
            members=members,
            n_features=self.width,
            member_inputs=True,
            **self._shape,
        )

    def prepare_members(self, hp, x, y, splits):
        """The stacked fit's ``(x, y)`` for the table rows ``x`` (indices)
        and the folds ``splits`` (positions in ``x``): member ``j``'s features
        (and regression target) preprocessed as fold ``j``'s :meth:`fit`
        would, by a preprocessor fitted on its training rows only.

        Returns ``x`` of shape ``(rows, k, width)`` and ``y`` of shape
        ``(rows, k, 1)`` for regression, else the encoded target shared by
        the members (class indices or a ``(rows, 1)`` column of 0/1).
        """
        rows = _rows(x)
        xs, ys = [], []
        for train, _ in splits:
            _, _, [_, (x_member, y_member)] = self.prepare(rows[train], rows)
            xs.append(x_member)
            ys.append(y_member)
        if self.task == "regression":
            y = np.stack(ys, axis=1).reshape(len(rows), len(splits), 1)
        else:
            y = ys[0]  # labels are not preprocessed: the same for every member
        return np.stack(xs, axis=1), y

    def build_plain(self, hp: keras_tuner.HyperParameters) -> keras.Model:
        """The trial's net as a plain ``keras.Model``, to refit and save."""
        return self.space.build(hp)

    def unregularized(self) -> "TabularHyperModel":
        """The same hypermodel building the same shape with no penalty and no
        dropout (an empty search space)."""
        # A new instance: KerasTuner binds ``build`` in __init__, so a copy
        # would still build with this one.
        return TabularHyperModel(
            self.features,
            self.y,
            self.task,
            self.n_classes,
            numeric=self.numeric,
            categorical=self.categorical,
            regularized=False,
        )

    @property
    def shape(self) -> dict:
        """``task`` and ``n_outputs`` of :func:`kreg.tuning.tabular_model`."""
        return dict(self._shape)

    def network(self, regularizer=None, dropout_rate: float = 0.0) -> keras.Model:
        """The net with a given penalty (on its input kernels) and dropout."""
        return tuning.tabular_model(
            regularizer, dropout_rate, n_features=self.width, **self._shape
        )

    def prepare(self, train_rows, *other_rows, features=None, y=None):
        """Fits the preprocessing on ``train_rows``; returns arrays for every set.

        Returns ``(fitted_preprocessor, target_scale, [(x, y), ...])``, the
        first pair for ``train_rows``. ``features``/``y`` give another table
        (all rows, the test rows among them) for ``other_rows``.
        """
        train_rows = _rows(train_rows)
        fitted = clone(self.template).fit(self.features.iloc[train_rows])
        scale = self._target_scale(self.y[train_rows])
        out = [self._arrays(fitted, scale, self.features, self.y, train_rows)]
        source_x = self.features if features is None else features
        source_y = self.y if y is None else y
        for rows in other_rows:
            out.append(self._arrays(fitted, scale, source_x, source_y, _rows(rows)))
        return fitted, scale, out

    def _target_scale(self, y):
        if self.task != "regression":
            return None
        std = float(np.std(y))
        return float(np.mean(y)), std if std > 0 else 1.0

    def _arrays(self, fitted, scale, features, y, rows):
        if len(rows) == 0:  # no held-out rows
            return np.zeros((0, self.width), "float32"), y[rows]
        x = fitted.transform(features.iloc[rows]).astype("float32")
        target = y[rows]
        if scale is not None:
            target = ((target - scale[0]) / scale[1]).astype("float32")
        elif self.n_classes == 2:
            # binary cross-entropy wants (rows, 1), as the sigmoid output
            target = target.astype("float32").reshape(-1, 1)
        return x, target


def _rows(x) -> np.ndarray:
    return np.asarray(x).reshape(-1).astype("int64")


def row_column(n: int) -> np.ndarray:
    """The "features" the tuner splits: a column of row indices, as floats."""
    return np.arange(n, dtype="float32").reshape(-1, 1)

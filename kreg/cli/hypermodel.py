"""The hypermodel of ``kreg tune``: preprocessing fitted per fold, then the MLP."""

import keras
import keras_tuner
import numpy as np
import pandas as pd
from sklearn.base import clone

from kreg.tuning import search_space as tuning
from kreg.callbacks import EarlyStopping
from kreg.cli.network import build_network
from kreg.data import make_preprocessor, output_width

#: The penalties the search chooses from (or none).
KINDS = ("l1", "l2", "group_lasso")


class TabularHyperModel(keras_tuner.HyperModel):
    """Builds the MLP from ``hp`` and fits it on rows of a training table.

    ``fit`` receives row indices (a column of floats), not features: it fits
    the preprocessing (and, for regression, the target's mean and scale) on
    the training rows it is given and applies them to the validation rows, so
    no statistic of a validation fold reaches the model.
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
        patience: int = 10,
    ):
        super().__init__(name="kreg_tabular")
        self.features = features
        self.y = y
        self.task = task
        self.n_classes = n_classes
        self.template = make_preprocessor(features, numeric, categorical)
        self.width = output_width(self.template)
        self.patience = patience

    # -- the search space -------------------------------------------------
    def build(self, hp: keras_tuner.HyperParameters) -> keras.Model:
        regularizer = tuning.regularizer(hp, kinds=KINDS)
        rate = tuning.dropout_rate(hp)
        return self.network(regularizer, rate or 0.0)

    def network(self, regularizer=None, dropout_rate: float = 0.0) -> keras.Model:
        return build_network(
            self.width,
            self.task,
            self.n_classes,
            regularizer=regularizer,
            dropout_rate=dropout_rate,
        )

    # -- data ---------------------------------------------------------------
    def prepare(self, train_rows, *other_rows, features=None, y=None):
        """Fits the preprocessing on ``train_rows``; returns arrays for every set.

        ``features``/``y`` default to the training table; pass another table
        (the held-out test rows) to transform rows outside it with
        ``other_rows`` taken from that table.
        """
        train_rows = _rows(train_rows)
        fitted = clone(self.template).fit(self.features.iloc[train_rows])
        scale = self._target_scale(self.y[train_rows])
        out = [self._arrays(fitted, scale, self.features, self.y, train_rows)]
        for rows in other_rows:
            source_x = self.features if features is None else features
            source_y = self.y if y is None else y
            out.append(self._arrays(fitted, scale, source_x, source_y, _rows(rows)))
        return fitted, scale, out

    def _target_scale(self, y):
        if self.task != "regression":
            return None
        std = float(np.std(y))
        return float(np.mean(y)), std if std > 0 else 1.0

    def _arrays(self, fitted, scale, features, y, rows):
        x = fitted.transform(features.iloc[rows]).astype("float32")
        target = y[rows]
        if scale is not None:
            target = ((target - scale[0]) / scale[1]).astype("float32")
        elif self.n_classes == 2:
            # binary cross-entropy wants (rows, 1), as the sigmoid output
            target = target.astype("float32").reshape(-1, 1)
        return x, target

    def callbacks(self):
        """Early stopping on the validation data loss, best weights restored."""
        return [
            EarlyStopping(
                monitor="val_data_loss",
                patience=self.patience,
                restore_best_weights=True,
            )
        ]

    def fit(self, hp, model, x, y=None, validation_data=None, **kwargs):
        rows = _rows(x)
        kwargs.setdefault("batch_size", 32)
        kwargs.setdefault("verbose", 0)
        callbacks = list(kwargs.pop("callbacks", []) or [])
        if validation_data is None:
            _, _, [(x_train, y_train)] = self.prepare(rows)
            return model.fit(x_train, y_train, callbacks=callbacks, **kwargs)
        valid = _rows(validation_data[0])
        _, _, [(x_train, y_train), (x_valid, y_valid)] = self.prepare(rows, valid)
        callbacks = self.callbacks() + callbacks
        return model.fit(
            x_train,
            y_train,
            validation_data=(x_valid, y_valid),
            callbacks=callbacks,
            **kwargs,
        )


def _rows(x) -> np.ndarray:
    return np.asarray(x).reshape(-1).astype("int64")


def row_column(n: int) -> np.ndarray:
    """The "features" the tuner sees: a column of row indices, as floats."""
    return np.arange(n, dtype="float32").reshape(-1, 1)

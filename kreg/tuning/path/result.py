"""The result of a λ path: the fits along the strengths, and its plot."""

import dataclasses

import keras
import numpy as np

from kreg._validation import check_choice, invalid_argument
from kreg.tuning import selection


@dataclasses.dataclass
class RegularizationPath:
    """The fits along a path of strengths, strongest first.

    Attributes:
        strengths: the strengths λ, decreasing.
        train_data_loss: data loss (no penalty) on the training part (with
            ``cv``, on all rows after the final fit), per λ.
        val_data_loss: data loss on the validation data, per λ; with ``cv``,
            the mean of the folds' held-out data losses.
        val_standard_error: standard error of ``val_data_loss`` over the
            validation samples (``std(ddof=1) / sqrt(n)``), per λ; with
            ``cv``, over the fold means (``std(ddof=1) / sqrt(k)``, as
            glmnet's ``cvsd``).
        penalty: the weight penalty ``kreg.penalty(model).total``, per λ.
        sparsity: fraction of the penalized weights that are exactly 0
            (``|w| <= sparsity_tol``), per λ.
        active_inputs: input features (rows of the penalized first-layer
            kernel) with a non-zero weight, per λ.
        epochs: epochs trained at each λ (with ``cv``, in the final fit).
        seconds: wall time of each λ's fit (with ``cv``, all folds' and the
            final fit's).
        max_strength: λ_max, the first strength of the path.
        n_inputs: input features the penalized kernels read.
        warm_start: whether each fit started from the previous solution.
        direction: the order of the fits, `"decreasing"` (from λ_max down) or
            `"increasing"` (from the weakest strength up).
        stopping: how each strength's fit ended, `"convergence"` or
            `"validation"` (see :func:`regularization_path`).
        cv: the number of folds, or 0 for one validation split.
        fold_val_data_loss: with ``cv``, the held-out data loss of each
            fold (rows) at each λ (columns); else `None`.
        model: the model after the last fit.
        weights: the model's weights at each λ (``model.set_weights(w)``).
        fold_weights: with ``cv`` (and ``keep_weights``), each fold's
            weights at each λ: ``fold_weights[fold][i]``, strongest first;
            else empty. :meth:`fold_models` and :meth:`fold_ensemble` build
            models from them. With ``seeds`` > 1, ``seeds`` x ``cv``
            entries: ``fold_weights[m]`` is fold ``m % cv``'s.
        seeds: random initializations each fold was trained from (a
            tabular net's ``seeds`` option); its fold's
            ``fold_val_data_loss`` is their mean. Defaults to `1`.
    """

    strengths: np.ndarray
    train_data_loss: np.ndarray
    val_data_loss: np.ndarray
    val_standard_error: np.ndarray
    penalty: np.ndarray
    sparsity: np.ndarray
    active_inputs: np.ndarray
    epochs: np.ndarray
    seconds: np.ndarray
    max_strength: float
    warm_start: bool
    direction: str = "decreasing"
    stopping: str = "validation"
    n_inputs: int = 0
    cv: int = 0
    fold_val_data_loss: np.ndarray | None = dataclasses.field(default=None, repr=False)
    model: keras.Model | None = dataclasses.field(default=None, repr=False)
    weights: list = dataclasses.field(default_factory=list, repr=False)
    regularizer: keras.regularizers.Regularizer | None = dataclasses.field(
        default=None, repr=False
    )
    fold_weights: list = dataclasses.field(default_factory=list, repr=False)
    seeds: int = 1

    def best(self, rule: str = "min") -> int:
        """Index of the chosen strength: lowest validation data loss (`"min"`)
        or the largest λ within one standard error of it (`"1se"`)."""
        rule = check_choice(rule, "rule", "RegularizationPath.best", selection.RULES)
        return selection.select(
            self.val_data_loss,
            self.val_standard_error,
            np.log(self.strengths),
            rule=rule,
        )

    def best_strength(self, rule: str = "min") -> float:
        """The chosen strength (see :meth:`best`)."""
        return float(self.strengths[self.best(rule)])

    def best_model(self, rule: str = "min") -> keras.Model:
        """The path's model with the weights fitted at the chosen strength."""
        if self.model is None or not self.weights:
            raise ValueError("This path kept no model (keep_weights=False).")
        index = self.best(rule)
        self.model.set_weights(self.weights[index])
        if self.regularizer is not None:
            self.regularizer.strength = float(self.strengths[index])
        return self.model

    def fold_models(self, rule="min") -> list[keras.Model]:
        """The k fold models of a ``cv`` path at one strength, as new models.

        Each is a copy of :attr:`model` (``keras.models.clone_model``) with
        the weights its fold fitted at the strength chosen by ``rule``
        (`"min"`, `"1se"`, or an index into :attr:`strengths`). Each was
        trained on its fold's training rows only.
        """
        if not self.fold_weights or self.model is None:
            raise ValueError(
                "This path kept no fold weights (it needs cv and keep_weights)."
            )
        index = rule if isinstance(rule, int | np.integer) else self.best(rule)
        if not 0 <= index < len(self.strengths):
            raise invalid_argument(
                "RegularizationPath.fold_models",
                "rule",
                f"'min', '1se' or an index below {len(self.strengths)}",
                rule,
            )
        models = []
        for fold in self.fold_weights:
            clone = keras.models.clone_model(self.model)
            clone.set_weights(fold[int(index)])
            models.append(clone)
        return models

    def fold_ensemble(self, rule="min") -> keras.Model:
        """The average of the k fold models at one strength, as one model.

        A cross-validated path has already trained k models at every
        strength; their mean prediction (``keras.layers.Average``, over
        probabilities for classifiers) is an ensemble at no extra training
        cost. ``rule`` as in :meth:`fold_models`.
        """
        models = self.fold_models(rule)
        inputs = keras.tree.map_structure(
            lambda t: keras.Input(t.shape[1:], dtype=t.dtype), self.model.inputs
        )
        inputs = inputs[0] if len(inputs) == 1 else inputs
        # Named apart: a model may not hold two operations of one name.
        if len(self.model.outputs) != 1:
            raise ValueError("fold_ensemble averages models with one output.")
        models = [
            keras.Model(m.inputs, m.outputs[0], name=f"fold_{i}")
            for i, m in enumerate(models)
        ]
        outputs = keras.layers.Average()([model(inputs) for model in models])
        return keras.Model(inputs, outputs, name="fold_ensemble")

    @property
    def results(self) -> list[dict]:
        """One dict per strength, strongest first."""
        keys = (
            "strengths",
            "train_data_loss",
            "val_data_loss",
            "val_standard_error",
            "penalty",
            "sparsity",
            "active_inputs",
            "epochs",
            "seconds",
        )
        return [
            {
                key.removesuffix("s") if key == "strengths" else key: _py(
                    getattr(self, key)[i]
                )
                for key in keys
            }
            for i in range(len(self.strengths))
        ]

    def plot(self, path: str, *, title: str | None = None) -> str:
        """Writes a PNG of validation data loss and sparsity against λ.

        Needs matplotlib (``pip install kreg[plots]``). Returns ``path``.
        """
        # matplotlib is optional (kreg[plots]): loaded only to plot.
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(7, 4.5))
        ax.errorbar(
            self.strengths,
            self.val_data_loss,
            yerr=self.val_standard_error,
            fmt="o-",
            color="tab:red",
            ms=3,
            capsize=2,
            label="validation data loss",
        )
        ax.plot(
            self.strengths,
            self.train_data_loss,
            "--",
            color="tab:gray",
            label="training data loss",
        )
        ax.set_xscale("log")
        ax.set_xlabel("penalty strength λ (log scale)")
        ax.set_ylabel("data loss, without the penalty (mean ± se)")
        for rule, style in (("min", ":"), ("1se", "-.")):
            ax.axvline(
                self.best_strength(rule), color="k", ls=style, lw=1, label=f"λ {rule}"
            )
        twin = ax.twinx()
        if self.n_inputs:
            twin.plot(
                self.strengths,
                1.0 - self.active_inputs / self.n_inputs,
                "^-",
                color="tab:green",
                ms=3,
                label="inputs switched off",
            )
        twin.plot(
            self.strengths,
            self.sparsity,
            "s-",
            color="tab:blue",
            ms=3,
            label="sparsity",
        )
        twin.set_ylabel("fraction of zero weights / of inputs off")
        twin.set_ylim(-0.02, 1.02)
        lines = ax.get_legend_handles_labels()
        more = twin.get_legend_handles_labels()
        # Below the axes: inside, it covered the curves or the λ lines.
        ax.legend(
            lines[0] + more[0],
            lines[1] + more[1],
            loc="upper center",
            bbox_to_anchor=(0.5, -0.16),
            ncol=3,
            fontsize=8,
        )
        ax.set_title(title or "Regularization path")
        fig.tight_layout()
        fig.savefig(path, dpi=100, bbox_inches="tight")
        plt.close(fig)
        return path


def _py(value):
    return value.item() if hasattr(value, "item") else value

"""What :func:`kreg.tuning.tabular_path` returns: its paths and how they combine."""

import dataclasses

import keras

from kreg._validation import invalid_argument
from kreg.tuning.candidates import label, name
from kreg.tuning.path import RegularizationPath

#: How the families become one model (see :func:`kreg.tuning.tabular_path`).
COMBINES = ("blend", "select")


@dataclasses.dataclass
class TabularPath:
    """Cross-validated λ paths of :func:`tabular_model`, one per candidate.

    Attributes:
        candidates: the ``(units, regularizer)`` pairs (or ``(units,
            regularizer, options)`` triples), in the order given.
        paths: their cross-validated :class:`RegularizationPath`, same order.
        chosen: index of the chosen candidate. With ``combine="select"``:
            among the narrowest widths whose best cross-validated data loss
            is within one standard error of the best of all, the one with
            the lowest. With ``combine="blend"``: the candidate with the
            largest weight at the min strengths.
        checkpoint: the folder of the saved strengths (with the folds'
            weights), or `None`.
        combine: `"blend"` (:meth:`best_model` averages the candidates with
            :attr:`weights`) or `"select"` (:meth:`best_model` is the chosen
            candidate's).
        weights: with ``combine="blend"``, per rule (`"min"`, `"1se"`), one
            weight per candidate, summing to 1 (see
            :func:`kreg.tuning.blend.ensemble_selection`); else empty.
    """

    candidates: list[tuple]
    paths: list[RegularizationPath]
    chosen: int
    checkpoint: str | None = None
    combine: str = "select"
    weights: dict = dataclasses.field(default_factory=dict)

    @property
    def path(self) -> RegularizationPath:
        """The chosen candidate's path."""
        return self.paths[self.chosen]

    @property
    def units(self) -> int:
        """The chosen candidate's width (0: the linear model)."""
        return self.candidates[self.chosen][0]

    @property
    def label(self) -> str:
        """The chosen candidate's short name (see :func:`label`)."""
        return label(self.candidates[self.chosen])

    @property
    def regularizer(self):
        """The chosen candidate's penalty (its strength set by ``best_model``)."""
        return self.path.regularizer

    def best(self, rule: str = "min") -> int:
        """Index of the chosen strength on :attr:`path` (see
        :meth:`RegularizationPath.best`)."""
        return self.path.best(rule)

    def best_strength(self, rule: str = "min") -> float:
        """The chosen strength on :attr:`path`."""
        return self.path.best_strength(rule)

    @property
    def ensembled(self) -> bool:
        """Whether :meth:`best_model` averages a net's fits by default: for a
        net family. A net's fits differ from fold to fold (random
        initializations, early stopping), so their mean predicts better than
        any one of them; a GLM's fits are one convex solution each, and the
        single all-rows fit keeps its exact zeros. With ``combine="blend"``:
        whether a net has weight."""
        return any(self.candidates[i][0] > 0 for i in self.members())

    def members(self, rule: str = "min") -> list[int]:
        """The candidates :meth:`best_model` holds: those with weight, or the
        chosen one."""
        if self.combine == "blend":
            return [i for i, w in enumerate(self.weights[rule]) if w > 0]
        return [self.chosen]

    def heaviest(self, rule: str = "min") -> int:
        """The candidate with the largest weight at ``rule``'s strengths (the
        simplest of equals); the chosen one with ``combine="select"``."""
        if self.combine != "blend":
            return self.chosen
        weights = self.weights[rule]
        return max(range(len(weights)), key=lambda i: (weights[i], -i))

    def description(self, rule: str = "min") -> str:
        """What :meth:`best_model` is, in words: the chosen family's label,
        or the blend's weights, as ``"0.65 select32-group_lasso + 0.35
        linear-l1"``."""
        used = self.members(rule)
        if len(used) == 1:
            return label(self.candidates[used[0]])
        weights = self.weights[rule]
        return " + ".join(
            f"{weights[i]:.2f} {label(self.candidates[i])}"
            for i in sorted(used, key=lambda i: -weights[i])
        )

    def best_model(self, rule: str = "min", ensemble: bool | None = None):
        """The chosen model at the chosen strength, or the blend.

        Args:
            rule: `"min"` or `"1se"` (see :meth:`RegularizationPath.best`),
                applied to each candidate's own path. Defaults to `"min"`.
            ensemble: `True` for a candidate's :meth:`ensemble` (its fold
                models and its all-rows model averaged), `False` for its
                model fitted on all rows alone. Defaults to `None`: the
                ensemble for a net family, the single all-rows fit for a
                GLM.

        Returns:
            A Keras model: one candidate's, or with ``combine="blend"`` and
            more than one candidate with weight, their weighted mean
            (probabilities for classification), its sub-models named
            ``family_<candidate>``.
        """
        if ensemble is not None and not isinstance(ensemble, bool):
            raise invalid_argument(
                "TabularPath.best_model", "ensemble", "True, False or None", ensemble
            )
        used = self.members(rule)
        if len(used) == 1:
            return self.family_model(used[0], rule, ensemble)
        weights = self.weights[rule]
        inputs = keras.Input(self.paths[used[0]].model.input_shape[1:])
        parts = []
        for i in used:
            model = self.family_model(i, rule, ensemble)
            model = keras.Model(model.inputs[0], model.outputs[0], name=f"family_{i}")
            # Rescaling and Add: plain Keras, so the saved blend loads
            # without kreg.
            weight = keras.layers.Rescaling(weights[i], name=f"weight_{i}")
            parts.append(weight(model(inputs)))
        return keras.Model(inputs, keras.layers.Add(name="blend")(parts), name="blend")

    def family_model(
        self, number: int, rule: str = "min", ensemble: bool | None = None
    ) -> keras.Model:
        """One candidate's model at its ``rule`` strength: its fold ensemble
        or its all-rows fit (``ensemble`` as in :meth:`best_model`)."""
        if ensemble is None:
            ensemble = self.candidates[number][0] > 0
        if ensemble:
            return self.ensemble(rule, number)
        return self.paths[number].best_model(rule)

    def fold_models(self, rule: str = "min") -> list[keras.Model]:
        """The chosen candidate's fold models at the chosen strength: what
        cross-validation already trained, each on all rows but one fold's
        (see :meth:`RegularizationPath.fold_models`)."""
        return self.path.fold_models(rule)

    def ensemble(self, rule: str = "min", number: int | None = None) -> keras.Model:
        """The mean prediction of a candidate's fold models and its all-rows
        model at its chosen strength (probabilities for classification): an
        ensemble that costs no extra training. Its members are the
        sub-models ``member_0`` ... (the folds', then the all-rows fit).
        ``number``: the candidate; defaults to the chosen one."""
        path = self.path if number is None else self.paths[number]
        single = path.best_model(rule)
        members = [*path.fold_models(rule), keras.models.clone_model(single)]
        members[-1].set_weights(single.get_weights())
        members = [
            keras.Model(m.inputs[0], m.outputs[0], name=f"member_{i}")
            for i, m in enumerate(members)
        ]
        inputs = keras.Input(path.model.input_shape[1:])
        outputs = keras.layers.Average(name="ensemble_mean")(
            [member(inputs) for member in members]
        )
        return keras.Model(inputs, outputs, name="ensemble")

    @property
    def results(self) -> list[dict]:
        """One dict per candidate and strength, with its ``candidate`` index,
        ``units`` and ``regularizer``."""
        return [
            {
                "candidate": i,
                "units": candidate[0],
                "regularizer": name(candidate[1]),
                "label": label(candidate),
                **row,
            }
            for i, (candidate, path) in enumerate(zip(self.candidates, self.paths))
            for row in path.results
        ]

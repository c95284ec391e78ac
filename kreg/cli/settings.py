"""What a ``kreg tune`` run was asked to do, kept in ``run.json`` for resuming."""

import dataclasses
import os

#: KerasTuner oracles of ``--search`` besides the default λ paths.
TUNERS = ("random", "bayesian", "hyperband")
#: ``--search``: kreg's cross-validated λ paths (the default) or a KerasTuner search.
SEARCHES = ("path", *TUNERS)
RULES = ("min", "1se")
#: ``--combine``: the families averaged by their out-of-fold predictions, or one chosen.
COMBINES = ("blend", "select")

#: Settings that may change when a run resumes (a bigger budget, say).
RESUMABLE = ("trials", "epochs", "rule", "ensemble", "members", "combine")


@dataclasses.dataclass
class Settings:
    """The settings of one run; defaults are the ``kreg tune`` defaults."""

    data: str | None = None
    target: str | None = None
    task: str | None = None
    drop: list[str] = dataclasses.field(default_factory=list)
    cv: int = 3
    trials: int = 8
    epochs: int = 50
    search: str = "path"
    seed: int = 0
    test_size: float | None = None
    rule: str = "min"
    non_numeric_as_missing: bool = False
    #: Whether a net family's saved model averages its fold models with its
    #: all-rows fit (``--no-ensemble``: the all-rows fit alone).
    ensemble: bool = True
    #: Whether a --search trial's k folds train as the k members of one
    #: stacked fit (``--no-members``: one fit per fold, one after another).
    members: bool = True
    #: How the families' paths become the saved model (``--combine``).
    combine: str = "blend"

    @property
    def path(self) -> bool:
        """Whether the run fits kreg's λ paths (else a KerasTuner search)."""
        return self.search == "path"

    @property
    def tuner(self) -> str:
        """The KerasTuner oracle of a search run."""
        return self.search

    @property
    def data_name(self) -> str:
        if self.data is None:
            # Here, not above: kreg.cli.main imports this module at start.
            from kreg.data import EXAMPLE_NAME

            return EXAMPLE_NAME
        return os.path.splitext(os.path.basename(self.data))[0]

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> "Settings":
        values = dict(values)
        if "search" not in values:  # a run folder of kreg 0.1: --tuner, --path
            values["search"] = "path" if values.get("path") else values.get("tuner")
            values.setdefault("test_size", 0.2)
            values.setdefault("rule", "min")
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in names and v is not None})

    def conflicts(self, stored: "Settings", given: set[str]) -> list[str]:
        """Flags given now that differ from a stored run's and cannot change."""
        out = []
        for name in sorted(given):
            if name in RESUMABLE:
                continue
            if getattr(self, name) != getattr(stored, name):
                out.append(
                    f"--{name.replace('_', '-')} {getattr(self, name)!r} "
                    f"(the run has {getattr(stored, name)!r})"
                )
        return out

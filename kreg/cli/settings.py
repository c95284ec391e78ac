"""What a ``kreg tune`` run was asked to do, kept in ``run.json`` for resuming."""

import dataclasses
import os

TUNERS = ("random", "bayesian", "hyperband")
RULES = ("min", "1se")

#: Settings that may change when a run resumes (a bigger budget, say).
RESUMABLE = ("trials", "epochs", "rule")


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
    tuner: str = "random"
    path: bool = False
    seed: int = 0
    test_size: float = 0.2
    rule: str = "min"
    non_numeric_as_missing: bool = False

    @property
    def data_name(self) -> str:
        if self.data is None:
            from kreg.data import EXAMPLE_NAME

            return EXAMPLE_NAME
        return os.path.splitext(os.path.basename(self.data))[0]

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> "Settings":
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in names})

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

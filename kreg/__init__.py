"""kreg: regularization for Keras 3, with cross-validated tuning of its strength."""

import importlib
import os
import sys

__version__ = "0.1.0"

__all__ = [
    "InvalidArgumentError",
    "PenaltyReport",
    "PruneReport",
    "LayerSparsity",
    "RegularizeReport",
    "SparsityReport",
    "callbacks",
    "layers",
    "members",
    "metrics",
    "ops",
    "optimizers",
    "penalty",
    "prune",
    "regularize",
    "regularizers",
    "relax",
    "sparsity",
    "tuning",
    "uncertainty",
]


_SUBPACKAGES = (
    "callbacks",
    "layers",
    "members",
    "metrics",
    "ops",
    "optimizers",
    "regularizers",
    "tuning",
    "uncertainty",
)


def _load_api() -> None:
    """Imports the public API, which registers every class with Keras."""
    # Imported here, not above: the kreg command loads them (TensorFlow,
    # seconds) only once a command runs (see _starting_command).
    # import_module, not ``from kreg import``: that would call __getattr__.
    for name in _SUBPACKAGES:
        importlib.import_module(f"kreg.{name}")  # binds kreg.<name>
    from kreg._validation import InvalidArgumentError
    from kreg.penalty import PenaltyReport, penalty
    from kreg.prune import PruneReport, prune
    from kreg.regularize import RegularizeReport, regularize
    from kreg.relax import relax
    from kreg.sparsity import LayerSparsity, SparsityReport, sparsity

    globals().update(
        InvalidArgumentError=InvalidArgumentError,
        PenaltyReport=PenaltyReport,
        penalty=penalty,
        PruneReport=PruneReport,
        prune=prune,
        relax=relax,
        RegularizeReport=RegularizeReport,
        regularize=regularize,
        LayerSparsity=LayerSparsity,
        SparsityReport=SparsityReport,
        sparsity=sparsity,
    )


def _starting_command() -> bool:
    """True while the ``kreg`` command (or ``python -m kreg``) starts.

    The command imports TensorFlow (seconds) only once a command runs, so
    ``kreg --help`` answers at once. Everywhere else ``import kreg`` loads the
    whole API, so that a saved model that uses kreg's classes loads after it.
    """
    if os.path.basename(sys.argv[0]) in ("kreg", "kreg.exe", "kreg-script.py"):
        return True  # the console script
    # ``python -m kreg``: argv[0] is "-m" while Python locates the module.
    argv = getattr(sys, "orig_argv", [])
    if sys.argv[:1] != ["-m"] or "-m" not in argv[:-1]:
        return False
    return argv[argv.index("-m") + 1] in ("kreg", "kreg.cli", "kreg.cli.main")


if _starting_command():

    def __getattr__(name: str):
        if name in __all__:
            _load_api()
            return globals()[name]
        raise AttributeError(f"module 'kreg' has no attribute {name!r}")

else:
    _load_api()

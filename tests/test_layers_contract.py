"""kreg's layering, as the import-linter contracts in pyproject.toml state it."""

import contextlib
import io
import pathlib
import pkgutil

import tomllib
from importlinter import cli

import kreg

ROOT = pathlib.Path(__file__).resolve().parents[1]
CONFIG = ROOT / "pyproject.toml"


def test_the_import_contracts_are_kept():
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = cli.lint_imports(
            config_filename=str(CONFIG), no_cache=True, no_logo=True
        )
    assert code == cli.EXIT_STATUS_SUCCESS, out.getvalue()


def test_every_module_of_kreg_has_a_layer():
    # A new module outside the layers would be checked by nothing.
    config = tomllib.loads(CONFIG.read_text())["tool"]["importlinter"]
    (layers,) = [c for c in config["contracts"] if c["type"] == "layers"]
    named = {name.strip() for layer in layers["layers"] for name in layer.split("|")}
    modules = {m.name for m in pkgutil.iter_modules(kreg.__path__)} - {"__main__"}
    assert modules == named

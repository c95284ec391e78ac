"""The example notebooks run top to bottom (small budgets: KREG_FAST=1)."""

import pathlib

import nbformat
import pytest
from nbclient import NotebookClient

EXAMPLES = sorted((pathlib.Path(__file__).parents[1] / "examples").glob("*.ipynb"))

INSTALL_GUARD = 'if importlib.util.find_spec("kreg") is None:\n    %pip install'


def test_every_notebook_installs_kreg_first_and_has_no_outputs():
    assert [p.name[:3] for p in EXAMPLES] == ["01_", "02_", "03_", "04_", "05_"]
    for path in EXAMPLES:
        notebook = nbformat.read(path, as_version=4)
        nbformat.validate(notebook)
        code = [c for c in notebook.cells if c.cell_type == "code"]
        assert INSTALL_GUARD in code[0].source, path.name
        assert all(not c.outputs for c in code), (
            f"{path.name} is committed with outputs"
        )


@pytest.mark.slow
@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_notebook_runs(path, tmp_path, monkeypatch):
    monkeypatch.setenv("KREG_FAST", "1")
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "3")
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()  # raises CellExecutionError, with the cell, on any error
    images = [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if "image/png" in output.get("data", {})
    ]
    assert images, f"{path.name} showed no plot"

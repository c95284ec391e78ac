"""The example notebooks run top to bottom (small budgets: KREG_FAST=1)."""

import os
import pathlib

import nbformat
import pytest
from jupyter_client import KernelManager
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


# Run before each notebook in the kernel the notebooks share: its folder, no
# figure or Keras state left over, and %reset -f empties the namespace, so a
# notebook that forgets an import or a variable still fails. (One kernel per
# module: a fresh kernel costs a TensorFlow import, ~5 s of CPU each.)
_FRESH_START = """\
import os, sys
os.chdir({folder!r})
if "matplotlib.pyplot" in sys.modules:
    sys.modules["matplotlib.pyplot"].close("all")
if "keras" in sys.modules:
    sys.modules["keras"].backend.clear_session()
%reset -f
assert not [n for n in dir() if n[0] != "_" and n not in {kernel_names!r}], dir()
"""

# What IPython itself puts in a new kernel's namespace.
_KERNEL_NAMES = {"In", "Out", "exit", "quit", "get_ipython", "open"}


@pytest.fixture(scope="module")
def kernel():
    manager = KernelManager(kernel_name="python3")
    manager.start_kernel(
        env={**os.environ, "KREG_FAST": "1", "TF_CPP_MIN_LOG_LEVEL": "3"}
    )
    yield manager
    manager.shutdown_kernel(now=True)


@pytest.mark.slow
@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_notebook_runs(path, tmp_path, kernel):
    reset = kernel.client()
    reset.start_channels()
    try:
        reset.wait_for_ready(timeout=120)
        reply = reset.execute_interactive(
            _FRESH_START.format(folder=str(tmp_path), kernel_names=_KERNEL_NAMES),
            timeout=120,
        )
    finally:
        reset.stop_channels()
    assert reply["content"]["status"] == "ok", reply["content"]
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, km=kernel, timeout=600, kernel_name="python3")
    try:
        client.execute()  # raises CellExecutionError, with the cell, on any error
    finally:
        if client.kc is not None:
            client.kc.stop_channels()
    images = [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if "image/png" in output.get("data", {})
    ]
    assert images, f"{path.name} showed no plot"

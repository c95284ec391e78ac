"""The README's examples run, so they never go stale.

Blocks fenced as ```python run in order, in one namespace, in a temporary folder;
blocks fenced as ```py are illustrations that need files the reader has (they are
not run).
"""

import pathlib
import re
import warnings

import keras

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"


def python_blocks(text: str) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", text, flags=re.S | re.M)


def test_readme_python_examples_run(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    blocks = python_blocks(README.read_text())
    assert blocks, "the README should show runnable examples"
    namespace: dict = {}
    for index, block in enumerate(blocks):
        try:
            with warnings.catch_warnings():
                # The README shows kreg.regularize warning about a frozen layer.
                warnings.filterwarnings("ignore", "kreg.regularize skipped layers")
                exec(compile(block, f"README.md block {index}", "exec"), namespace)
        finally:
            keras.utils.set_random_seed(1234)

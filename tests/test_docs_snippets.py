"""Every example in the README and the documentation runs alone and checks itself.

Conventions (docs/ pages and README.md):

- A block fenced ```python is executed on its own: a fresh namespace (its own
  imports), in a temporary folder, after Keras' global seed was set to a value
  of the test's choosing (so a block that trains must seed itself to state
  numbers).
- A ```text block right after it (blank lines between allowed) is the output
  it prints, compared as doctest does (NORMALIZE_WHITESPACE, ELLIPSIS), with
  each float matched to the precision it is written with.
- Blocks fenced ```py are reference listings or need the reader's files; they
  are not run. Keep them few.
"""

import contextlib
import doctest
import io
import pathlib
import re
import warnings

import keras
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]

_BLOCK = re.compile(
    r"^```python\n(?P<code>.*?)^```[ \t]*\n(?:[ \t]*\n)*"
    r"(?:^```text\n(?P<output>.*?)^```)?",
    flags=re.S | re.M,
)
# Blocks that fit or search state numbers that depend on the seed.
_TRAINS = re.compile(r"\.fit\(|\.search\(|_path\(|mc_predict\(|\.relax\(")
_CHECKER = doctest.OutputChecker()
_FLAGS = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS
_FLOAT = re.compile(r"-?\d+\.\d+(?:e[+-]?\d+)?")


def _same_float(want: str, got: str) -> bool:
    """True if ``got`` rounds to ``want`` at the precision ``want`` is written."""
    mantissa, _, exponent = want.partition("e")
    decimals = len(mantissa.split(".")[1])
    tolerance = 0.5 * 10.0 ** (int(exponent or 0) - decimals)
    return abs(float(want) - float(got)) <= tolerance * (1 + 1e-9)


def output_matches(want: str, got: str) -> bool:
    """doctest's comparison, with floats matched to the precision written."""
    wants, gots = _FLOAT.findall(want), _FLOAT.findall(got)
    if len(wants) == len(gots) and all(map(_same_float, wants, gots)):
        numbers = iter(wants)
        got = _FLOAT.sub(lambda _: next(numbers), got)
    return _CHECKER.check_output(want, got, _FLAGS)


def _blocks():
    for page in PAGES:
        text = page.read_text()
        for match in _BLOCK.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            name = f"{page.relative_to(ROOT)}:{line}"
            yield pytest.param(name, match["code"], match["output"], id=name)


BLOCKS = list(_blocks())


def test_floats_match_to_the_precision_written():
    assert output_matches("loss 0.138, 1.5e-03", "loss 0.13812, 1.4996e-03")
    assert not output_matches("loss 0.138", "loss 0.1391")
    assert output_matches("[...] 2.0", "[1, 2] 2.04")


def test_the_readme_and_every_guide_have_runnable_examples():
    pages = {b.values[0].split(":")[0] for b in BLOCKS}
    assert "README.md" in pages
    for guide in ("regularizers", "sparsity", "dropout", "callbacks", "tuning"):
        assert f"docs/guide/{guide}.md" in pages, guide


@pytest.mark.parametrize(("name", "code", "output"), BLOCKS)
def test_example_runs_alone(name, code, output, tmp_path, monkeypatch):
    assert re.search(r"^(import|from) ", code, flags=re.M), (
        f"{name} has no import: each example carries its own"
    )
    if output is not None and _TRAINS.search(code):
        assert "set_random_seed(" in code, f"{name} trains and states output: seed it"
    monkeypatch.chdir(tmp_path)
    keras.backend.clear_session(free_memory=False)  # a gc.collect costs ~0.5 s
    keras.utils.set_random_seed(len(BLOCKS) + 7919)  # not any example's own seed
    printed = io.StringIO()
    with warnings.catch_warnings(), contextlib.redirect_stdout(printed):
        # The regularizers guide shows kreg.regularize warning about a frozen layer.
        warnings.filterwarnings("ignore", "kreg.regularize skipped layers")
        exec(compile(code, name, "exec"), {"__name__": "__main__"})
    if output is not None:
        got = printed.getvalue()
        assert output_matches(output, got), (
            f"{name} printed:\n{got}\nthe page says:\n{output}"
        )

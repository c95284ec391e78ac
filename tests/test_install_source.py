"""The README, the install page and the notebooks' install cell name one source.

kreg is not on the package index yet: until it is, every place that tells a reader
how to install it must point at the same repository, with the same extras.
"""

import pathlib
import re

import nbformat

ROOT = pathlib.Path(__file__).resolve().parents[1]
PYPROJECT = (ROOT / "pyproject.toml").read_text()
NOTEBOOKS = sorted((ROOT / "examples").glob("*.ipynb"))
_PIP = re.compile(r'pip install -q "(?P<spec>kreg\[[a-z,]+\] @ git\+[^"]+)"')


def _notebook_specs() -> set[str]:
    specs = set()
    for path in NOTEBOOKS:
        cell = next(
            c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"
        )
        match = _PIP.search(cell.source)
        assert match, f"{path.name}: no pip install of kreg in the first code cell"
        specs.add(match["spec"])
    return specs


def test_notebooks_readme_and_install_page_name_the_same_source():
    specs = _notebook_specs()
    assert len(specs) == 1, specs
    [spec] = specs
    for page in (ROOT / "README.md", ROOT / "docs" / "install.md"):
        assert f'pip install "{spec}"' in page.read_text(), page.name
    homepage = re.search(r'^Homepage = "(.+)"$', PYPROJECT, flags=re.M)[1]
    assert spec.endswith(f"git+{homepage}"), (spec, homepage)


def test_the_readme_says_kreg_is_not_on_the_index_yet():
    readme = (ROOT / "README.md").read_text()
    assert "pip install kreg " not in readme and "pip install kreg\n" not in readme
    assert "not on the Python package index yet" in readme


def test_the_version_is_written_once():
    # pyproject.toml reads it from kreg.__version__ (no tomllib on Python 3.10).
    assert not re.search(r"^version = \"", PYPROJECT, flags=re.M)
    assert re.search(r'^dynamic = \["version"\]', PYPROJECT, flags=re.M)
    assert 'version = { attr = "kreg.__version__" }' in PYPROJECT
    init = (ROOT / "kreg" / "__init__.py").read_text()
    assert len(re.findall(r'^__version__ = "\d+\.\d+\.\d+"$', init, flags=re.M)) == 1

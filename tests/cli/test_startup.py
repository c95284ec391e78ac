"""The ``kreg`` command starts fast and quietly.

``--help`` imports neither TensorFlow nor Keras, and a command that does load
TensorFlow hides its C++ start-up lines (and the CUDA probe on a CPU machine).
"""

import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# What pip writes as the console script ``kreg``.
CONSOLE_SCRIPT = """\
import re
import sys
from kreg.cli.main import main
if __name__ == "__main__":
    sys.argv[0] = re.sub(r"(-script\\.pyw|\\.exe)?$", "", sys.argv[0])
    code = main()
    heavy = sorted({"tensorflow", "keras"} & set(sys.modules))
    sys.stderr.write(f"heavy modules: {heavy}\\n")
    sys.exit(code)
"""


def _env():
    env = {k: v for k, v in os.environ.items() if not k.startswith("TF_CPP")}
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    return env


@pytest.mark.parametrize("argv", [["--help"], ["tune", "--help"], ["--version"]])
def test_console_script_help_imports_no_tensorflow(argv, tmp_path):
    script = tmp_path / "kreg"
    script.write_text(CONSOLE_SCRIPT)
    result = subprocess.run(
        [sys.executable, str(script), *argv],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(("usage: kreg", "kreg "))
    assert result.stderr == "heavy modules: []\n"


def test_python_m_kreg_help_imports_no_tensorflow():
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "kreg", "tune", "--help"],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=60,
    )
    assert result.returncode == 0
    assert result.stdout.startswith("usage: kreg tune [-h]")
    imported = [line.split("|")[-1].strip() for line in result.stderr.splitlines()]
    assert imported, "-X importtime printed nothing"
    heavy = [m for m in imported if m.split(".")[0] in ("tensorflow", "keras")]
    assert heavy == []


def test_a_command_that_loads_tensorflow_prints_no_log_line(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "kreg", "report", str(tmp_path)],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=120,
    )
    assert result.returncode == 2  # bad input
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert lines[0].startswith("kreg report: error:")
    assert "expected a kreg run folder" in lines[0]


@pytest.mark.parametrize(
    ("argv", "orig_argv", "command"),
    [
        (["/venv/bin/kreg", "tune"], ["python", "/venv/bin/kreg", "tune"], True),
        (["-m"], ["python", "-m", "kreg", "tune", "--help"], True),
        (["-m"], ["python", "-X", "dev", "-m", "kreg.cli.main"], True),
        (["-m"], ["python", "-m", "pytest", "-m", "kreg"], False),
        (["x.py", "-m", "kreg"], ["python", "x.py", "-m", "kreg"], False),
        (["-c"], ["python", "-c", "import kreg"], False),
        (["/venv/bin/pytest"], ["python", "/venv/bin/pytest"], False),
    ],
)
def test_only_the_command_defers_the_api(argv, orig_argv, command, monkeypatch):
    # Everywhere else ``import kreg`` loads the whole API at once, so that a
    # saved model loads after it (tests/test_regularize.py loads one in a
    # fresh process).
    import kreg

    monkeypatch.setattr(sys, "argv", argv)
    monkeypatch.setattr(sys, "orig_argv", orig_argv)
    assert kreg._starting_command() is command

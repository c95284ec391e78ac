"""Every option of the tuning scripts says what it does and its default."""

import os
import re
import runpy
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPTS = ["digits_cnn.py", "lambda_path.py", "tabular_mlp.py", "tabular_path.py"]


@pytest.mark.parametrize("script", SCRIPTS)
def test_help_names_every_default(script, monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", [script, "--help"])
    monkeypatch.syspath_prepend(os.path.join(ROOT, "tuning"))
    with pytest.raises(SystemExit) as exit_:
        runpy.run_path(os.path.join(ROOT, "tuning", script), run_name="__main__")
    assert exit_.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    options = text.split(" options: ", 1)[1]
    # Every option but -h and the on/off flags names its default.
    for entry in re.split(r" (?=--[a-z])", options)[1:]:
        flag, *rest = entry.split()
        if rest and (rest[0].isupper() or rest[0].startswith("{")):  # a value
            assert "(default:" in entry, f"{script} {flag}: {entry}"

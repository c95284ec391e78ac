"""KerasTuner's chief/worker mode on localhost: every trial runs exactly once."""

import importlib.util
import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
SCRIPT = os.path.join(ROOT, "tuning", "distributed.py")


@pytest.mark.slow
def test_chief_and_two_workers_run_each_trial_once(tmp_path):
    log = tmp_path / "fits.log"
    env = dict(os.environ, PYTHONPATH=ROOT, TF_CPP_MIN_LOG_LEVEL="3")
    for name in (
        "KERASTUNER_TUNER_ID",
        "KERASTUNER_ORACLE_IP",
        "KERASTUNER_ORACLE_PORT",
    ):
        env.pop(name, None)
    trials, folds = 2, 2
    done = subprocess.run(
        [
            sys.executable,
            SCRIPT,
            "--workers=2",
            f"--trials={trials}",
            f"--cv={folds}",
            "--epochs=2",
            "--samples=48",
            f"--directory={tmp_path}",
            f"--log={log}",
            "--timeout=240",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"chief: {trials} trials" in done.stdout
    with open(log) as f:
        fits = f.read().split()
    # Each trial cross-validated once: trials x folds fits, all on workers.
    assert len(fits) == trials * folds
    assert set(fits) <= {"tuner0", "tuner1"}
    project = tmp_path / "distributed"
    with open(project / "oracle.json") as f:
        assert sorted(json.load(f)["end_order"]) == [str(i) for i in range(trials)]
    ran_by = []
    for i in range(trials):
        with open(project / f"trial_{i}" / "trial.json") as f:
            assert json.load(f)["status"] == "COMPLETED"
        with open(project / f"trial_{i}" / "cv.json") as f:
            ran_by.append(json.load(f)["tuner_id"])
    for worker in ("tuner0", "tuner1"):
        assert fits.count(worker) == folds * ran_by.count(worker)


def test_the_chief_binds_loopback_unless_told_otherwise():
    spec = importlib.util.spec_from_file_location("kreg_distributed_script", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.build_parser().parse_args([]).host == "127.0.0.1"
    assert module.build_parser().parse_args(["--host", "10.0.0.2"]).host == "10.0.0.2"

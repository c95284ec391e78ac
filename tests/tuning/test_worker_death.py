"""Issue 15, defect 4: distributed search survives a worker killed with -9,
and the launcher leaves no process behind at its timeout."""

import json
import os
import signal
import socket
import subprocess
import sys
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
SCRIPT = os.path.join(ROOT, "tuning", "distributed.py")


def _env(**extra):
    env = dict(os.environ, PYTHONPATH=ROOT, TF_CPP_MIN_LOG_LEVEL="3", **extra)
    for name in (
        "KERASTUNER_TUNER_ID",
        "KERASTUNER_ORACLE_IP",
        "KERASTUNER_ORACLE_PORT",
    ):
        if name not in extra:
            env.pop(name, None)
    return env


def free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _processes_mentioning(text: str) -> list[int]:
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                if text.encode() in f.read():
                    pids.append(int(entry))
        except OSError:
            pass
    return pids


def _kill_groups(processes):
    for process in processes:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait()


@pytest.mark.slow
def test_a_killed_workers_trial_goes_to_another_worker(tmp_path):
    log = tmp_path / "fits.log"
    common = [
        sys.executable,
        SCRIPT,
        "--role",
        "process",
        "--trials",
        "2",
        "--cv",
        "2",
        "--epochs",
        "2",
        "--samples",
        "48",
        "--directory",
        str(tmp_path),
        "--log",
        str(log),
        "--worker-timeout",
        "8",
    ]
    oracle = dict(
        KERASTUNER_ORACLE_IP="127.0.0.1",
        KERASTUNER_ORACLE_PORT=str(free_port("127.0.0.1")),
    )
    processes, logs = {}, []
    try:
        for name in ("chief", "tuner0", "tuner1"):
            logs.append(open(tmp_path / f"{name}.err", "w"))  # noqa: SIM115
            processes[name] = subprocess.Popen(
                common,
                env=_env(KERASTUNER_TUNER_ID=name, **oracle),
                stdout=subprocess.PIPE if name == "chief" else subprocess.DEVNULL,
                stderr=logs[-1],
                text=True,
                start_new_session=True,
            )
        deadline = time.monotonic() + 120
        while not (log.exists() and "tuner0" in log.read_text()):
            assert time.monotonic() < deadline, "tuner0 never started a fit"
            assert processes["tuner0"].poll() is None
            time.sleep(0.1)
        os.killpg(processes["tuner0"].pid, signal.SIGKILL)  # mid-trial
        out, _ = processes["chief"].communicate(timeout=180)
        assert processes["chief"].returncode == 0, out
        assert "goes to another worker" in out
        assert "chief: 2 trials" in out
        assert processes["tuner1"].wait(timeout=60) == 0
    finally:
        _kill_groups(processes.values())
        processes["chief"].stdout.close()
        for log_file in logs:
            log_file.close()
    project = tmp_path / "distributed"
    with open(project / "oracle.json") as f:
        assert sorted(json.load(f)["end_order"]) == ["0", "1"]
    for i in range(2):
        with open(project / f"trial_{i}" / "trial.json") as f:
            assert json.load(f)["status"] == "COMPLETED"
        with open(project / f"trial_{i}" / "cv.json") as f:
            assert json.load(f)["tuner_id"] == "tuner1"  # tuner0 finished none


@pytest.mark.slow
def test_the_launcher_stops_everything_at_its_timeout(tmp_path):
    marker = str(tmp_path / "unique-project")
    started = time.monotonic()
    # No worker: the chief would wait for one forever.
    done = subprocess.run(
        [
            sys.executable,
            SCRIPT,
            "--workers",
            "0",
            "--timeout",
            "3",
            "--directory",
            marker,
        ],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 124
    assert "Traceback" not in done.stderr
    # (The chief's own TensorFlow start-up lines may precede it.)
    errors = [line for line in done.stderr.splitlines() if "distributed:" in line]
    assert len(errors) == 1 and "--timeout 3" in errors[0]
    assert time.monotonic() - started < 60
    assert _processes_mentioning(marker) == []

"""The run folder's lock, its temporary files and their permissions."""

import fcntl
import os
import stat
import subprocess
import sys
import time

import pytest

from kreg.cli import store
from kreg.cli.lock import LOCK_FILE, FolderInUse, RunLock
from kreg.cli.main import main


def _hold(folder, pid="4242"):
    """Locks ``folder`` as another process would (flock on its own file)."""
    handle = open(os.path.join(folder, LOCK_FILE), "a+")
    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    handle.truncate(0)
    handle.write(f"{pid}\n")
    handle.flush()
    return handle


def test_a_held_lock_names_its_process(tmp_path):
    handle = _hold(tmp_path)
    try:
        with pytest.raises(FolderInUse, match="process 4242 holds its lock"):
            with RunLock(str(tmp_path), "kreg tune"):
                pass
    finally:
        handle.close()
    # Released (as when its process dies, however it dies): taken over.
    with RunLock(str(tmp_path), "kreg tune"):
        with open(tmp_path / LOCK_FILE) as f:
            assert f.read() == f"{os.getpid()}\n"


def test_a_stale_lock_file_is_taken_over(tmp_path):
    (tmp_path / LOCK_FILE).write_text("999999999\n")  # a dead process's
    with RunLock(str(tmp_path), "kreg tune"):
        pass


def test_commands_on_a_folder_in_use_exit_2(tmp_path, sales_csv, capsys):
    run = tmp_path / "run"
    run.mkdir()
    (run / store.RUN_FILE).write_text('{"settings": {"cv": 3}, "status": "running"}')
    handle = _hold(run, "777")
    try:
        before = sorted(os.listdir(run))
        assert main(["report", str(run)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "process 777 holds its lock" in err
        empty = tmp_path / "empty"
        empty.mkdir()
        other = _hold(empty, "778")
        assert main(["tune", str(sales_csv), "--out", str(empty)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1, err
        assert f"Received: out='{empty}'" in err and "process 778" in err
        assert os.listdir(empty) == [LOCK_FILE]
        assert sorted(os.listdir(run)) == before
        other.close()
    finally:
        handle.close()


def test_files_get_the_umask_and_temporaries_are_cleaned(tmp_path):
    old = os.umask(0o022)
    try:
        store.write_text(str(tmp_path / "a.txt"), "x")
        assert stat.S_IMODE(os.stat(tmp_path / "a.txt").st_mode) == 0o644
        os.umask(0o002)
        store.write_json(str(tmp_path / "plots" / "b.json"), {})
        assert stat.S_IMODE(os.stat(tmp_path / "plots" / "b.json").st_mode) == 0o664
    finally:
        os.umask(old)
    (tmp_path / "plots" / ".tmp-abc.png").write_bytes(b"half")
    (tmp_path / "state.json.tmp").write_text("{")
    removed = store.remove_temporaries(str(tmp_path))
    assert sorted(os.path.basename(p) for p in removed) == [
        ".tmp-abc.png",
        "state.json.tmp",
    ]
    assert sorted(os.listdir(tmp_path / "plots")) == ["b.json"]


@pytest.mark.slow
def test_two_runs_at_once_on_one_folder(tmp_path, churn_csv):
    """Two ``kreg tune`` started together on one folder: one runs, the other
    stops at once naming it; after a ``kill -9`` its lock is taken over."""
    out = tmp_path / "run"
    argv = [sys.executable, "-m", "kreg", "tune", str(churn_csv), "--out", str(out)]
    argv += ["--trials", "50", "--epochs", "50", "--cv", "2"]  # runs for long
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    runs = [
        subprocess.Popen(
            argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, text=True
        )
        for _ in range(2)
    ]
    try:
        deadline = time.monotonic() + 240
        while all(run.poll() is None for run in runs):
            assert time.monotonic() < deadline, "neither run stopped"
            time.sleep(0.2)
        [loser] = [run for run in runs if run.poll() is not None]
        [winner] = [run for run in runs if run is not loser]
        err = loser.communicate()[1]
        assert winner.poll() is None  # still running: the folder was in use
    finally:
        for run in runs:
            run.kill()
            run.wait()
            run.stderr.close()
    assert loser.returncode == 2, err
    lines = [line for line in err.splitlines() if line.startswith("kreg")]
    assert len(lines) == 1 and "Traceback" not in err, err
    assert f"process {winner.pid} holds its lock" in lines[0]
    assert f"Received: out='{out}'" in lines[0]
    assert _holder(out) == str(winner.pid)
    # Killed with -9, its lock went with it: the next command takes it.
    with RunLock(str(out), "kreg tune"):
        assert _holder(out) == str(os.getpid())


def _holder(folder) -> str:
    try:
        return (folder / LOCK_FILE).read_text().strip()
    except OSError:
        return ""

"""kill -9 in the middle of a trial, then resume: nothing runs twice."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

SCRIPT = os.path.join(os.path.dirname(__file__), "resumable_search.py")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))


def _run(directory, log):
    env = dict(os.environ, PYTHONPATH=ROOT)
    with open(f"{log}.err", "w") as err:
        return subprocess.Popen(
            [sys.executable, SCRIPT, str(directory), str(log)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )


def _read(path):
    if not os.path.exists(path):
        return ""
    with open(path) as f:
        return f.read()


def _lines(log):
    return _read(log).split()


@pytest.mark.slow
def test_kill_minus_nine_then_resume(tmp_path):
    log = tmp_path / "first.log"
    process = _run(tmp_path, log)
    # Trial 0: 2 folds x 4 epochs; trial 1 fold 0: 4 epochs; then kill while
    # trial 1's second fold is in its third epoch (index 2).
    target = 2 * 4 + 4 + 3
    deadline = time.monotonic() + 240
    while _lines(log).count("epoch") < target:
        assert process.poll() is None, _read(f"{log}.err")[-3000:]
        assert time.monotonic() < deadline, "the search did not get going"
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    first = _read(log).splitlines()
    assert first[-1] == "epoch 2" and first.count("fit") == 4
    trial0 = tmp_path / "p" / "trial_0" / "cv.json"
    stamp = os.stat(trial0).st_mtime_ns

    log2 = tmp_path / "second.log"
    resumed = _run(tmp_path, log2)
    assert resumed.wait(timeout=240) == 0, _read(f"{log2}.err")[-3000:]
    second = _read(log2).splitlines()
    # One fit, resuming at the epoch that was in progress; nothing else ran.
    assert second == ["fit", "epoch 2", "epoch 3"]
    assert os.stat(trial0).st_mtime_ns == stamp
    for trial in ("0", "1"):
        with open(tmp_path / "p" / f"trial_{trial}" / "trial.json") as f:
            assert json.load(f)["status"] == "COMPLETED"
    with open(tmp_path / "p" / "trial_1" / "fold_1.json") as f:
        assert len(json.load(f)["history"]) == 4
    with open(tmp_path / "p" / "oracle.json") as f:
        assert json.load(f)["end_order"] == ["0", "1"]


def test_fold_checkpoint_restores_weights_and_optimizer_state(tmp_path):
    import keras
    import numpy as np

    from kreg.tuning.tuner.fold_checkpoint import _FoldCheckpoint

    def build():
        keras.utils.set_random_seed(0)
        model = keras.Sequential(
            [keras.Input((3,)), keras.layers.Dropout(0.2), keras.layers.Dense(2)]
        )
        model.compile(keras.optimizers.Adam(1e-2), "mse")
        return model

    x = np.random.default_rng(0).normal(size=(32, 3)).astype("float32")
    model = build()
    checkpoint = _FoldCheckpoint(str(tmp_path / "state"), "key", None)
    checkpoint.restore_weights(model)  # nothing saved yet: starts at epoch 0
    model.fit(x, x[:, :2], epochs=3, verbose=0, callbacks=[checkpoint])

    fresh = build()
    resumed = _FoldCheckpoint(str(tmp_path / "state"), "key", None)
    assert resumed.restore_weights(fresh) == 3
    for a, b in zip(fresh.variables, model.variables):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    saved = [np.asarray(v) for v in model.optimizer.variables]
    assert int(saved[0]) == 3  # Adam's iteration count came back too
    for a, b in zip(fresh.optimizer.variables, saved):
        np.testing.assert_array_equal(np.asarray(a), b)
    # Another key (other hyperparameters or data) starts afresh.
    assert (
        _FoldCheckpoint(str(tmp_path / "state"), "other", None).restore_weights(build())
        == 0
    )

"""Distributed tuning on one machine: a chief (the oracle) and N workers.

Uses KerasTuner's own chief/worker mode: every process runs the same search
with ``KERASTUNER_TUNER_ID`` ("chief" or "tuner<i>"), ``KERASTUNER_ORACLE_IP``
and ``KERASTUNER_ORACLE_PORT`` set. The chief only serves the oracle over
gRPC; the workers ask it for trials and cross-validate them.

Security: KerasTuner's gRPC channel has no authentication and no encryption.
Anyone who can reach the port can read the search and feed it results. This
script binds the chief to 127.0.0.1 unless you pass ``--host``; across
machines, use a private network or an SSH tunnel, never a public address.

    python tuning/distributed.py --workers 2 --trials 6
    python tuning/distributed.py --role worker --tuner-id tuner0 ...  # (internal)
"""

import argparse
import os
import signal
import socket
import subprocess
import sys
import time


def free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def search(args) -> None:
    """The search every process runs (the chief serves, workers train)."""
    import keras
    from sklearn.datasets import load_diabetes
    from sklearn.preprocessing import StandardScaler

    import kreg

    x, y = load_diabetes(return_X_y=True)
    x = StandardScaler().fit_transform(x).astype("float32")
    y = ((y - y.mean()) / y.std()).astype("float32")
    if args.samples:
        x, y = x[: args.samples], y[: args.samples]

    class LogFits(keras.callbacks.Callback):
        """Appends this process's tuner id to a file at every fit."""

        def on_train_begin(self, logs=None):
            with open(args.log, "a") as f:
                f.write(f"{os.environ['KERASTUNER_TUNER_ID']}\n")

    def build(regularizer, dropout_rate):
        return keras.Sequential(
            [
                keras.Input((x.shape[1],)),
                keras.layers.Dense(16, "relu", kernel_regularizer=regularizer),
                keras.layers.Dropout(dropout_rate),
                keras.layers.Dense(1),
            ]
        )

    tuner = kreg.tuning.Tuner(
        build,
        loss="mse",
        optimizer=keras.optimizers.Adam(1e-2),
        cv=args.cv,
        max_trials=args.trials,
        seed=args.seed,
        directory=args.directory,
        project_name=args.project,
        overwrite=False,
        worker_timeout=args.worker_timeout,
    )
    callbacks = [LogFits()] if args.log else []
    tuner.search(x, y, epochs=args.epochs, batch_size=32, callbacks=callbacks)
    if os.environ["KERASTUNER_TUNER_ID"] == "chief":
        best = tuner.best_trial("min")
        print(
            f"chief: {len(tuner.oracle.trials)} trials, best {best.trial_id} "
            f"val_data_loss={best.score:.4f}"
        )


def launch(args) -> int:
    """Starts the chief and the workers; waits for all; returns an exit code."""
    port = args.port or free_port(args.host)
    env = dict(
        os.environ, KERASTUNER_ORACLE_IP=args.host, KERASTUNER_ORACLE_PORT=str(port)
    )
    common = [
        sys.executable,
        os.path.abspath(__file__),
        "--role",
        "process",
        "--trials",
        str(args.trials),
        "--cv",
        str(args.cv),
        "--epochs",
        str(args.epochs),
        "--seed",
        str(args.seed),
        "--directory",
        args.directory,
        "--project",
        args.project,
        "--samples",
        str(args.samples),
        "--worker-timeout",
        str(args.worker_timeout),
    ]
    if args.log:
        common += ["--log", args.log]
    if os.path.exists(os.path.join(args.directory, args.project)) and args.overwrite:
        import shutil

        shutil.rmtree(os.path.join(args.directory, args.project))
    processes = {}
    deadline = time.monotonic() + args.timeout
    try:
        # Each process leads its own process group, so that a stop takes
        # whatever it started with it.
        processes["chief"] = _start(common, dict(env, KERASTUNER_TUNER_ID="chief"))
        time.sleep(1.0)
        for i in range(args.workers):
            name = f"tuner{i}"
            processes[name] = _start(common, dict(env, KERASTUNER_TUNER_ID=name))
        while any(p.poll() is None for p in processes.values()):
            if time.monotonic() > deadline:
                print(
                    f"distributed: error: still running after --timeout "
                    f"{args.timeout:g} s; stopped the chief and the workers",
                    file=sys.stderr,
                )
                return 124
            time.sleep(0.2)
    finally:
        _stop(processes.values())
    for name, process in processes.items():
        if name != "chief" and process.returncode != 0:
            # The chief hands a dead worker's trial to another worker.
            print(
                f"distributed: worker {name} exited with {process.returncode}",
                file=sys.stderr,
            )
    return abs(processes["chief"].returncode)


def _start(command, env) -> subprocess.Popen:
    return subprocess.Popen(command, env=env, start_new_session=True)


def _stop(processes, grace: float = 5.0) -> None:
    """Terminates every process group still alive, then kills what is left."""
    alive = [p for p in processes if p.poll() is None]
    for process in alive:
        _signal_group(process, signal.SIGTERM)
    end = time.monotonic() + grace
    for process in alive:
        try:
            process.wait(timeout=max(0.0, end - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
    for process in processes:
        # Also the groups of processes that exited: a child may outlive them.
        _signal_group(process, signal.SIGKILL)
        if process.poll() is None:
            process.wait()


def _signal_group(process, sig) -> None:
    try:
        os.killpg(process.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address the chief binds (default loopback; gRPC has no auth)",
    )
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--trials", type=int, default=6)
    parser.add_argument("--cv", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--samples", type=int, default=0, help="0 uses all")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--directory", default="tuning_runs")
    parser.add_argument("--project", default="distributed")
    parser.add_argument("--overwrite", action="store_true")
    parser.add_argument(
        "--timeout",
        type=float,
        default=3600,
        help="seconds before the launcher stops every process (exit 124)",
    )
    parser.add_argument(
        "--worker-timeout",
        type=float,
        default=60.0,
        help="seconds of silence after which the chief drops a worker",
    )
    parser.add_argument(
        "--log", default="", help="file each fit appends its tuner id to"
    )
    parser.add_argument("--role", default="launch", choices=["launch", "process"])
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.role == "process":
        search(args)
        return 0
    # SIGTERM (a CI timeout, kill) goes through launch's cleanup as well.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        return launch(args)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())

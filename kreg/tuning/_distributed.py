"""KerasTuner's chief/worker mode, made to survive a worker that dies.

KerasTuner's chief knows a worker only by its requests: a worker killed in
the middle of a trial leaves that trial RUNNING and its id among the chief's
tuners forever, so the chief never exits. Here each worker sends a heartbeat
(a ``GetTrial`` of its running trial) every ``worker_timeout / 4`` seconds,
and the chief notes when it last heard from each worker. A worker silent for
``worker_timeout`` seconds is dropped: its trial goes back to the queue for
another worker (the trial's folds resume from their checkpoints when the
project folder is shared), or, if no worker is left or the trial already
lost a worker once, it is marked FAILED with a message. The chief then exits
as soon as no worker and no trial remain.
"""

import os
import threading
import time
from concurrent import futures

import grpc
from keras_tuner.engine.trial import Trial, TrialStatus

from kreg import _compat

#: Times a trial is handed to another worker after its worker died; one more
#: death and it is marked FAILED (a trial that kills its workers, by running
#: out of memory say, must not kill them all).
REASSIGNMENTS = 1

#: How long the chief holds a waiting worker's request before it asks again.
HOLD_SECONDS = 0.2


def serve(oracle, worker_timeout: float) -> None:
    """Serves ``oracle`` to the workers until the search is over.

    KerasTuner's own loop polls every 20 s; this one every 0.2 s, and it
    drops workers silent for ``worker_timeout`` seconds.
    """
    address = (
        f"{os.environ['KERASTUNER_ORACLE_IP']}:{os.environ['KERASTUNER_ORACLE_PORT']}"
    )
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=1))
    servicer = _servicer_class()(oracle)
    service = _compat.oracle_protos().get_service_grpc()
    service.add_OracleServicer_to_server(servicer, server)
    server.add_insecure_port(address)
    server.start()
    try:
        while not servicer.finished():
            time.sleep(0.2)
            servicer.drop_silent_workers(worker_timeout)
    finally:
        server.stop(grace=1)


def _servicer_class():
    class Servicer(_compat.oracle_servicer()):
        """KerasTuner's servicer that notes when each worker was last heard."""

        def __init__(self, oracle):
            super().__init__(oracle)
            self.lock = threading.Lock()
            self.last_seen: dict[str, float] = {}
            self.reassigned: dict[str, int] = {}
            self.dropped: set[str] = set()
            # trial id -> the worker it was last handed to.
            self.runner: dict[str, str] = {}

        def _seen_trial(self, trial_id: str) -> None:
            tuner_id = self.runner.get(trial_id)
            if tuner_id is not None:
                self.last_seen[tuner_id] = time.monotonic()

        def CreateTrial(self, request, context):
            with self.lock:
                self.last_seen[request.tuner_id] = time.monotonic()
                self.dropped.discard(request.tuner_id)
                if self._hold(request.tuner_id):
                    response = None
                else:
                    response = super().CreateTrial(request, context)
                    self.runner[response.trial.trial_id] = request.tuner_id
                    return response
            # Out of the lock: the other workers' heartbeats go on meanwhile.
            time.sleep(HOLD_SECONDS)
            trial = Trial(self.oracle.get_space(), status=TrialStatus.IDLE)
            protos = _compat.oracle_protos()
            return protos.get_service().CreateTrialResponse(trial=trial.to_proto())

        def _hold(self, tuner_id: str) -> bool:
            """Whether to keep a worker waiting instead of stopping it.

            Once every trial is handed out, KerasTuner stops each worker that
            asks for more. While another worker's trial still runs, a
            waiting worker is kept (an IDLE answer, asked again) so that it
            can take over that trial if its worker dies.
            """
            oracle = self.oracle
            full = oracle.max_trials and len(oracle.trials) >= oracle.max_trials
            others = [t for t in oracle.ongoing_trials if t != tuner_id]
            return bool(full and others and not _compat.retry_queue(oracle))

        def UpdateTrial(self, request, context):
            with self.lock:
                self._seen_trial(request.trial_id)
                return super().UpdateTrial(request, context)

        def EndTrial(self, request, context):
            with self.lock:
                trial_id = request.trial.trial_id
                self._seen_trial(trial_id)
                if trial_id in self.oracle.end_order:
                    # Ended already: by a worker taken for dead that came
                    # back, or by the one it was handed to. First result wins.
                    return _compat.oracle_protos().get_service().EndTrialResponse()
                if trial_id in _compat.retry_queue(self.oracle):
                    # Its worker was only slow: keep its result.
                    _compat.retry_queue(self.oracle).remove(trial_id)
                return super().EndTrial(request, context)

        def GetTrial(self, request, context):
            with self.lock:
                self._seen_trial(request.trial_id)
                return super().GetTrial(request, context)

        def finished(self) -> bool:
            with self.lock:
                oracle = self.oracle
                idle = not oracle.ongoing_trials and not oracle.tuner_ids
                # Every worker stopped (STOPPED sent), or every worker died.
                return idle and (self.stop_triggered or bool(self.dropped))

        def drop_silent_workers(self, timeout: float) -> None:
            with self.lock:
                now = time.monotonic()
                for tuner_id in list(self.oracle.tuner_ids):
                    seen = self.last_seen.get(tuner_id, now)
                    if now - seen > timeout:
                        self._drop(tuner_id, now - seen)

        def _drop(self, tuner_id: str, silence: float) -> None:
            oracle = self.oracle
            oracle.tuner_ids.discard(tuner_id)
            self.last_seen.pop(tuner_id, None)
            self.dropped.add(tuner_id)
            trial = oracle.ongoing_trials.pop(tuner_id, None)
            if trial is None:
                print(f"chief: worker {tuner_id} silent for {silence:.0f} s, dropped")
                return
            count = self.reassigned.get(trial.trial_id, 0)
            if oracle.tuner_ids and count < REASSIGNMENTS:
                self.reassigned[trial.trial_id] = count + 1
                # create_trial hands out the retry queue first.
                _compat.retry_queue(oracle).append(trial.trial_id)
                oracle.save()
                print(
                    f"chief: worker {tuner_id} silent for {silence:.0f} s; trial "
                    f"{trial.trial_id} goes to another worker"
                )
                return
            trial.status = TrialStatus.FAILED
            trial.message = (
                f"Worker {tuner_id} stopped answering (silent for {silence:.0f} s) "
                f"while running trial {trial.trial_id}"
                + ("" if oracle.tuner_ids else ", and no other worker is left")
                + "."
            )
            # end_trial looks the trial up among the ongoing ones to pop it.
            oracle.ongoing_trials[tuner_id] = trial
            oracle.end_trial(trial)
            print(f"chief: {trial.message} It is marked FAILED.")

    return Servicer


class Heartbeat:
    """A worker's thread that tells the chief it is alive while a trial runs."""

    def __init__(self, oracle, interval: float):
        self.oracle = oracle
        self.interval = interval
        self.trial_id: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name="kreg-heartbeat", daemon=True
        )

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=self.interval + 1)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            trial_id = self.trial_id
            if trial_id is None:
                continue
            try:
                self.oracle.get_trial(trial_id)
            except Exception:  # noqa: BLE001 - the chief may be gone; the search says so
                pass

"""The nemesis: applies a fault schedule (schedule.py) to the throwaway cluster, the worker
and the Stripe proxy at the scheduled times, and notes when each fault began and ended and
how soon PostgREST and the worker were back: figures for the report, never judged against a
time limit (tests never assert on time). A generous hang guard, BACK_TIMEOUT, stops the wait
for one that never comes back; it is then recorded as not back (None), a violation
(checks.not_back)."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from dataclasses import dataclass
from types import TracebackType

from tests.chaos.nemesis.schedule import PG_RESTART, STRIPE_OUTAGE, WORKER_KILL, Fault
from tests.helpers.api import answers
from tests.helpers.stripe_proxy import StripeProxy
from tests.helpers.throwaway import Throwaway
from tests.helpers.waiting import until
from tests.helpers.worker_proc import WorkerProcess

# how long the nemesis waits for PostgREST or the worker to come back before calling it gone:
# a hang guard (a loaded 2-core machine takes seconds to start a Python process), not a limit
BACK_TIMEOUT = 120.0

WORKER_ARGS = (
    "--import",
    "worker.tasks",
    "--sweep-interval",
    "1",
    "--poll",
    "1",
    # retries compressed from the production 2 s..300 s so the run fits CI; 20 attempts keep
    # the retry window (>= 15 s) longer than a Stripe outage plus a database restart, as the
    # production window (>= 2 min) is
    "--retry-base",
    "0.2",
    "--retry-cap",
    "2",
    "--max-attempts",
    "20",
    # messages in hand when the worker dies or loses the database reappear after the vt:
    # 10 s (production 60 s) so the queue drains within the CI budget; the heartbeat extends
    # it every vt/3 for handlers that run longer
    "--vt",
    "10",
    # localstripe sends each webhook once (Stripe retries for 3 days): the ones lost while the
    # database was down are the reconciliation's to repair, which production runs every 600 s
    # (WORKER_RECONCILE_SECONDS)
    "--reconcile-interval",
    "3",
)


@dataclass
class Applied:
    """A fault as it happened."""

    fault: Fault
    started: float = 0.0  # monotonic
    ended: float = 0.0  # monotonic: the database (or Stripe) is back
    # seconds after `ended` until PostgREST answered a database call / the worker was connected
    # again; None: not back within BACK_TIMEOUT (or not measured, for a Stripe outage)
    api_back: float | None = None
    worker_back: float | None = None

    @property
    def kind(self) -> str:
        return self.fault.kind


class Nemesis:
    """Holds the worker (started on entry, every incarnation killed on exit) and applies the
    faults to it, to the cluster and to the Stripe proxy."""

    def __init__(self, throwaway: Throwaway, api_url: str, stripe_proxy: StripeProxy) -> None:
        self.throwaway = throwaway
        self.api_url = api_url
        self.stripe_proxy = stripe_proxy
        self.workers: list[WorkerProcess] = []

    @property
    def worker(self) -> WorkerProcess:
        """The worker running now."""
        return self.workers[-1]

    def start_worker(self) -> WorkerProcess:
        proc = WorkerProcess(self.throwaway.worker_url(), *WORKER_ARGS)
        self.workers.append(proc)
        proc.wait_for("worker ready|idle", BACK_TIMEOUT)
        return proc

    def __enter__(self) -> Nemesis:
        self.start_worker()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for w in self.workers:
            if w.proc.poll() is None:
                w.kill()

    def apply(self, faults: list[Fault], t0: float) -> list[Applied]:
        """Every fault at ``t0`` + its time: the Stripe outages on a thread of their own, the
        others here, one after the other; returns once all are over."""
        applied = [Applied(f) for f in faults]
        stripe_thread = threading.Thread(
            target=self._stripe_outages,
            args=([a for a in applied if a.kind == STRIPE_OUTAGE], t0),
            name="stripe-nemesis",
        )
        stripe_thread.start()
        try:
            for a in applied:
                if a.kind != STRIPE_OUTAGE:
                    _sleep_until(t0 + a.fault.at)
                    self._apply(a)
        finally:
            stripe_thread.join(60)
        return applied

    def _apply(self, a: Applied) -> None:
        a.started = time.monotonic()
        if a.kind == WORKER_KILL:
            self.worker.kill()  # kill -9 in the middle of whatever it holds
            a.ended = time.monotonic()
            with contextlib.suppress(AssertionError):  # not back: worker_back stays None
                self.start_worker()
                a.worker_back = time.monotonic() - a.ended
            return
        readies = self.worker.count("worker ready")
        if a.kind == PG_RESTART:
            self.throwaway.cluster.restart("fast")
        else:
            pid = self.throwaway.cluster.postmaster_pid()
            assert pid is not None
            os.kill(pid, signal.SIGKILL)
            time.sleep(a.fault.length / 4)  # down a moment, as after a crash
            self.throwaway.start_after_crash(pid)
        a.ended = time.monotonic()
        # PostgREST and the worker must come back by themselves (None if not: checks.not_back)
        with contextlib.suppress(AssertionError):
            until(lambda: answers(self.api_url), BACK_TIMEOUT, "PostgREST to answer again")
            a.api_back = time.monotonic() - a.ended
        w = self.worker
        with contextlib.suppress(AssertionError):
            until(
                lambda: w.count("worker ready") > readies, BACK_TIMEOUT, "the worker to reconnect"
            )
            a.worker_back = time.monotonic() - a.ended

    def _stripe_outages(self, todo: list[Applied], t0: float) -> None:
        for a in todo:
            _sleep_until(t0 + a.fault.at)
            a.started = time.monotonic()
            self.stripe_proxy.go_down()
            time.sleep(a.fault.length)  # the outage lasts this long
            self.stripe_proxy.come_back()
            a.ended = time.monotonic()


def _sleep_until(moment: float) -> None:
    """Until a scheduled moment (monotonic): the schedule, not an event, says when."""
    time.sleep(max(0.0, moment - time.monotonic()))

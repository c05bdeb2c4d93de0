"""One process's submission engine: its slots of the global schedule, one greenlet per due create.

A Locust user asks for the next slot, sleeps until it is due, and launches it; the create runs in its
own greenlet, so a slow API call never delays the next due submission. A per-process cap bounds the
creates in flight; hitting it is journaled, and the wait shows up as lateness. Latency is timed from
the due time, so nothing is hidden by coordinated omission. One Locust request event per job.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any

import gevent
from gevent.lock import BoundedSemaphore
from gevent.pool import Group

from benchkit import clock
from benchkit.kube.rest import ApiClient
from benchkit.load import create
from benchkit.load.schedule import Slot, mono_origin, slots
from benchkit.load.spec import LoadSpec
from benchkit.results import journal
from benchkit.spark import template

log = logging.getLogger("benchkit")
REQUEST_TYPE = "POST"
REQUEST_NAME = "SparkApplication"
FireRequest = Callable[..., Any]
POLL_S = 0.05


class CreateFailed(Exception):
    """What Locust records as the failure of a job (its message groups the failures table)."""


class Submitter:
    """Follows slots `process_index, process_index + processes, ...` of the global schedule from `t0_wall`."""

    def __init__(self, spec: LoadSpec, api: ApiClient, journal_: journal.Journal, fire: FireRequest, *,
                 process_index: int, processes: int, t0_wall: float,
                 on_first_cap: Callable[[int], None] | None = None) -> None:  # fmt: skip
        self.spec, self.api, self.journal, self.fire = spec, api, journal_, fire
        self.on_first_cap = on_first_cap
        """Called with the per-process cap the first time it is hit (the orchestrator says so on stderr)."""
        self.t0_mono = mono_origin(t0_wall, clock.wall(), clock.mono())
        self.tpl = template.Template(body=spec.template, source=spec.template_source)
        self._slots: Iterator[Slot] = slots(spec.profile, spec.total, process_index, processes)
        self._returned: deque[Slot] = deque()
        """Slots a user took but could not launch (it was stopped while sleeping): taken again first."""
        self.cap = spec.inflight_per_process()
        self._inflight = BoundedSemaphore(self.cap)
        self._creates = Group()
        self._capped = False
        self.cap_hits = 0
        self.taken = self.launched = self.ok = self.failed = 0
        self.exhausted = False
        self.stopping = False

    def next_slot(self) -> Slot | None:
        """The next slot of this process (shared by its users), or None when there is none left."""
        if self.stopping or self.exhausted:
            return None
        slot = self._returned.popleft() if self._returned else next(self._slots, None)
        if slot is None:
            self.exhausted = True
            return None
        self.taken += 1
        return slot

    def dispatch(self, slot: Slot) -> None:
        """Sleep until the slot is due, then launch it. A user killed meanwhile hands the slot back."""
        launched = False
        try:
            delay = self.t0_mono + slot.due_offset - clock.mono()
            if delay > 0:
                gevent.sleep(delay)
            if not self.stopping:
                self.launch(slot)
                launched = True
        finally:
            if not launched:
                self.taken -= 1
                if not self.stopping:  # Locust stopped this user (e.g. a rebalance): another user takes the slot
                    self._returned.appendleft(slot)
                    self.exhausted = False

    def launch(self, slot: Slot) -> None:
        """Start the slot's create in its own greenlet (after waiting for room under the in-flight cap)."""
        if not self._inflight.acquire(blocking=False):
            if not self._capped:
                self._capped = True
                self.cap_hits += 1
                self.journal.emit(journal.INFLIGHT_CAP, in_flight=self.cap, cap=self.cap)
                if self.cap_hits == 1 and self.on_first_cap is not None:
                    self.on_first_cap(self.cap)
            self._inflight.acquire()
        else:
            self._capped = False
        self.launched += 1
        self._creates.spawn(self._create, slot)

    def stop(self, reason: str = "stop requested") -> None:
        """Stop taking slots (Ctrl-C); creates in flight finish."""
        if not self.stopping and not self.exhausted:
            log.warning("benchkit: submitter stops with %d of its slots taken: %s", self.taken, reason)
        self.stopping = True
        self.exhausted = True

    def wait(self, timeout: float | None = None) -> bool:
        """Block until every slot of this process was launched and its create has finished."""
        deadline = None if timeout is None else clock.mono() + timeout
        while not (self.exhausted and self.launched == self.taken):
            if deadline is not None and clock.mono() > deadline:
                return False
            gevent.sleep(POLL_S)
        return bool(self._creates.join(timeout=None if deadline is None else max(0.0, deadline - clock.mono())))

    def _create(self, slot: Slot) -> None:
        try:
            ns = template.namespace_for(slot.seq, self.spec.namespaces)
            app = template.render(self.tpl, run_id=self.spec.run_id, scenario=self.spec.scenario, seq=slot.seq,
                                  namespace=ns, app_seconds=self.spec.app_seconds)  # fmt: skip
            name = app["metadata"]["name"]
            due = self.t0_mono + slot.due_offset
            self.journal.emit(journal.SUBMIT_SENT, app=name, ns=ns, seq=slot.seq, due_mono=due)
            out = create.create(self.api, app, seq=slot.seq, journal_=self.journal)
            self.journal.emit(journal.SUBMIT, app=name, ns=ns, seq=slot.seq, due_mono=due, sent_mono=out.sent_mono,
                              ack_mono=out.ack_mono, ok=out.ok, http_status=out.http_status, attempts=out.attempts,
                              error=out.error, uid=out.uid, creation_ts=out.creation_ts)  # fmt: skip
            if out.ok:
                self.ok += 1
            else:
                self.failed += 1
            self.fire(request_type=REQUEST_TYPE, name=REQUEST_NAME, response_time=(out.ack_mono - due) * 1000.0,
                      response_length=0, exception=None if out.ok else CreateFailed(_failure_key(out)),
                      context={"app": name, "namespace": ns, "attempts": out.attempts})  # fmt: skip
        finally:
            self._inflight.release()


def _failure_key(out: create.Outcome) -> str:
    """Short and stable, so Locust's failures table groups by cause: "HTTP 500", "HTTP 422", "transport"."""
    if out.http_status is not None:
        return f"HTTP {out.http_status}"
    return "transport error"

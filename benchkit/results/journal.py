"""The run journal: `events.jsonl`, one JSON object per line, appended as things happen.

Every writer (the orchestrator, each Locust process, the tracker) opens the same file with
O_APPEND and writes each event with a single `os.write` of one whole line, so lines from several
processes never interleave and a `kill -9` loses nothing already written (the page cache survives
the process). Summaries, `apps.csv`, reports and comparisons are all derived from this file.

Envelope, on every line:
    ev    event type (the constants below)
    wall  UTC wall clock, epoch seconds (float)
    mono  machine-wide monotonic clock, seconds (float); subtract these for durations
    src   writer: "orchestrator", "submit-<process index>", "tracker", "autoscaler", ...

Event types and their fields (all times in seconds; `*_mono` on the monotonic clock, `*_wall` and
server timestamps as epoch seconds or Kubernetes RFC 3339 strings as noted):

run_start     run_id, scenario ("delete"|"keep"), planned (int), target_per_min (float or null for ramps),
              namespaces (list), t0_mono, t0_wall: the schedule origin (submission k is due at t0 + k/rate);
              steps ([[start_s, per_min], ...]: the offered-rate profile, one step unless --ramp), ramp (str|null),
              users, processes, max_inflight
submit_sent   app, ns, seq, due_mono: written just before the first create attempt, so an app created by a
              process killed before it could journal the answer still appears in the results
submit        one per job, after its last attempt:
              app, ns, seq, due_mono, sent_mono (first attempt), ack_mono (last response),
              ok (bool), http_status (int|null), attempts (int), error (str|null),
              uid, creation_ts (server metadata.creationTimestamp, RFC 3339) when ok
submit_retry  app, ns, seq, attempt, http_status (int|null), reason, backoff_s
inflight_cap  in_flight, cap: the cap on concurrent creates was hit (the due create waits)
app           the tracker saw an app in a state for the first time:
              app, ns, state (spark.states; NEW for ""), rv, observed ("watch"|"list"|"inferred": a state
              the listed status proves was passed through while nobody watched, spark.states.implied),
              server: {creationTimestamp, lastSubmissionAttemptTime, terminationTime (RFC 3339|null),
                       submissionAttempts, executionAttempts, driverPod, errorMessage}
pod           the tracker saw a pod of the run in a phase for the first time:
              app, ns, pod, role ("driver"|"executor"), phase, node, rv, observed,
              server: {creationTimestamp, scheduled (PodScheduled lastTransitionTime), startTime,
                       containerStarted}
app_deleted   app, ns, by ("benchkit"|"server"): the app object is gone
watch         resource ("sparkapplications"|"pods"), what ("open"|"closed"|"error"|"gone"|"relist"),
              detail, rv
stage         name (e.g. "submitting", "submitted_all", "tracking_done", "cleanup"), detail (dict);
              tracking_done.detail: api_requests (tracker lists + watch opens), delete_requests, all_done;
              delete_failed.detail: app, ns, error (the delete scenario gave up on one app)
node_count    group, desired, ready, reason: a node-group size decision or observation (src "orchestrator"
              for --prescale; src "autoscaler" adds needed, active_pods, pending_pods, backlog_pods)
run_end       reason ("done"|"timeout"|"interrupted"|"error"|"budget"|"slo"), detail
cleanup       scenario, deleted (int), remaining (int)
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from benchkit import clock

EVENTS_FILE = "events.jsonl"

RUN_START = "run_start"
SUBMIT_SENT = "submit_sent"
SUBMIT = "submit"
SUBMIT_RETRY = "submit_retry"
INFLIGHT_CAP = "inflight_cap"
APP = "app"
POD = "pod"
APP_DELETED = "app_deleted"
WATCH = "watch"
STAGE = "stage"
NODE_COUNT = "node_count"
RUN_END = "run_end"
CLEANUP = "cleanup"


class Journal:
    """Appends events to `<run_dir>/events.jsonl`. Safe to use from several processes at once.

    >>> j = Journal(run_dir, src="tracker")
    >>> j.emit("watch", resource="pods", what="open", detail="", rv="12")
    """

    def __init__(self, run_dir: Path | str, src: str) -> None:
        self.path = Path(run_dir) / EVENTS_FILE
        self.src = src
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def emit(self, ev: str, *, wall: float | None = None, mono: float | None = None, **fields: Any) -> None:
        record = {"ev": ev, "wall": clock.wall() if wall is None else wall,
                  "mono": clock.mono() if mono is None else mono, "src": self.src, **fields}  # fmt: skip
        os.write(self._fd, orjson.dumps(record) + b"\n")

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read(run_dir: Path | str) -> Iterator[dict[str, Any]]:
    """Yield the journal's events in file order. A torn last line (a crash mid-write) is skipped."""
    path = Path(run_dir) / EVENTS_FILE
    with path.open("rb") as fh:
        for line in fh:
            if not line.endswith(b"\n"):
                return
            yield orjson.loads(line)

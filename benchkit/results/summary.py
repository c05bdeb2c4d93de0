"""`summary.json`: a run's figures, derived only from its journal (so `benchkit summarize` can rebuild it).

Latencies are exact quantiles (numpy, linear interpolation) over client-observed monotonic times;
docs/run.md defines every field.
"""

from __future__ import annotations

import math
import os
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from benchkit.clock import parse_k8s_time
from benchkit.results import journal, saturation
from benchkit.results.records import AppRecord, RunFacts, fold
from benchkit.spark import states

SUMMARY_FILE = "summary.json"
QUANTILES = (50, 90, 99)
STEADY_STATE = (0.1, 0.9)
"""operator.apps_per_min counts pick-ups between these fractions of all apps (drops warm-up and tail)."""


def build(events: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The summary of a run from its journal events (in file order)."""
    apps, facts = fold(events)
    records = list(apps.values())
    submitted = [r for r in records if r.ok is not None or r.sent is not None]
    return {
        "run_id": facts.start.get("run_id"),
        "scenario": facts.start.get("scenario"),
        "end": facts.end.get("reason", "incomplete"),
        "duration_s": _round(_duration(facts)),
        "jobs": _jobs(records, facts),
        "rate": _rate(submitted, facts),
        "latency_s": _latencies(records),
        "operator": {"apps_per_min": _round(_operator_rate(records))},
        "api": _api(submitted, facts),
        "tracking": _tracking(records, facts),
        "namespaces": _namespaces(records, facts),
        "saturation": saturation.analyse(records, facts),
        "cleanup": {k: facts.cleanup.get(k) for k in ("deleted", "remaining")} if facts.cleanup else None,
    }


def write(run_dir: Path | str) -> dict[str, Any]:
    """Rebuild `summary.json` from `events.jsonl` (atomically: a crash never leaves half a file)."""
    summary = build(journal.read(run_dir))
    path = Path(run_dir) / SUMMARY_FILE
    tmp = path.with_suffix(".json.tmp")
    tmp.write_bytes(orjson.dumps(summary, option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY) + b"\n")
    os.replace(tmp, path)
    return summary


def quantiles(values: Iterable[float | None]) -> dict[str, Any]:
    """{count, p50, p90, p99, max} in seconds (3 decimals); only count when there are no values."""
    data = np.asarray([v for v in values if v is not None and math.isfinite(v)], dtype=float)
    if data.size == 0:
        return {"count": 0}
    points = np.percentile(data, QUANTILES)
    out: dict[str, Any] = {"count": int(data.size)}
    out.update({f"p{q}": _round(float(p)) for q, p in zip(QUANTILES, points, strict=True)})
    out["max"] = _round(float(data.max()))
    return out


def _jobs(records: list[AppRecord], facts: RunFacts) -> dict[str, Any]:
    """submitted == created + create_failed + outcome_unknown (the last is 0 unless the run was killed)."""
    sent = [r for r in records if r.sent is not None or r.ok is not None]
    live = [r for r in records if r.ok or (r.ok is None and r.seen)]
    completed = sum(1 for r in live if states.COMPLETED in r.seen)
    failed = sum(1 for r in live if states.FAILED in r.seen and states.COMPLETED not in r.seen)
    planned = facts.start.get("planned")
    return {
        "planned": planned,
        "submitted": len(sent),
        "created": sum(1 for r in records if r.ok),
        "create_failed": sum(1 for r in records if r.ok is False),
        "outcome_unknown": sum(1 for r in sent if r.ok is None),
        "not_submitted": max(0, int(planned or 0) - len(sent)),
        "completed": completed,
        "failed": failed,
        "unfinished": len(live) - completed - failed,
        "seen_not_sent": sum(1 for r in records if r.ok is None and r.sent is None),
    }


def _rate(submitted: list[AppRecord], facts: RunFacts) -> dict[str, Any]:
    sends = sorted((r.sent, r.due) for r in submitted if r.sent is not None and r.due is not None)
    lateness = [s - d for s, d in sends]
    achieved = ratio = None
    if len(sends) >= 2 and sends[-1][0] > sends[0][0]:
        sent_span = sends[-1][0] - sends[0][0]
        achieved = 60.0 * (len(sends) - 1) / sent_span
        dues = sorted(d for _, d in sends)
        ratio = (dues[-1] - dues[0]) / sent_span  # planned span / actual span: 1.0 means on schedule
    late = quantiles(lateness)
    return {
        "target_per_min": facts.start.get("target_per_min"),
        "achieved_per_min": _round(achieved),
        "achieved_ratio": _round(ratio, 4),
        "max_lateness_s": late.get("max"),
        "lateness_p99_s": late.get("p99"),
    }


def _latencies(records: list[AppRecord]) -> dict[str, Any]:
    ok = [r for r in records if r.ok and r.ack is not None]

    def since_ack(state: str) -> list[float]:
        return [r.seen[state] - r.ack for r in ok if state in r.seen and r.ack is not None]

    return {
        "create_call": quantiles(r.ack - r.due for r in ok if r.due is not None and r.ack is not None),
        "create_call_from_send": quantiles(r.ack - r.sent for r in ok if r.sent is not None and r.ack is not None),
        "create_to_submitted": quantiles(since_ack(states.SUBMITTED)),
        "create_to_running": quantiles(since_ack(states.RUNNING)),
        "create_to_terminal": quantiles(r.terminal - r.ack for r in ok if r.terminal is not None and r.ack is not None),
        "submitted_to_running": quantiles(
            r.seen[states.RUNNING] - r.seen[states.SUBMITTED] for r in ok
            if states.RUNNING in r.seen and states.SUBMITTED in r.seen
        ),
        "status_lag": quantiles(
            r.seen[states.RUNNING] - r.driver_seen["Running"] for r in records
            if states.RUNNING in r.seen and "Running" in r.driver_seen
        ),
        "server_queue_wait": quantiles(
            _server_span(r, "creationTimestamp", "lastSubmissionAttemptTime") for r in records
        ),
    }  # fmt: skip


def _server_span(r: AppRecord, start_key: str, end_key: str) -> float | None:
    """Seconds between two server timestamps (1 s resolution on a real API server)."""
    start, end = parse_k8s_time(r.server.get(start_key)), parse_k8s_time(r.server.get(end_key))
    return None if start is None or end is None else end - start


OPERATOR_RATE_MIN_APPS = 10
OPERATOR_RATE_MIN_SPAN_S = 1.0
"""Below these (apps picked up; seconds between the 10th and 90th percentile pick-up) operator.apps_per_min
is null: 3 apps picked up within a millisecond once extrapolated to 630,334 apps/min."""


def _operator_rate(records: list[AppRecord]) -> float | None:
    """Apps the operator took to SUBMITTED (or beyond) per minute, in steady state; None on too small a sample."""
    times = sorted(t for r in records if (t := r.submitted_or_later) is not None)
    if len(times) < OPERATOR_RATE_MIN_APPS:
        return None
    lo, hi = int(STEADY_STATE[0] * (len(times) - 1)), math.ceil(STEADY_STATE[1] * (len(times) - 1))
    span = times[hi] - times[lo]
    return 60.0 * (hi - lo) / span if span >= OPERATOR_RATE_MIN_SPAN_S else None


def _api(submitted: list[AppRecord], facts: RunFacts) -> dict[str, Any]:
    statuses = Counter(str(r.http_status) for r in submitted if r.ok is not None)
    retry_reasons = Counter(str(e.get("http_status") or "transport") for e in facts.retries)
    return {
        "create_attempts": sum(r.attempts for r in submitted),
        "retries": len(facts.retries),
        "retries_by_cause": dict(sorted(retry_reasons.items())),
        "final_status": dict(sorted(statuses.items())),
        "inflight_cap_hits": facts.inflight_cap_hits,
    }


def _tracking(records: list[AppRecord], facts: RunFacts) -> dict[str, Any]:
    done = facts.stages.get("tracking_done", {}).get("detail") or {}
    tracked = sum(1 for r in records if r.seen)
    requests = done.get("api_requests")
    return {
        "apps_seen": tracked,
        "pods_seen": sum(len(r.executors) + (1 if r.driver_seen else 0) for r in records),
        "api_requests": requests,
        "api_requests_per_job": _round(requests / tracked, 4) if requests and tracked else None,
        "observed_by_list": sum(1 for r in records for how in r.observed.values() if how == "list"),
        "inferred": sum(1 for r in records for how in r.observed.values() if how == "inferred"),
        "watch_events": dict(sorted(facts.watch.items())),
        "deleted_by_benchkit": sum(1 for r in records if r.deleted_by == "benchkit"),
        "deleted_by_server": sum(1 for r in records if r.deleted_by == "server"),
    }


def _namespaces(records: list[AppRecord], facts: RunFacts) -> dict[str, Any]:
    out: dict[str, dict[str, int]] = {ns: {"submitted": 0, "created": 0, "completed": 0, "failed": 0}
                                      for ns in facts.start.get("namespaces") or []}  # fmt: skip
    for r in records:
        row = out.setdefault(r.ns, {"submitted": 0, "created": 0, "completed": 0, "failed": 0})
        row["submitted"] += r.ok is not None or r.sent is not None
        row["created"] += bool(r.ok)
        row["completed"] += states.COMPLETED in r.seen
        row["failed"] += states.FAILED in r.seen and states.COMPLETED not in r.seen
    return out


def _duration(facts: RunFacts) -> float | None:
    start = facts.start.get("mono", facts.first_mono)
    end = facts.end.get("mono", facts.last_mono)
    return None if start is None or end is None else end - start


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(float(value), digits)

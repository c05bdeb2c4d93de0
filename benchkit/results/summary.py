"""`summary.json`: a run's figures, derived only from its journal (so `benchkit summarize` can rebuild it).

The figures are typed (results.schema); latencies come from the one definition of each phase
(results.phases) and the one percentile set (results.stats). docs/run.md defines every field.
"""

from __future__ import annotations

import math
import os
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import orjson

from benchkit.results import journal, phases, saturation
from benchkit.results.records import AppRecord, RunFacts, fold
from benchkit.results.schema import (
    SCHEMA,
    Api,
    Cleanup,
    Jobs,
    NamespaceCounts,
    Operator,
    Rate,
    Summary,
    Tracking,
)
from benchkit.results.stats import quantiles
from benchkit.spark import states

SUMMARY_FILE = "summary.json"
STEADY_STATE = (0.1, 0.9)
"""operator.apps_per_min counts pick-ups between these fractions of all apps (drops warm-up and tail)."""


def build(events: Iterable[dict[str, Any]]) -> Summary:
    """The summary of a run from its journal events (in file order)."""
    apps, facts = fold(events)
    return from_records(list(apps.values()), facts)


def from_records(records: list[AppRecord], facts: RunFacts) -> Summary:
    """The summary from the journal already folded (results.records.fold)."""
    submitted = [r for r in records if r.ok is not None or r.sent is not None]
    jobs = _jobs(records, facts)
    return Summary(
        schema=SCHEMA,
        run_id=facts.start.get("run_id"),
        scenario=facts.start.get("scenario"),
        end=facts.end.get("reason", "incomplete"),
        duration_s=_round(_duration(facts)),
        jobs=jobs,
        rate=_rate(submitted, jobs, facts),
        latency_s=phases.summarise(records),
        operator=Operator(_round(_operator_rate(records))),
        api=_api(submitted, facts),
        tracking=_tracking(records, facts),
        namespaces=_namespaces(records, facts),
        saturation=saturation.analyse(records, facts),
        cleanup=Cleanup(facts.cleanup.get("deleted"), facts.cleanup.get("remaining")) if facts.cleanup else None,
    )


def write(run_dir: Path | str) -> Summary:
    """Rebuild `summary.json` from `events.jsonl` (atomically: a crash never leaves half a file)."""
    summary = build(journal.read(run_dir))
    path = Path(run_dir) / SUMMARY_FILE
    tmp = path.with_suffix(".json.tmp")
    tmp.write_bytes(orjson.dumps(summary.to_dict(), option=orjson.OPT_INDENT_2) + b"\n")
    os.replace(tmp, path)
    return summary


def _jobs(records: list[AppRecord], facts: RunFacts) -> Jobs:
    sent = [r for r in records if r.sent is not None or r.ok is not None]
    live = [r for r in records if r.ok or (r.ok is None and r.seen)]
    completed = sum(1 for r in live if states.COMPLETED in r.seen)
    failed = sum(1 for r in live if states.FAILED in r.seen and states.COMPLETED not in r.seen)
    planned = facts.start.get("planned")
    return Jobs(
        planned=planned,
        submitted=len(sent),
        created=sum(1 for r in records if r.ok),
        create_failed=sum(1 for r in records if r.ok is False),
        outcome_unknown=sum(1 for r in sent if r.ok is None),
        not_submitted=max(0, int(planned or 0) - len(sent)),
        completed=completed,
        failed=failed,
        unfinished=len(live) - completed - failed,
        seen_not_sent=sum(1 for r in records if r.ok is None and r.sent is None),
    )


def _rate(submitted: list[AppRecord], jobs: Jobs, facts: RunFacts) -> Rate:
    """Offered (the schedule), sent (the sends) and achieved (the acknowledged creates), per minute.

    Achieved is the send rate times the share of submitted jobs the API server acknowledged: a run whose
    sends kept to the schedule but whose creates mostly failed achieves a small part of what it offered,
    however its few successes were spread over time.
    """
    sends = sorted((r.sent, r.due) for r in submitted if r.sent is not None and r.due is not None)
    lateness = [s - d for s, d in sends]
    offered = sent = achieved = sent_ratio = achieved_ratio = None
    dues = sorted(d for _, d in sends)
    if len(sends) >= 2 and dues[-1] > dues[0]:
        offered = 60.0 * (len(sends) - 1) / (dues[-1] - dues[0])
    if len(sends) >= 2 and sends[-1][0] > sends[0][0]:
        sent = 60.0 * (len(sends) - 1) / (sends[-1][0] - sends[0][0])
        achieved = sent * jobs.created / jobs.submitted if jobs.submitted else None
    if offered and sent is not None:
        sent_ratio = sent / offered  # planned span / actual span of the sends: 1.0 means on schedule
        achieved_ratio = achieved / offered if achieved is not None else None
    late = quantiles(lateness)
    return Rate(
        target_per_min=facts.start.get("target_per_min"),
        offered_per_min=_round(offered),
        sent_per_min=_round(sent),
        achieved_per_min=_round(achieved),
        sent_ratio=_round(sent_ratio, 4),
        achieved_ratio=_round(achieved_ratio, 4),
        max_lateness_s=late.max,
        lateness_p99_s=late.p99,
    )


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


def _api(submitted: list[AppRecord], facts: RunFacts) -> Api:
    statuses = Counter(str(r.http_status) for r in submitted if r.ok is not None)
    retry_reasons = Counter(str(e.get("http_status") or "transport") for e in facts.retries)
    return Api(
        create_attempts=sum(r.attempts for r in submitted),
        retries=len(facts.retries),
        retries_by_cause=dict(sorted(retry_reasons.items())),
        final_status=dict(sorted(statuses.items())),
        inflight_cap_hits=facts.inflight_cap_hits,
    )


def _tracking(records: list[AppRecord], facts: RunFacts) -> Tracking:
    done = facts.stages.get("tracking_done", {}).get("detail") or {}
    tracked = sum(1 for r in records if r.seen)
    requests = done.get("api_requests")
    return Tracking(
        apps_seen=tracked,
        pods_seen=sum(len(r.executors) + (1 if r.driver_seen else 0) for r in records),
        api_requests=requests,
        api_requests_per_job=_round(requests / tracked, 4) if requests and tracked else None,
        observed_by_list=sum(1 for r in records for how in r.observed.values() if how == "list"),
        inferred=sum(1 for r in records for how in r.observed.values() if how == "inferred"),
        watch_events=dict(sorted(facts.watch.items())),
        deleted_by_benchkit=sum(1 for r in records if r.deleted_by == "benchkit"),
        deleted_by_server=sum(1 for r in records if r.deleted_by == "server"),
    )


def _namespaces(records: list[AppRecord], facts: RunFacts) -> dict[str, NamespaceCounts]:
    out = {ns: NamespaceCounts() for ns in facts.start.get("namespaces") or []}
    for r in records:
        row = out.setdefault(r.ns, NamespaceCounts())
        row.submitted += r.ok is not None or r.sent is not None
        row.created += bool(r.ok)
        row.completed += states.COMPLETED in r.seen
        row.failed += states.FAILED in r.seen and states.COMPLETED not in r.seen
    return out


def _duration(facts: RunFacts) -> float | None:
    start = facts.start.get("mono", facts.first_mono)
    end = facts.end.get("mono", facts.last_mono)
    return None if start is None or end is None else end - start


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(float(value), digits)

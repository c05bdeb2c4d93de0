"""summary.json and apps.csv from synthetic journals: exact counts, rates, quantiles, saturation."""

from __future__ import annotations

import csv
import io
import json
import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from rich.console import Console

from benchkit.orchestrate import table
from benchkit.report import compare
from benchkit.results import apps, journal, phases, records, summary
from benchkit.results.stats import PERCENTILES, STATS
from benchkit.settings import slo

T0 = 1000.0


class Fake:
    """Writes a synthetic journal with explicit monotonic times."""

    def __init__(self, run_dir: Path) -> None:
        self.j = journal.Journal(run_dir, src="test")

    def ev(self, kind: str, mono: float, **fields: Any) -> None:
        self.j.emit(kind, mono=mono, wall=mono + 1.7e9, **fields)

    def submit(
        self, seq: int, due: float, sent: float, ack: float, *, ok: bool = True, ns: str = "a", **kw: Any
    ) -> str:
        name = f"app-{seq}"
        self.ev(journal.SUBMIT, ack, app=name, ns=ns, seq=seq, due_mono=due, sent_mono=sent, ack_mono=ack, ok=ok,
                http_status=201 if ok else 500, attempts=kw.get("attempts", 1), error=None if ok else "boom",
                uid=f"u{seq}" if ok else None, creation_ts="2026-11-21T10:00:00Z" if ok else None)  # fmt: skip
        return name

    def state(self, name: str, state: str, mono: float, ns: str = "a", observed: str = "watch", **server: Any) -> None:
        self.ev(journal.APP, mono, app=name, ns=ns, state=state, rv="1", observed=observed, server=server)

    def pod(self, app: str, pod: str, role: str, phase: str, mono: float, **server: Any) -> None:
        self.ev(journal.POD, mono, app=app, ns="a", pod=pod, role=role, phase=phase, node="n1", rv="1",
                observed="watch", server=server)  # fmt: skip


def _start(f: Fake, planned: int, per_min: float | None, steps: list[list[float]] | None = None) -> None:
    f.ev(journal.RUN_START, T0, run_id="r1", scenario="delete", planned=planned, target_per_min=per_min,
         namespaces=["a", "b"], t0_mono=T0, t0_wall=T0 + 1.7e9, steps=steps or [[0.0, per_min]])  # fmt: skip


def test_counts_rates_and_latencies_are_exact(tmp_path: Path) -> None:
    f = Fake(tmp_path)
    _start(f, planned=12, per_min=60.0)  # one per second
    for k in range(10):
        due = T0 + k
        ok = k != 3
        name = f.submit(k, due, due + 0.01 * k, due + 0.1 + 0.01 * k, ok=ok, attempts=3 if k == 3 else 1)
        if not ok:
            continue
        f.state(name, "NEW", due + 0.2)
        f.state(name, "SUBMITTED", due + 1.1 + 0.01 * k)
        f.pod(name, f"{name}-driver", "driver", "Pending", due + 1.2)
        f.pod(name, f"{name}-driver", "driver", "Running", due + 2.0, startTime="2026-11-21T10:00:02Z")
        f.state(name, "RUNNING", due + 2.5)
        for e in range(2):
            f.pod(name, f"{name}-exec-{e}", "executor", "Running", due + 2.6)
        if k != 9:
            f.state(name, "COMPLETED" if k % 2 else "FAILED", due + 5.0 + 0.01 * k)
    f.ev(journal.SUBMIT_RETRY, T0 + 3.5, app="app-3", attempt=1, http_status=500, reason="server error", backoff_s=0.2)
    f.ev(journal.RUN_END, T0 + 20, reason="done", detail={})
    f.j.close()
    s = summary.write(tmp_path).to_dict()
    assert json.loads((tmp_path / "summary.json").read_text()) == s  # what is written is the typed summary
    assert s["schema"] == 2
    assert s["jobs"] == {
        "planned": 12, "submitted": 10, "created": 9, "create_failed": 1, "outcome_unknown": 0,
        "not_submitted": 2, "completed": 3, "failed": 5, "unfinished": 1, "seen_not_sent": 0,
    }  # fmt: skip
    # sends drift by 10 ms per job: 9 intervals in 9.09 s; 9 of the 10 jobs sent were acknowledged
    assert s["rate"]["offered_per_min"] == pytest.approx(60.0)
    assert s["rate"]["sent_per_min"] == pytest.approx(60 * 9 / 9.09, abs=1e-3)
    assert s["rate"]["sent_ratio"] == pytest.approx(9 / 9.09, abs=1e-4)
    assert s["rate"]["achieved_per_min"] == pytest.approx(60 * 9 / 9.09 * 9 / 10, abs=1e-3)
    assert s["rate"]["achieved_ratio"] == pytest.approx(9 / 9.09 * 9 / 10, abs=1e-4)
    assert s["rate"]["max_lateness_s"] == 0.09
    lat = s["latency_s"]
    # create_call is timed from the due time: 0.1 + 0.01 k
    assert lat["create_call"]["count"] == 9 and lat["create_call"]["max"] == 0.19
    assert lat["create_to_submitted"]["p50"] == pytest.approx(1.0) and lat["create_to_submitted"]["count"] == 9
    assert lat["status_lag"]["max"] == pytest.approx(0.5)
    assert lat["create_to_terminal"]["count"] == 8
    assert s["api"]["create_attempts"] == 12 and s["api"]["retries"] == 1
    assert s["api"]["final_status"] == {"201": 9, "500": 1}
    assert s["namespaces"]["a"]["created"] == 9 and s["namespaces"]["b"]["submitted"] == 0
    assert s["operator"]["apps_per_min"] is None  # 9 pick-ups (app-3 never created): too few for a rate
    assert s["duration_s"] == 20.0 and s["end"] == "done" and s["saturation"] is None
    with (tmp_path / "apps.csv").open("w"):
        pass
    assert apps.write(tmp_path) == 10
    rows = list(csv.DictReader((tmp_path / "apps.csv").open()))
    assert [r["app"] for r in rows] == [f"app-{k}" for k in range(10)]
    assert rows[1]["final_state"] == "COMPLETED" and rows[1]["executors_started"] == "2"
    assert rows[3]["create_ok"] == "False" and rows[3]["attempts"] == "3"
    assert float(rows[2]["create_call_s"]) == pytest.approx(0.12)


def _picked_up(run_dir: Path, offsets: list[float]) -> dict[str, Any]:
    """A run whose app k the operator picked up (SUBMITTED) at T0 + offsets[k]."""
    run_dir.mkdir()
    f = Fake(run_dir)
    _start(f, planned=len(offsets), per_min=60.0)
    for k, offset in enumerate(offsets):
        name = f.submit(k, T0 - 200, T0 - 200, T0 - 200 + 0.01)
        f.state(name, "SUBMITTED", T0 + offset)
    f.j.close()
    return summary.build(journal.read(run_dir)).to_dict()


def test_operator_throughput_is_steady_state_and_null_on_a_small_sample(tmp_path: Path) -> None:
    # 21 pick-ups: two slow warm-up ones, then one every 0.5 s. The 10th to 90th percentile (2nd to 18th)
    # pick-ups are 16 intervals over 8 s: 120/min; the warm-up does not count.
    steady = _picked_up(tmp_path / "steady", [-100.0, -50.0, *(0.5 * k for k in range(2, 21))])
    assert steady["operator"]["apps_per_min"] == pytest.approx(120.0)
    few = _picked_up(tmp_path / "few", [0.0, 0.0001, 0.0002])  # the audit's 630,334/min
    burst = _picked_up(tmp_path / "burst", [0.05 * k for k in range(12)])  # 12 apps within 0.55 s
    assert few["operator"]["apps_per_min"] is None and burst["operator"]["apps_per_min"] is None


def test_summary_survives_a_kill_mid_create_and_a_torn_last_line(tmp_path: Path) -> None:
    f = Fake(tmp_path)
    _start(f, planned=4, per_min=60.0)
    name = f.submit(0, T0, T0, T0 + 0.1)
    f.state(name, "SUBMITTED", T0 + 1)
    # app-1 was sent and created, but the process died before journaling the answer; the tracker saw it
    f.ev(journal.SUBMIT_SENT, T0 + 1, app="app-1", ns="a", seq=1, due_mono=T0 + 1)
    f.state("app-1", "SUBMITTED", T0 + 2)
    # app-2 was sent; nobody knows whether it was created
    f.ev(journal.SUBMIT_SENT, T0 + 2, app="app-2", ns="a", seq=2, due_mono=T0 + 2)
    f.j.close()
    with (tmp_path / journal.EVENTS_FILE).open("ab") as fh:
        fh.write(b'{"ev": "app", "app": "app-3"')
    s = summary.build(journal.read(tmp_path)).to_dict()
    jobs = s["jobs"]
    assert (jobs["submitted"], jobs["created"], jobs["outcome_unknown"], jobs["not_submitted"]) == (3, 1, 2, 1)
    assert jobs["unfinished"] == 2 and jobs["seen_not_sent"] == 0
    assert s["end"] == "incomplete"
    assert [r["app"] for r in apps.rows(journal.read(tmp_path))] == ["app-0", "app-1", "app-2"]


def test_saturation_finds_the_highest_step_whose_backlog_held(tmp_path: Path) -> None:
    """Offered 60, 120, 180 /min for 60 s each; the operator picks up at most 2/s (120/min)."""
    f = Fake(tmp_path)
    steps = [[0.0, 60.0], [60.0, 120.0], [120.0, 180.0]]
    _start(f, planned=360, per_min=None, steps=steps)
    dues: list[float] = []
    for start, per_min in steps:
        n = int(per_min)  # per_min arrivals in 60 s
        dues += [T0 + start + i * 60.0 / per_min for i in range(n)]
    free = T0
    for k, due in enumerate(dues):
        name = f.submit(k, due, due, due + 0.05)
        free = max(free, due + 0.05) + 0.5  # a single server with 0.5 s service time
        f.state(name, "SUBMITTED", free)
    f.j.close()
    sat = summary.build(journal.read(tmp_path)).to_dict()["saturation"]
    assert [s["held"] for s in sat["steps"]] == [True, True, False]
    assert sat["sustained_per_min"] == 120.0 and sat["saturated_at_per_min"] == 180.0
    assert sat["steps"][2]["backlog_end"] > sat["steps"][2]["backlog_mid"] + 10


def test_short_ramp_steps_do_not_overstate_the_sustained_rate(tmp_path: Path) -> None:
    """20 s steps of 12, 24, 36, 48 /min; two workers taking 4.8 +- 0.5 s each: capacity 25/min.

    The 36/min step (1.44x capacity) has only 12 arrivals and its backlog grows by about 2 per half-step,
    which a second-half-growth rule with an absolute slack of 2 called held.
    """
    f = Fake(tmp_path)
    steps = [[0.0, 12.0], [20.0, 24.0], [40.0, 36.0], [60.0, 48.0]]
    _start(f, planned=40, per_min=None, steps=steps)
    dues = [T0 + start + i * 60.0 / per_min for start, per_min in steps for i in range(round(per_min / 3))]
    rng = random.Random(7)
    free = [T0, T0]
    for k, due in enumerate(dues):
        name = f.submit(k, due, due, due + 0.01)
        worker = free.index(min(free))
        free[worker] = max(free[worker], due + 0.01) + 4.8 + rng.uniform(-0.5, 0.5)
        f.state(name, "SUBMITTED", free[worker])
    f.j.close()
    sat = summary.build(journal.read(tmp_path)).to_dict()["saturation"]
    assert [s["held"] for s in sat["steps"]] == [True, True, False, False]
    assert sat["sustained_per_min"] == 24.0 and sat["saturated_at_per_min"] == 36.0
    over = sat["steps"][2]
    assert over["arrivals"] == 12 and over["picked_up"] <= 25 * 20 / 60 + 2  # what two workers can do in 20 s


def _mostly_failed(run_dir: Path, ok: set[int]) -> summary.Summary:
    """200 creates sent on schedule at 600/min (one per 0.1 s); only the jobs in `ok` acknowledged."""
    run_dir.mkdir()
    f = Fake(run_dir)
    _start(f, planned=200, per_min=600.0)
    for k in range(200):
        due = T0 + 0.1 * k
        name = f.submit(k, due, due + 0.001, due + 0.05, ok=k in ok, attempts=1 if k in ok else 8)
        if k in ok:
            f.state(name, "SUBMITTED", due + 1.0)
    f.ev(journal.RUN_END, T0 + 30, reason="done", detail={})
    f.j.close()
    return summary.build(journal.read(run_dir))


def test_achieved_counts_acknowledged_creates_so_a_failed_run_never_looks_on_target(tmp_path: Path) -> None:
    """Issue 14: 189 of 200 creates failed and the table said `600.0 / 600.0 (x1.000)`."""
    spread = _mostly_failed(tmp_path / "spread", ok=set(range(0, 200, 18)))  # 12 successes across the run
    first = _mostly_failed(tmp_path / "first", ok=set(range(11)))  # 11 successes, all at the start
    for s, created in ((spread, 12), (first, 11)):
        assert s.jobs.submitted == 200 and s.jobs.created == created and s.jobs.create_failed == 200 - created
        assert s.rate.offered_per_min == pytest.approx(600.0) and s.rate.target_per_min == 600.0
        assert s.rate.sent_per_min == pytest.approx(600.0) and s.rate.sent_ratio == pytest.approx(1.0)
        # however the successes fall in time, achieved is the acknowledged share of what was sent
        assert s.rate.achieved_per_min == pytest.approx(600.0 * created / 200, abs=0.01)
        assert s.rate.achieved_ratio == pytest.approx(created / 200, abs=1e-4) and s.rate.achieved_ratio < 0.1
    out = io.StringIO()
    table.render(first, tmp_path, Console(file=out, width=200))
    text = out.getvalue()
    assert "rate offered / sent / achieved (jobs/min)" in text and "600.0 / 600.0 / 33.0" in text
    assert "x1.000, x0.055" in text and "11 / 189" in text


def test_every_consumer_reads_the_one_definition_of_each_phase(tmp_path: Path) -> None:
    """summary.json, the SLO grammar, compare and the console table all list results.phases, with one stat set."""
    f = Fake(tmp_path)
    _start(f, planned=30, per_min=60.0)
    rng = random.Random(3)
    for k in range(30):
        due = T0 + k
        name = f.submit(k, due, due + 0.002, due + 0.02 + rng.random() / 50)
        f.state(name, "NEW", due + 0.1, creationTimestamp="2026-11-21T10:00:00Z")
        f.state(name, "SUBMITTED", due + 1 + rng.random(), lastSubmissionAttemptTime=f"2026-11-21T10:00:0{k % 3}Z")
        f.pod(name, f"{name}-driver", "driver", "Running", due + 3 + rng.random())
        f.state(name, "RUNNING", due + 5 + rng.random() * 10)
        f.state(name, "COMPLETED", due + 20 + rng.random() * 100)
    f.ev(journal.RUN_END, T0 + 200, reason="done", detail={})
    f.j.close()
    s = summary.build(journal.read(tmp_path))
    assert tuple(s.latency_s) == phases.NAMES == slo.PHASES and slo.STATS == STATS
    assert ("count", *(f"p{q}" for q in PERCENTILES), "max") == STATS and 95 in PERCENTILES
    recs = list(records.fold(journal.read(tmp_path))[0].values())
    for phase, values in phases.samples(recs).items():
        q = s.latency_s[phase]
        assert q.count == len(values) == 30, phase  # every phase has data in this journal
        expected = [round(float(v), 3) for v in np.percentile(values, PERCENTILES)]
        assert [q.stat(f"p{p}") for p in PERCENTILES] == expected and q.max == round(max(values), 3), phase
        for stat in STATS:  # every SLO path of a phase reads the same number
            assert s.value(f"latency_s.{phase}.{stat}") == q.stat(stat)
            assert slo.canonical(f"{phase}.{stat}") in slo.known_paths()
    assert s.latency_s["server_queue_wait"].max == 2.0  # the server clock, 1 s steps
    compared = {path for path, _, _ in compare.KEY_FIGURES if path.startswith("latency_s.")}
    assert compared == {f"latency_s.{p}.p{q}" for p in phases.NAMES for q in PERCENTILES}
    out = io.StringIO()
    table.render(s, tmp_path, Console(file=out, width=200))
    lines = out.getvalue().splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("┃ phase "))
    assert [c.strip() for c in lines[header].split("┃")[1:-1]] == ["phase", "apps", "p50", "p90", "p95", "p99", "max"]
    rows = [line.split("│") for line in lines[header + 2 :] if line.startswith("│")]
    assert [r[1].strip() for r in rows] == list(phases.NAMES) and all(r[2].strip() == "30" for r in rows)

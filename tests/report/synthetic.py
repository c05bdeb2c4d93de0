"""A hand-written run folder following the journal contract (benchkit/results/journal.py).

Only for developing report code before real runs exist; the report tests proper use real `benchkit run`
folders.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np

from benchkit.results.journal import Journal


def write_run(
    run_dir: Path,
    *,
    jobs: int = 60,
    per_min: float = 120.0,
    service_s: float = 0.9,
    seed: int = 1,
    slo: list[str] | None = None,
) -> Path:
    run_dir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    t0_mono, t0_wall = 1000.0, 1_790_000_000.0
    j = Journal(run_dir, "orchestrator")

    def emit(ev: str, mono: float, **fields: object) -> None:
        j.emit(ev, mono=mono, wall=t0_wall + (mono - t0_mono), **fields)

    emit(
        "run_start",
        t0_mono,
        run_id=run_dir.name,
        scenario="delete",
        planned=jobs,
        target_per_min=per_min,
        namespaces=["spark-team-a"],
        t0_mono=t0_mono,
        t0_wall=t0_wall,
    )
    operator_free = t0_mono
    lat: dict[str, list[float]] = {"create_call": [], "create_to_submitted": [], "create_to_running": []}
    for k in range(jobs):
        app, due = f"app-{k}", t0_mono + k * 60.0 / per_min
        ack = due + rng.uniform(0.005, 0.03)
        emit(
            "submit",
            ack,
            app=app,
            ns="spark-team-a",
            seq=k,
            due_mono=due,
            sent_mono=due,
            ack_mono=ack,
            ok=True,
            http_status=201,
            attempts=1,
            error=None,
            uid=f"u{k}",
            creation_ts=None,
        )
        emit("app", ack + 0.01, app=app, ns="spark-team-a", state="NEW", rv=str(k), observed="watch", server={})
        operator_free = max(operator_free, ack) + service_s
        submitted = operator_free
        running = submitted + rng.uniform(0.5, 1.5)
        done = running + 2.0
        emit("app", submitted, app=app, ns="spark-team-a", state="SUBMITTED", rv="x", observed="watch", server={})
        emit(
            "pod",
            running - 0.2,
            app=app,
            ns="spark-team-a",
            pod=f"{app}-driver",
            role="driver",
            phase="Running",
            node="n1",
            rv="y",
            observed="watch",
            server={},
        )
        emit("app", running, app=app, ns="spark-team-a", state="RUNNING", rv="z", observed="watch", server={})
        emit("app", done, app=app, ns="spark-team-a", state="COMPLETED", rv="w", observed="watch", server={})
        emit("app_deleted", done + 0.1, app=app, ns="spark-team-a", by="benchkit")
        lat["create_call"].append(ack - due)
        lat["create_to_submitted"].append(submitted - ack)
        lat["create_to_running"].append(running - ack)
    emit("node_count", t0_mono, group="bench", desired=2, ready=2, reason="start")
    emit("node_count", t0_mono + 10, group="bench", desired=3, ready=2, reason="scale")
    end = operator_free + 4
    emit("node_count", end - 1, group="bench", desired=3, ready=3, reason="ready")
    emit("run_end", end, reason="done", detail="")
    j.close()

    def q(v: list[float]) -> dict[str, float | int]:
        p50, p90, p99 = np.percentile(v, [50, 90, 99])
        return {"count": len(v), "p50": round(p50, 3), "p90": round(p90, 3), "p99": round(p99, 3), "max": max(v)}

    summary = {
        "run_id": run_dir.name,
        "scenario": "delete",
        "end": "done",
        "duration_s": round(end - t0_mono, 3),
        "jobs": {
            "planned": jobs,
            "submitted": jobs,
            "created": jobs,
            "create_failed": 0,
            "completed": jobs,
            "failed": 0,
            "unfinished": 0,
        },
        "rate": {"target_per_min": per_min, "achieved_per_min": per_min, "achieved_ratio": 1.0, "max_lateness_s": 0.0},
        "latency_s": {k: q(v) for k, v in lat.items()} | {"status_lag": {"count": 0}},
        "operator": {"apps_per_min": round(60.0 / service_s, 3)},
        "saturation": None,
    }
    (run_dir / "summary.json").write_text(json.dumps(summary, indent=2))
    manifest = {
        "run_id": run_dir.name,
        "benchkit_version": "0.1.0",
        "settings": {"jobs_per_min": per_min, "total": jobs, "operator_workers": 2, "slo": {s: s for s in slo or []}},
        "target": {"kind": "embedded twin", "server": "https://127.0.0.1:1"},
        "cluster": {"nodes_by_group": {"bench": 2}},
    }
    (run_dir / "manifest.json").write_text(json.dumps(manifest, indent=2))
    return run_dir

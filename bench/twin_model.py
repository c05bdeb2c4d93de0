"""How fast is the twin's model? Two measurements; prints a table and appends it to BENCHMARKS.md (or --out).

1. `simulate`: the published benchmark's run (6000 apps × 6 pods, 1000/min, apps sleeping 1 h, paper
   profile) on a virtual clock: wall time, plus the figures the planner would report.
2. The server's path: `app_created` + `advance` at 12,000 creates/min (fast profile, 200 nodes) until
   6000 apps / 36,000 pods are held: model time per create, per advance, and the model's memory.

    uv run python bench/twin_model.py [--apps 6000] [--out FILE]
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import begin, markdown_table, output_args, publish

from benchkit.twin.model import build_model
from benchkit.twin.model.simulate import simulate

NAMESPACES = ("spark-team-a", "spark-team-b", "spark-team-c")
BENCH = {"NodeGroupType": "spark-operator-benchmark-ng"}
TOLERATION = {"key": "spark-operator-benchmark-ng", "operator": "Exists", "effect": "NoSchedule"}


def app(i: int, seconds: float) -> dict[str, Any]:
    """The data-on-eks benchmark template (spark-app-with-webhook.yaml) as benchkit would render it."""
    name, ns = f"bench-{i:05d}", NAMESPACES[i % 3]
    role = {
        "cores": 1,
        "coreRequest": "0.1",
        "memoryOverhead": "0m",
        "nodeSelector": BENCH,
        "tolerations": [TOLERATION],
    }
    return {
        "apiVersion": "sparkoperator.k8s.io/v1beta2",
        "kind": "SparkApplication",
        "metadata": {"name": name, "namespace": ns, "uid": f"uid-{i}", "labels": {"benchkit.io/run-id": "bench"}},
        "spec": {
            "type": "Scala", "mode": "cluster", "sparkVersion": "3.5.3",
            "mainApplicationFile": "local:///opt/spark/examples/jars/spark-pi-sleep.jar",
            "arguments": ["5", str(seconds)], "timeToLiveSeconds": 60, "restartPolicy": {"type": "Never"},
            "sparkConf": {"spark.kubernetes.executor.podNamePrefix": name},
            "driver": {**role, "memory": "512m", "serviceAccount": ns},
            "executor": {**role, "memory": "256m", "instances": 5},
        },
    }  # fmt: skip


def bench_simulate(apps: int) -> list[list[object]]:
    model = build_model("paper", nodes=200, max_pods=220, operator_workers=10)
    arrivals = [(i * 0.06, app(i, 3600)) for i in range(apps)]
    start = time.perf_counter()
    result = simulate(arrivals, model)
    wall = time.perf_counter() - start
    what = f"`simulate` {apps} apps × 6 pods, 1 h apps, 1000/min, paper profile, 10 workers"
    return [
        [f"{what}: wall time", f"{wall:.1f} s"],
        [f"{what}: what it reports", f"{result.processed_per_min:.1f} apps/min processed, last driver start "
                                     f"{result.last_start / 60:.1f} min, end {(result.end or 0) / 60:.1f} min, "
                                     f"peak pending pods {result.peak_pending_pods}, peak bench nodes needed "
                                     f"{result.peak_nodes_needed['bench']}"],
    ]  # fmt: skip


def drive_server_path(apps: int) -> tuple[Any, float, float, int]:
    """Creates at 12,000/min with an advance before each, then 2 minutes more: (model, create s, advance s, changes)."""
    model = build_model("fast", nodes=200, max_pods=220)
    t0 = 1_800_000_000.0
    model.initial_changes(t0)
    interval = 60.0 / 12_000
    create_s = advance_s = 0.0
    changes = 0
    objects = [app(i, 3600) for i in range(apps)]
    for i, obj in enumerate(objects):
        now = t0 + i * interval
        a = time.perf_counter()
        changes += len(model.advance(now))
        b = time.perf_counter()
        changes += len(model.app_created(obj, now))
        create_s += time.perf_counter() - b
        advance_s += b - a
    end = t0 + apps * interval + 120  # every driver and executor that fits gets created and starts
    a = time.perf_counter()
    while (t := model.next_event_time()) is not None and t < end:
        changes += len(model.advance(t))
    advance_s += time.perf_counter() - a
    return model, create_s, advance_s, changes


def bench_server_path(apps: int) -> list[list[object]]:
    model, create_s, advance_s, changes = drive_server_path(apps)
    held = len(model.runtime.pods)
    what = f"server path, {apps} creates at 12,000/min, fast profile, 200 nodes ({held} pods held, {changes} changes)"
    rows: list[list[object]] = [
        [f"{what}: `app_created`", f"{create_s / apps * 1e6:.0f} µs per create"],
        [f"{what}: `advance`", f"{advance_s / max(changes, 1) * 1e6:.1f} µs per change ({advance_s:.2f} s in all)"],
    ]
    del model
    gc.collect()
    tracemalloc.start()
    model, *_ = drive_server_path(apps)
    gc.collect()
    traced = tracemalloc.get_traced_memory()[0] / 2**20
    rows.append([f"model memory holding {apps} apps / {len(model.runtime.pods)} pods",
                 f"{traced:.0f} MiB (tracemalloc, app objects included)"])  # fmt: skip
    tracemalloc.stop()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apps", type=int, default=6000)
    output_args(parser)
    args = parser.parse_args()
    started = begin(args.out)
    rows = bench_simulate(args.apps)
    rows += bench_server_path(args.apps)
    table = markdown_table(["what", "figure"], rows)
    notes = (
        "The model alone, in this process (no HTTP, no store): `simulate` is what `benchkit plan` runs; the server "
        "path is what the twin calls per create and per model event. Times are wall (`perf_counter`); memory is "
        "Python allocations traced while driving the same run again. No target is set; see docs/twin-model.md."
    )
    publish("Twin model: simulate and the server path", table, notes, started, args)


if __name__ == "__main__":
    main()

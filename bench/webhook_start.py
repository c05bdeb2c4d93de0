"""Does the webhook's start latency show with the work queue's rate limiter on? Prints a table and appends it to
BENCHMARKS.md (or --out).

The paper profile on a virtual clock, webhook on (apps placed by the webhook) vs off (the same apps with their
placement in Spark pod templates), with the operator's work-queue rate limiter on (`paper` as it is: chart 2.1.0's
50/s burst 500), off (`workqueue_qps=0`) and at the binary's flag defaults (10/s burst 100), at two loads:

- test_compare_webhook.py's: 900 apps at 1000/min, one namespace, seed 2, 10 workers, until 810 s;
- the published benchmark's (Test 1 / Test 4): 6000 apps at 1000/min, three namespaces, seed 1, 10 workers,
  36 vCPUs, until 5040 s (test_webhook_calibration.py's run).

Every app sleeps 1 h. ~65 s of CPU in all.

    uv run --frozen python bench/webhook_start.py [--out FILE] [--no-append]
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import begin, markdown_table, output_args, publish

from benchkit.results.stats import quantiles
from benchkit.twin.model.model import Model
from benchkit.twin.model.profiles import PAPER, Profile
from benchkit.twin.model.simulate import AppTimeline, SimResult, simulate

BENCH = {"NodeGroupType": "spark-operator-benchmark-ng"}
TOLERATION = {"key": "spark-operator-benchmark-ng", "operator": "Exists", "effect": "NoSchedule"}


@dataclasses.dataclass(frozen=True)
class Load:
    name: str
    apps: int
    namespaces: tuple[str, ...]
    seed: int
    until: float


LOADS = (
    Load("900 apps (test_compare_webhook)", 900, ("spark-team-a",), 2, 900 / 100 * 60 * 1.5),
    Load("6000 apps (published Test 1/4)", 6000, ("spark-team-a", "spark-team-b", "spark-team-c"), 1, 6000 * 0.84),
)


def app(i: int, ns: str, webhook: bool) -> dict[str, Any]:
    """The benchmark template (anchor §2.1), placement per role via the webhook, or in pod templates without it."""
    name = f"app-{i}"
    place = {"nodeSelector": dict(BENCH), "tolerations": [dict(TOLERATION)]}
    role: dict[str, Any] = {"cores": 1, "coreRequest": "0.1", "memoryOverhead": "0m"}
    role |= place if webhook else {"template": {"spec": place}}
    return {
        "apiVersion": "sparkoperator.k8s.io/v1beta2", "kind": "SparkApplication",
        "metadata": {"name": name, "namespace": ns, "uid": f"uid-{ns}-{name}", "labels": {"benchkit.io/run-id": "b"}},
        "spec": {
            "type": "Scala", "mode": "cluster", "sparkVersion": "3.5.3",
            "image": "public.ecr.aws/data-on-eks/spark:pi-sleep-v0.0.2", "mainClass": "org.example.JavaSparkPiSleep",
            "mainApplicationFile": "local:///opt/spark/examples/jars/spark-pi-sleep.jar",
            "arguments": ["5", "3600"], "sparkConf": {"spark.kubernetes.executor.podNamePrefix": name},
            "restartPolicy": {"type": "Never"}, "timeToLiveSeconds": 60,
            "driver": {**role, "memory": "512m", "serviceAccount": ns},
            "executor": {**role, "memory": "256m", "instances": 5},
        },
    }  # fmt: skip


LIMITERS = (
    ("on (50/s, 500)", PAPER),
    ("off", dataclasses.replace(PAPER, workqueue_qps=0.0)),
    ("10/s, 100 (flag defaults)", dataclasses.replace(PAPER, workqueue_qps=10.0, workqueue_burst=100)),
)
"""`paper` as it is (chart 2.1.0's controller.workqueueRateLimiter), without the limiter, and at the operator
binary's own flag defaults (kubeflow/spark-operator v2.1.0 cmd/operator/controller/start.go), which `paper` had
before it took the chart's values."""


def run(load: Load, profile: Profile, webhook: bool) -> SimResult:
    model = Model(profile, nodes=200, max_pods=220, seed=load.seed, webhook=webhook)
    ns = load.namespaces
    arrivals = [(i * 0.06, app(i, ns[i % len(ns)], webhook)) for i in range(load.apps)]
    return simulate(arrivals, model, until=load.until)


Span = Callable[[AppTimeline], float | None]
SPANS: dict[str, Span] = {
    "submitted": lambda a: None if a.submitted is None else a.submitted - a.created,
    "driver": lambda a: None if a.driver_running is None else a.driver_running - a.created,
    "running": lambda a: None if a.running is None else a.running - a.created,
    "lag": lambda a: None if a.running is None or a.driver_running is None else a.running - a.driver_running,
}


def figures(result: SimResult) -> dict[str, float]:
    apps, busy = result.apps, result.last_submitted or 1.0
    out = {"apps/min": result.processed_per_min or 0.0, "cores": result.operator_cpu_seconds / busy}
    out["running n"] = sum(a.running is not None for a in apps)
    for key, span in SPANS.items():
        values = [v for a in apps if (v := span(a)) is not None]  # as benchkit: an app without the span adds none
        q = quantiles(values)
        out |= {f"{key} mean": statistics.fmean(values), f"{key} p50": q.p50 or 0.0, f"{key} p95": q.p95 or 0.0}
    return out


COLUMNS = ("apps/min", "cores", "running n", "submitted p50", "driver mean", "driver p50", "driver p95",
           "running mean", "running p50", "running p95", "lag p50")  # fmt: skip


def _num(value: float, column: str, sign: str = "") -> str:
    return f"{value:{sign}.0f}" if column == "running n" else f"{value:{sign}.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    output_args(parser)
    args = parser.parse_args()
    started = begin(args.out)
    rows: list[list[object]] = []
    for load in LOADS:
        for limiter, profile in LIMITERS:
            on, off = (figures(run(load, profile, webhook)) for webhook in (True, False))
            where = [load.name, limiter]
            rows.append([*where, "on", *(_num(on[c], c) for c in COLUMNS)])
            rows.append([*where, "off", *(_num(off[c], c) for c in COLUMNS)])
            rows.append([*where, "**on − off**", *(f"**{_num(on[c] - off[c], c, '+')}**" for c in COLUMNS)])
    header = ["load", "work-queue limiter", "webhook", "apps/min", "operator cores", "apps RUNNING",
              "→ SUBMITTED p50 (s)", "→ driver running mean", "p50", "p95", "→ RUNNING mean", "p50", "p95",
              "status lag p50"]  # fmt: skip
    table = markdown_table(header, rows)
    notes = (
        "The `paper` profile on a virtual clock (`simulate`, no twin server): 200 nodes, 10 workers, 1 h apps at "
        "1000/min; webhook on = placement in the app's driver/executor spec (the webhook mutates it in), off = the "
        "same placement in Spark pod templates. Seconds from each app's creation: → SUBMITTED (create_to_submitted), "
        "→ driver container running, → app status RUNNING (benchkit's create_to_running; its create ack is the "
        "creation here); status lag: driver running → RUNNING. Quantiles as benchkit computes them "
        "(benchkit/results/stats.py); quantiles and means over the apps that reached the span's end within the "
        "horizon (apps RUNNING: how many reached RUNNING). Operator cores: its CPU-seconds in the whole "
        "simulation over the time to the last submission (as tests/twin_model/test_calibration.py computes them)."
    )
    publish("Webhook start latency with the work-queue limiter on and off", table, notes, started, args)


if __name__ == "__main__":
    main()

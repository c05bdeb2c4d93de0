"""`plan()`: run the twin's operator/cluster model on a virtual clock for a run's settings, then price it.

No waiting: a 6000-job, one-hour run is simulated in seconds. The model is the twin's (benchkit.twin.model),
calibrated on the published Kubeflow benchmark (profile "paper"); see docs/cost.md for its limits.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from benchkit.capacity.pricing import PriceTable
from benchkit.errors import ConfigError
from benchkit.plan import cost as cost_mod
from benchkit.plan import workload
from benchkit.plan.cost import Cost, StackShape
from benchkit.settings import cluster_shape
from benchkit.settings.run import RunSettings
from benchkit.twin.model import build_model
from benchkit.twin.model.simulate import SimResult, simulate

MAX_PODS = cluster_shape.bench_max_pods()
"""Pods per bench node by default (seed 002: kubelet maxPods 220 with prefix delegation)."""
MODELS = ("paper", "fast")


@dataclass(frozen=True)
class Plan:
    """What a run would do and cost. Times are seconds from the first due submission."""

    total: int
    pods_per_app: int
    model: str
    operator_workers: int | None
    operator_cpus: float | None
    submit_window_s: float
    """When benchkit's schedule has the last job due."""
    processed_per_min: float | None
    """The operator's steady submission rate (10th-90th percentile of its submissions)."""
    operator_window_s: float | None
    """When the operator has submitted the last app."""
    first_start_s: float | None
    last_start_s: float | None
    """When the last driver starts running."""
    end_s: float | None
    """When the last app reaches COMPLETED or FAILED."""
    peak_pending_pods: int
    peak_nodes_needed: dict[str, int]
    bench_nodes: int
    states: dict[str, int]
    cost: Cost
    notes: tuple[str, ...] = field(default=())
    webhook: bool = True
    """The operator's mutating webhook (admits every pod create; `--webhook off` models it disabled)."""

    def to_dict(self) -> dict[str, Any]:
        def r(v: float | None) -> float | None:
            return None if v is None else round(v, 1)

        return {
            "jobs": self.total, "pods": self.total * self.pods_per_app, "pods_per_app": self.pods_per_app,
            "model": self.model, "operator_workers": self.operator_workers, "operator_cpus": self.operator_cpus,
            "webhook": self.webhook,
            "submit_window_s": r(self.submit_window_s), "processed_per_min": r(self.processed_per_min),
            "operator_window_s": r(self.operator_window_s), "first_start_s": r(self.first_start_s),
            "last_start_s": r(self.last_start_s), "end_s": r(self.end_s),
            "peak_pending_pods": self.peak_pending_pods, "peak_nodes_needed": dict(self.peak_nodes_needed),
            "bench_nodes": self.bench_nodes, "final_states": dict(self.states), "cost": self.cost.to_dict(),
            "notes": list(self.notes),
        }  # fmt: skip


def plan(
    settings: RunSettings,
    due_offset: Callable[[int], float],
    prices: PriceTable,
    *,
    shape: StackShape | None = None,
    model: str = "paper",
    seed: int = 0,
) -> Plan:
    """Simulate the run `settings` describes (jobs due at `due_offset(k)`) and price it.

    >>> plan(settings, RateProfile.constant(1000).due_offset, pricing.default_table("us-west-2")).end_s
    """
    if model not in MODELS:
        raise ConfigError(f"model must be one of {', '.join(MODELS)}, got {model!r}")
    shape = shape or StackShape(bench_nodes=settings.nodes)
    apps = workload.arrivals(settings, due_offset)
    bench_type = shape.instance_types.get("bench", cost_mod.DEFAULT_INSTANCE_TYPES["bench"])
    if bench_type not in cluster_shape.instance_types():
        raise ConfigError(f"bench instance type {bench_type!r} is not in the cluster-shape data file "
                          f"(benchkit/data/cluster_shape.yaml): its vCPUs and memory are unknown")  # fmt: skip
    twin = build_model(model, nodes=shape.bench_nodes, max_pods=shape.max_pods,
                       operator_workers=settings.operator_workers, operator_cpus=settings.operator_cpus, seed=seed,
                       bench_instance_type=bench_type, webhook=settings.webhook != "off")  # fmt: skip
    result = simulate(apps, twin)
    run_s = result.end if result.end is not None else max((t for t, _ in apps), default=0.0)
    priced = cost_mod.estimate(shape, prices, run_s, result.nodes_needed.get("bench", []))
    return Plan(
        total=settings.total,
        pods_per_app=workload.pods_per_app(apps[0][1]) if apps else 0,
        model=model,
        operator_workers=settings.operator_workers,
        operator_cpus=settings.operator_cpus,
        submit_window_s=max((t for t, _ in apps), default=0.0),
        processed_per_min=result.processed_per_min,
        operator_window_s=result.last_submitted,
        first_start_s=min((a.driver_running for a in result.apps if a.driver_running is not None), default=None),
        last_start_s=result.last_start,
        end_s=result.end,
        peak_pending_pods=result.peak_pending_pods,
        peak_nodes_needed={g: n for g, n in result.peak_nodes_needed.items() if n},
        bench_nodes=shape.bench_nodes,
        states=dict(result.states),
        cost=priced,
        notes=tuple(_notes(settings, shape, result, prices)),
        webhook=settings.webhook != "off",
    )


def _notes(settings: RunSettings, shape: StackShape, result: SimResult, prices: PriceTable) -> list[str]:
    notes = list(prices.notes)
    need = result.peak_nodes_needed.get("bench", 0)
    if need > shape.bench_nodes:
        notes.append(f"the run needs {need} bench nodes at its peak but has {shape.bench_nodes}: pods wait for nodes")
    elsewhere = {g: n for g, n in result.peak_nodes_needed.items() if g != "bench" and n}
    if elsewhere:
        groups = ", ".join(f"{n} {g}" for g, n in sorted(elsewhere.items()))
        why = (
            ": with --webhook off the template's node selector and tolerations, which only the operator's webhook "
            "applies, are missing; use --spark-template without-webhook"
            if settings.webhook == "off"
            else ""
        )
        notes.append(f"the run's pods are placed off the bench group and need {groups} node(s) at their peak{why}")
    rate = result.processed_per_min
    if settings.ramp is None and rate is not None and settings.jobs_per_min > rate * 1.05:
        backlog = math.ceil(settings.total - rate * settings.total / settings.jobs_per_min)
        notes.append(f"the offered {settings.jobs_per_min:g}/min exceeds what the operator processes ({rate:.0f}/min): "
                     f"about {backlog} apps wait in its queue when submission ends")  # fmt: skip
    unfinished = sum(n for s, n in result.states.items() if s not in ("COMPLETED", "FAILED"))
    if unfinished:
        notes.append(f"{unfinished} app(s) never finished in the simulation")
    return notes

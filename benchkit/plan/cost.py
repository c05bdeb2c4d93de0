"""What a run costs: node-hours by group × on-demand price, plus the EKS control plane and the NAT gateway.

The run's wall clock is: bench nodes booting (pre-scale) + the simulated run (first submission to the
last app's end) + the nodes draining after teardown. The always-on groups (core, operator, monitoring),
EKS and NAT are billed whether a run happens or not; they are charged here for the run's wall clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from benchkit.capacity.autoscaler import Observation, Policy, decide
from benchkit.capacity.pricing import PriceTable
from benchkit.settings import cluster_shape

NODE_BOOT_S = 300.0
"""Pre-scaling: a managed node group's nodes are typically Ready, DaemonSets running, within 3-5 minutes."""
NODE_DRAIN_S = 120.0
"""Teardown: nodes are billed until their instances terminate, typically 1-2 minutes after scale-down."""
AUTOSCALE_INTERVAL_S = 15.0

DEFAULT_INSTANCE_TYPES = cluster_shape.default_instance_types()
"""infra's defaults (cluster-shape data file); a stack's `instanceTypes` output overrides them."""
DEFAULT_FIXED_NODES = cluster_shape.default_fixed_nodes()
"""infra's default sizes of the always-on groups."""
DEFAULT_DISK_GIB = cluster_shape.default_disk_gib()
"""infra's default root volume per node (gp3)."""


@dataclass(frozen=True)
class StackShape:
    """The node groups the cost is computed for."""

    bench_nodes: int
    """Bench nodes during the run (the pre-scaled size, or the autoscaler's MAX)."""
    instance_types: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_INSTANCE_TYPES))
    fixed_nodes: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_FIXED_NODES))
    nat_gateways: int = 1
    disk_gib: float = DEFAULT_DISK_GIB
    autoscale: tuple[int, int] | None = None
    """MIN:MAX for `--autoscale`: bench node-hours come from replaying the step autoscaler."""
    max_pods: int = field(default_factory=cluster_shape.bench_max_pods)
    """The bench nodes' kubelet maxPods (a stack's `stackShape.benchMaxPods`)."""


@dataclass(frozen=True)
class CostLine:
    item: str
    detail: str
    hours: float
    """Billed hours (node-hours for node groups)."""
    usd_per_hour: float
    usd: float


@dataclass(frozen=True)
class Cost:
    lines: tuple[CostLine, ...]
    wall_s: float
    """The run's billed wall clock: boot + run + drain."""
    total_usd: float
    stack_idle_usd_per_hour: float
    """What the stack costs per hour with the bench group at zero (always-on groups, EKS, NAT)."""
    bench_usd_per_hour_at_max: float
    prices: PriceTable

    def to_dict(self) -> dict[str, Any]:
        return {
            "total_usd": round(self.total_usd, 2),
            "wall_s": round(self.wall_s, 1),
            "lines": [{"item": c.item, "detail": c.detail, "hours": round(c.hours, 3),
                       "usd_per_hour": round(c.usd_per_hour, 4), "usd": round(c.usd, 2)} for c in self.lines],
            "stack_idle_usd_per_hour": round(self.stack_idle_usd_per_hour, 4),
            "bench_usd_per_hour_at_max": round(self.bench_usd_per_hour_at_max, 4),
            "prices": self.prices.to_dict(),
        }  # fmt: skip


def estimate(shape: StackShape, prices: PriceTable, run_s: float,
             bench_need: Sequence[tuple[float, int]] = ()) -> Cost:  # fmt: skip
    """Cost of a run that takes `run_s` seconds from first submission to the last app's end."""
    wall_s = NODE_BOOT_S + run_s + NODE_DRAIN_S
    lines: list[CostLine] = []
    bench_type = shape.instance_types["bench"]
    bench_price = prices.instance(bench_type)
    if shape.autoscale is None:
        hours = shape.bench_nodes * wall_s / 3600
        detail = f"{shape.bench_nodes} x {bench_type}, pre-scaled for the whole run"
    else:
        node_s, peak = replay_autoscaler(bench_need, shape.autoscale, run_s)
        hours = (node_s + shape.autoscale[0] * NODE_BOOT_S) / 3600
        detail = f"{bench_type}, autoscaled {shape.autoscale[0]}:{shape.autoscale[1]} (peak {peak})"
    lines.append(CostLine("bench nodes", detail, hours, bench_price, hours * bench_price))
    idle = 0.0
    for role, count in shape.fixed_nodes.items():
        itype = shape.instance_types[role]
        price = prices.instance(itype)
        idle += count * price
        hours = count * wall_s / 3600
        lines.append(CostLine(f"{role} nodes", f"{count} x {itype}, always on", hours, price, hours * price))
    hours = wall_s / 3600
    node_hours = sum(c.hours for c in lines)
    volume = prices.volume(shape.disk_gib)
    lines.append(CostLine("EBS root volumes", f"{shape.disk_gib:g} GiB gp3 per node, {node_hours:,.1f} node-hours",
                          node_hours, volume, node_hours * volume))  # fmt: skip
    lines.append(CostLine("EKS control plane", "1 cluster", hours, prices.eks_control_plane,
                          hours * prices.eks_control_plane))  # fmt: skip
    nat = shape.nat_gateways * prices.nat_gateway
    lines.append(CostLine("NAT gateway", f"{shape.nat_gateways} gateway(s), hours only (data processing not included)",
                          hours * shape.nat_gateways, prices.nat_gateway, hours * nat))  # fmt: skip
    idle += prices.eks_control_plane + nat + sum(shape.fixed_nodes.values()) * volume
    total = sum(c.usd for c in lines)
    return Cost(tuple(lines), wall_s, total, idle, shape.bench_nodes * (bench_price + volume), prices)


def replay_autoscaler(need: Sequence[tuple[float, int]], bounds: tuple[int, int], run_s: float,
                      interval: float = AUTOSCALE_INTERVAL_S) -> tuple[float, int]:  # fmt: skip
    """Node-seconds (from t=0 to the drain) and the peak size if the step autoscaler had followed `need`.

    The autoscaler is fed node units (pods_per_node=1, one "pod" per node needed), so its bounds, steps and
    cooldowns act exactly as in a run. Nodes are billed from the decision, not from when they are Ready.
    """
    policy = Policy(min_nodes=bounds[0], max_nodes=bounds[1], pods_per_node=1)
    desired, last_change, node_s, peak = bounds[0], None, 0.0, bounds[0]
    index, current_need, t = 0, 0, 0.0
    while t <= run_s:
        while index < len(need) and need[index][0] <= t:
            current_need = need[index][1]
            index += 1
        obs = Observation(t, desired, current_need, max(0, current_need - desired), 0, last_change)
        new = decide(obs, policy).desired
        if new != desired:
            desired, last_change = new, t
        peak = max(peak, desired)
        node_s += desired * interval
        t += interval
    return node_s + desired * NODE_DRAIN_S, peak

"""The budget meter: what the cluster costs per hour (nodes by group × price, EKS, NAT), integrated over a run.

Nodes are observed in Kubernetes and priced by their `node.kubernetes.io/instance-type` label, so the meter
prices what is actually up, including nodes that are still joining or leaving, whatever their group.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Mapping

from benchkit.capacity.periodic import Periodic
from benchkit.capacity.pricing import PriceTable
from benchkit.errors import BenchkitError
from benchkit.kube import rest
from benchkit.kube.rest import ApiClient

METER_INTERVAL_S = 5.0
INSTANCE_TYPE_LABEL = "node.kubernetes.io/instance-type"
DEFAULT_DISK_GIB = 100.0
"""infra's default gp3 root volume per node."""


class BudgetExceeded(BenchkitError):
    """The run's elapsed cost passed --budget: it was stopped (and torn down). Exit 1."""


def nodes_by_type(api: ApiClient) -> dict[str, int]:
    """Nodes per EC2 instance type (the kubelet's `node.kubernetes.io/instance-type` label)."""
    nodes = rest.list_items(api, "/api/v1/nodes")
    return dict(Counter(((n.get("metadata") or {}).get("labels") or {}).get(INSTANCE_TYPE_LABEL, "") for n in nodes))


def hourly_rate(by_type: Mapping[str, int], prices: PriceTable, nat_gateways: int = 1,
                disk_gib: float = DEFAULT_DISK_GIB) -> float:  # fmt: skip
    """USD/hour of these nodes (instances and root volumes) plus the EKS control plane and the NAT gateway(s).

    Nodes of a type the price table does not know are not priced (see `unpriced`).
    """
    nodes = sum(n * prices.instances[t] for t, n in by_type.items() if t in prices.instances)
    volumes = sum(by_type.values()) * prices.volume(disk_gib)
    return nodes + volumes + prices.eks_control_plane + nat_gateways * prices.nat_gateway


def unpriced(by_type: Mapping[str, int], prices: PriceTable) -> list[str]:
    return sorted(t or "(no instance-type label)" for t in by_type if t not in prices.instances)


class CostMeter:
    """Samples the hourly rate every `interval` s on a thread and integrates it; calls `on_exceeded` once.

    >>> meter = CostMeter(lambda: hourly_rate(nodes_by_type(api), prices), budget=50, on_exceeded=stop_run)
    """

    def __init__(self, rate: Callable[[], float], budget: float, on_exceeded: Callable[[float], None], *,
                 interval: float = METER_INTERVAL_S, clock: Callable[[], float] = time.monotonic) -> None:  # fmt: skip
        self.budget = budget
        self.spent = 0.0
        self.usd_per_hour = 0.0
        self.exceeded = False
        self.errors: list[str] = []
        self._rate, self._on_exceeded, self._clock = rate, on_exceeded, clock
        self._last: float | None = None
        self._loop = Periodic("benchkit-budget", interval, self.sample)

    def sample(self, notify: bool = True) -> float:
        """Add the cost since the last sample at the last rate, then read the rate again. Returns spent USD."""
        now = self._clock()
        if self._last is not None:
            self.spent += self.usd_per_hour * (now - self._last) / 3600.0
        self._last = now
        try:
            self.usd_per_hour = self._rate()
        except Exception as exc:  # keep the last rate: a failed sample must not stop the meter
            self.errors.append(f"{type(exc).__name__}: {' '.join(str(exc).split())}")
        if notify and self.spent > self.budget and not self.exceeded:
            self.exceeded = True
            self._on_exceeded(self.spent)
        return self.spent

    def start(self) -> None:
        self.sample()
        self._loop.start()

    def stop(self) -> float:
        """Stop sampling; the final figure includes the time since the last sample (no callback any more)."""
        self._loop.stop()
        return self.sample(notify=False)

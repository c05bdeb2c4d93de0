"""How many of a template's pods fit on one bench node: the twin model's pod requests and node allocatable.

Spark's request rules (cores or coreRequest; memory + memoryOverhead, default max(10 %, 384 MiB)) and the
EKS AL2023 allocatable arithmetic (nodeadm's; parameters in the cluster-shape data file) are the twin's
(benchkit.twin.model); the step autoscaler sizes in nodes.
"""

from __future__ import annotations

import math
from typing import Any

from benchkit.plan.predict import MAX_PODS
from benchkit.twin.model.apps import parse_app
from benchkit.twin.model.nodes import default_groups


def pods_per_node(app: dict[str, Any], max_pods: int = MAX_PODS, instance_type: str | None = None) -> int:
    """Pods of `app`'s shape (driver and executors in their proportion) that one bench node holds."""
    spec = parse_app(app, default_seconds=0.0)
    group = default_groups(max_pods, instance_type)["bench"]
    cpu, memory = group.allocatable(max_pods)
    ds = group.daemonsets
    free = (cpu - ds.cpu_m, memory - ds.memory, max_pods - ds.pods)
    pods = 1 + spec.instances
    need = (spec.driver.cpu_m + spec.instances * spec.executor.cpu_m,
            spec.driver.memory + spec.instances * spec.executor.memory, pods)  # fmt: skip
    apps = min(f / n for f, n in zip(free, need, strict=True) if n > 0)
    return max(1, math.floor(apps * pods))

"""The four node-group roles and the labels/taints that pin work to them.

These values are a contract with benchkit (its SparkApplication template selects the bench nodes;
`benchkit/kube/labels.py` holds the same strings; a contract test compares them).
"""

from __future__ import annotations

from dataclasses import dataclass

CORE = "core"
OPERATOR = "operator"
MONITORING = "monitoring"
BENCH = "bench"
ROLES = (CORE, OPERATOR, MONITORING, BENCH)

NODE_GROUP_TYPE = "NodeGroupType"
TAINT_EFFECT = "NO_SCHEDULE"  # EKS API spelling; Kubernetes shows it as NoSchedule
TAINT_VALUE = "true"


@dataclass(frozen=True)
class Placement:
    """The node label and (optional) NoSchedule taint key of one role's nodes."""

    label_value: str
    taint_key: str | None

    @property
    def node_selector(self) -> dict[str, str]:
        return {NODE_GROUP_TYPE: self.label_value}

    @property
    def tolerations(self) -> list[dict[str, str]]:
        """Kubernetes tolerations for pods that belong on these nodes."""
        if self.taint_key is None:
            return []
        return [{"key": self.taint_key, "operator": "Exists", "effect": "NoSchedule"}]


PLACEMENTS: dict[str, Placement] = {
    CORE: Placement("core", None),
    OPERATOR: Placement("spark-operator-benchmark", "spark-operator-benchmark"),
    MONITORING: Placement("monitoring", "monitoring"),
    BENCH: Placement("spark-operator-benchmark-ng", "spark-operator-benchmark-ng"),
}

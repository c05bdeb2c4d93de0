"""The EC2 instance types the stack allows, with the vCPU and memory the sizing functions need.

Only x86_64 types: every node group uses the AL2023_x86_64_STANDARD AMI.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class InstanceType:
    """An EC2 instance type as AWS lists it (memory in GiB, before kernel/firmware reservations)."""

    name: str
    vcpu: int
    memory_gib: int


def _table(*rows: tuple[str, int, int]) -> dict[str, InstanceType]:
    return {name: InstanceType(name, vcpu, mem) for name, vcpu, mem in rows}


# Source: the EC2 instance-type pages (vCPU / memory are fixed per type, not per region).
INSTANCE_TYPES: dict[str, InstanceType] = _table(
    # general purpose: core nodes, bench nodes
    ("m5.large", 2, 8), ("m5.xlarge", 4, 16), ("m5.2xlarge", 8, 32), ("m5.4xlarge", 16, 64),
    ("m6a.large", 2, 8), ("m6a.xlarge", 4, 16), ("m6a.2xlarge", 8, 32), ("m6a.4xlarge", 16, 64),
    ("m6a.8xlarge", 32, 128), ("m6i.xlarge", 4, 16), ("m6i.2xlarge", 8, 32), ("m6i.4xlarge", 16, 64),
    ("m6i.8xlarge", 32, 128), ("m7i.4xlarge", 16, 64), ("m7i.8xlarge", 32, 128),
    # compute optimised: the operator node (the controller is CPU-bound: one spark-submit JVM per app)
    ("c5.2xlarge", 8, 16), ("c5.4xlarge", 16, 32), ("c5.9xlarge", 36, 72), ("c5.12xlarge", 48, 96),
    ("c5.18xlarge", 72, 144), ("c6a.8xlarge", 32, 64), ("c6a.16xlarge", 64, 128), ("c6i.8xlarge", 32, 64),
    ("c6i.16xlarge", 64, 128), ("c7i.8xlarge", 32, 64), ("c7i.16xlarge", 64, 128),
    # memory optimised: the monitoring node (Prometheus memory grows with active series)
    ("r5.xlarge", 4, 32), ("r5.2xlarge", 8, 64), ("r6a.xlarge", 4, 32), ("r6a.2xlarge", 8, 64),
    ("r6a.4xlarge", 16, 128), ("r6i.2xlarge", 8, 64), ("r6i.4xlarge", 16, 128),
)  # fmt: skip


def lookup(name: str) -> InstanceType:
    """The table row for `name`; KeyError for a type the stack does not allow."""
    return INSTANCE_TYPES[name]

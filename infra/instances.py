"""The EC2 instance types the stack allows, read from the cluster-shape data file.

benchkit/data/cluster_shape.yaml is the one place for these facts: benchkit reads it too (the twin's node
model, `plan`, pricing). infra reads it by path and never imports benchkit.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

SHAPE_FILE = Path(__file__).resolve().parent.parent / "benchkit" / "data" / "cluster_shape.yaml"


@dataclass(frozen=True)
class InstanceType:
    """An EC2 instance type as AWS lists it (memory in GiB, before kernel/firmware reservations)."""

    name: str
    vcpu: int
    memory_gib: int
    enis: int
    ipv4_per_eni: int
    kubelet_memory_mib: int | None = None
    """Memory capacity the kubelet reports, where recorded; else a fraction of memory_gib (shape file)."""


@cache
def shape() -> dict[str, Any]:
    """The whole data file (cached: it is read once per process)."""
    data: dict[str, Any] = yaml.safe_load(SHAPE_FILE.read_text())
    return data


def _table() -> dict[str, InstanceType]:
    return {
        name: InstanceType(
            name, row["vcpu"], row["memory_gib"], row["enis"], row["ipv4_per_eni"], row.get("kubelet_memory_mib")
        )
        for name, row in shape()["instance_types"].items()
    }


INSTANCE_TYPES: dict[str, InstanceType] = _table()


def lookup(name: str) -> InstanceType:
    """The table row for `name`; KeyError for a type the stack does not allow."""
    return INSTANCE_TYPES[name]

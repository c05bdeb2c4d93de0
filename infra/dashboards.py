"""Grafana dashboards from `dashboards/*.json`, checked and named for their ConfigMaps (pure)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

MAX_CONFIGMAP_BYTES = 1024 * 1024  # the Kubernetes object size limit for a ConfigMap's data


class DashboardError(ValueError):
    """A dashboard file that Grafana (or the API server) would reject."""


@dataclass(frozen=True)
class Dashboard:
    configmap_name: str
    filename: str
    content: str


def configmap_name(stem: str) -> str:
    """'Spark Operator (scale)' -> 'dashboard-spark-operator-scale' (a DNS subdomain, <= 63 chars)."""
    slug = re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")
    return f"dashboard-{slug}"[:63].rstrip("-")


def load_dashboards(directory: Path) -> list[Dashboard]:
    """Every *.json in `directory` (sorted), each a JSON object with a title; [] when the folder is absent."""
    if not directory.is_dir():
        return []
    found: dict[str, Dashboard] = {}
    for path in sorted(directory.glob("*.json")):
        content = path.read_text(encoding="utf-8")
        try:
            data = json.loads(content)
        except json.JSONDecodeError as exc:
            raise DashboardError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
        if not isinstance(data, dict) or ("panels" not in data and "rows" not in data):
            raise DashboardError(f"{path}: not a Grafana dashboard (no panels)")
        if len(content.encode()) > MAX_CONFIGMAP_BYTES:
            raise DashboardError(f"{path}: larger than a ConfigMap can hold (1 MiB)")
        name = configmap_name(path.stem)
        if name in found:
            raise DashboardError(f"{path}: same ConfigMap name {name!r} as {found[name].filename}")
        found[name] = Dashboard(name, path.name, content)
    return list(found.values())

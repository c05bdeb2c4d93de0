"""The run a plan simulates: the same SparkApplications `benchkit run` would create, at the same due times."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from benchkit.settings.run import RunSettings
from benchkit.spark import template

PLAN_RUN_ID = "plan"


def arrivals(settings: RunSettings, due_offset: Callable[[int], float]) -> list[tuple[float, dict[str, Any]]]:
    """(due seconds after t0, rendered app) for every job of the run: template, names and namespaces as `run`.

    `due_offset(k)` is the run's open-model schedule (benchkit.load.schedule.RateProfile.due_offset).
    """
    tpl = template.load(settings.spark_template)
    out = []
    for seq in range(settings.total):
        namespace = template.namespace_for(seq, settings.spark_namespaces)
        app = template.render(tpl, run_id=PLAN_RUN_ID, scenario=settings.scenario, seq=seq, namespace=namespace,
                              app_seconds=settings.app_seconds)  # fmt: skip
        out.append((due_offset(seq), app))
    return out


def pods_per_app(app: dict[str, Any]) -> int:
    """Driver + executor instances of one app."""
    return 1 + int((app.get("spec") or {}).get("executor", {}).get("instances") or 0)

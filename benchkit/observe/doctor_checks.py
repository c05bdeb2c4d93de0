"""Doctor rows for Prometheus (read-only): reachable, scraping the operator (its target's `up` is 1), and
every series the dashboards query present."""

from __future__ import annotations

import json
import re

from benchkit.checks import Row, fail, ok, warn
from benchkit.observe import dashboards
from benchkit.observe.promql import PromClient, QueryError

OPERATOR_SERIES = "controller_runtime_active_workers"
"""Exported by the operator's controller-runtime manager (the dashboards' operator selector keys on it)."""
LOOKBACK = "10m"
OPERATOR_UP = ("up * on(job, instance) group_left() "
               f"group by (job, instance) (last_over_time({OPERATOR_SERIES}[{LOOKBACK}]))")  # fmt: skip
"""`up` of every target that exported the operator's series lately (0 when it stopped answering)."""
_METRIC = re.compile(r"([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{")


RENAMED = {"apiserver_resource_objects": "apiserver_storage_objects",
           "apiserver_storage_objects": "apiserver_resource_objects"}  # fmt: skip
"""One fact under two names across the supported versions (Kubernetes 1.34 renamed the object count); the
dashboards query both, so either one present is enough."""


def dashboard_series() -> list[str]:
    """Metric names the generated dashboards select (`name{...}` in their queries), sorted."""
    names: set[str] = set()
    for text in dashboards.render_all().values():
        for panel in json.loads(text).get("panels") or []:
            for target in panel.get("targets") or []:
                names.update(_METRIC.findall(str(target.get("expr", ""))))
    return sorted(names)


def prometheus_rows(prom: PromClient, *, absent_series_fail: bool = True) -> list[Row]:
    """`absent_series_fail=False` (the twin, which models no kube-state-metrics or cAdvisor): a warn instead."""
    if not prom.ready():
        return [fail("prometheus", f"{prom.base_url} is not ready (/-/ready)",
                     "start Prometheus or its port-forward, or pass the right --prometheus-url")]  # fmt: skip
    rows = [ok("prometheus", f"{prom.base_url} ready")]
    try:
        up = prom.instant(OPERATOR_UP).series
    except (QueryError, OSError) as exc:
        return [*rows, warn("operator scrape", f"not checked: {exc}")]
    if not up:
        rows.append(fail("operator scrape", f"no target has exported {OPERATOR_SERIES} in the last {LOOKBACK}",
                         "check the operator's PodMonitor/ServiceMonitor selects its pod (prometheus.podMonitor in "
                         "the chart values)"))  # fmt: skip
    elif any(s.points[-1][1] != 1.0 for s in up):
        down = [s.labels.get("instance", "?") for s in up if s.points[-1][1] != 1.0]
        rows.append(fail("operator scrape", f"operator target(s) down: {', '.join(down)}",
                         "kubectl -n <operator namespace> get pods; check the metrics port"))  # fmt: skip
    else:
        rows.append(ok("operator scrape", f"{len(up)} target(s) up: {', '.join(s.labels.get('job', '?') for s in up)}"))
    rows.append(_series_row(prom, absent_series_fail))
    return rows


def _series_row(prom: PromClient, absent_fail: bool) -> Row:
    wanted = dashboard_series()
    try:
        present = set(prom.label_values("__name__"))
    except (QueryError, OSError) as exc:
        return warn("dashboard series", f"not checked: {exc}")
    missing = [name for name in wanted if name not in present and RENAMED.get(name) not in present]
    if missing and not absent_fail:
        return warn("dashboard series", f"{len(missing)} of {len(wanted)} absent (not modelled by this target): "
                    f"{', '.join(missing)}")  # fmt: skip
    if missing:
        return fail("dashboard series", f"{len(missing)} of {len(wanted)} absent: {', '.join(missing[:5])}"
                    + (" ..." if len(missing) > 5 else ""),
                    "make Prometheus scrape the component that exports them (operator, API server, nodes)")  # fmt: skip
    return ok("dashboard series", f"all {len(wanted)} present")

"""Generate the Grafana dashboards in `dashboards/` (the committed JSON is what Grafana loads).

    uv run benchkit dashboards            # rewrite dashboards/*.json
    uv run benchkit dashboards --check    # exit 1 if the committed JSON is stale

Every panel reads the datasource from the `datasource` template variable (no datasource UID is written
down). Counters are only ever used through rate()/increase() over a window and gauges never are; ratios
divide windowed increases, never lifetime counters (the reference dashboard did both, see docs/observe.md).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from benchkit.errors import StaleGenerated
from benchkit.observe.dashboard_panels import CLUSTER, OPERATOR, Panel, Row
from benchkit.spark import operator_versions

SCHEMA_VERSION = 39
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
PANEL_WIDTH = 12
PANEL_HEIGHT = 8
GRID_COLUMNS = 24
DEFAULT_DIR = Path(__file__).resolve().parents[2] / "dashboards"
"""The committed dashboards (the repository's `dashboards/`)."""
REGENERATE = "benchkit dashboards"


def _variables(with_controller: bool, chart_version: str | None = None) -> list[dict[str, Any]]:
    variables: list[dict[str, Any]] = [{
        "name": "datasource", "label": "Data source", "type": "datasource", "query": "prometheus",
        "current": {}, "hide": 0, "includeAll": False, "multi": False, "options": [], "refresh": 1, "regex": "",
    }]  # fmt: skip
    if with_controller:
        names = "|".join(operator_versions.CONTROLLER_NAMES)
        query = f'label_values(controller_runtime_max_concurrent_reconciles{{controller=~"{names}"}}, controller)'
        default = operator_versions.controller_name(chart_version)
        variables.append({
            "name": "controller", "label": "Controller", "type": "query", "datasource": DATASOURCE,
            "definition": query, "query": {"query": query, "refId": "PrometheusVariableQueryEditor-VariableQuery"},
            "current": {"selected": True, "text": default, "value": default},
            "hide": 0, "includeAll": False, "multi": False, "options": [], "refresh": 2, "regex": "", "sort": 1,
            "description": "The SparkApplication controller: spark-application-controller on chart 2.1.0-2.4.x, "
                           "sparkapplication from 2.5.0 (kubeflow/spark-operator v2.1.0 and v2.4.0, v2.5.0 and "
                           "v2.5.2 internal/controller/sparkapplication/controller.go SetupWithManager). The "
                           "default follows the chart infra deploys.",
        })  # fmt: skip
    return variables


def _panel(panel: Panel, panel_id: int, x: int, y: int) -> dict[str, Any]:
    targets = [
        {"datasource": DATASOURCE, "refId": chr(ord("A") + i), "expr": t.expr, "legendFormat": t.legend,
         "range": panel.kind == "timeseries", "instant": panel.kind == "stat"}
        for i, t in enumerate(panel.targets)
    ]  # fmt: skip
    defaults: dict[str, Any] = {"unit": panel.unit}
    if panel.kind == "timeseries":
        defaults["custom"] = {"drawStyle": "line", "lineWidth": 1, "fillOpacity": 10, "showPoints": "never",
                              "spanNulls": False, "axisLabel": panel.axis_label}  # fmt: skip
        options: dict[str, Any] = {"legend": {"displayMode": "table", "placement": "bottom", "calcs": ["max", "mean"],
                                              "showLegend": True},
                                   "tooltip": {"mode": "multi", "sort": "desc"}}  # fmt: skip
    else:
        options = {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                   "colorMode": "value", "graphMode": "none", "textMode": "value_and_name"}  # fmt: skip
    return {
        "id": panel_id, "type": panel.kind, "title": panel.title, "description": panel.description,
        "datasource": DATASOURCE, "gridPos": {"h": PANEL_HEIGHT, "w": PANEL_WIDTH, "x": x, "y": y},
        "targets": targets, "fieldConfig": {"defaults": defaults, "overrides": []}, "options": options,
    }  # fmt: skip


def build(title: str, uid: str, description: str, items: list[Row | Panel], with_controller: bool, *,
          chart_version: str | None = None) -> dict[str, Any]:  # fmt: skip
    """A dashboard dict: rows span the width, panels flow two per line below their row."""
    panels: list[dict[str, Any]] = []
    y, x, panel_id = 0, 0, 1
    for item in items:
        if isinstance(item, Row):
            y += PANEL_HEIGHT if x else 0
            x = 0
            panels.append({"id": panel_id, "type": "row", "title": item.title, "collapsed": False, "panels": [],
                           "gridPos": {"h": 1, "w": GRID_COLUMNS, "x": 0, "y": y}})  # fmt: skip
            y += 1
        else:
            panels.append(_panel(item, panel_id, x, y))
            x += PANEL_WIDTH
            if x >= GRID_COLUMNS:
                x, y = 0, y + PANEL_HEIGHT
        panel_id += 1
    return {
        "title": title, "uid": uid, "description": description, "tags": ["benchkit", "spark-operator"],
        "editable": True, "graphTooltip": 1, "schemaVersion": SCHEMA_VERSION, "version": 1,
        "time": {"from": "now-1h", "to": "now"}, "refresh": "10s", "timezone": "browser",
        "templating": {"list": _variables(with_controller, chart_version)}, "annotations": {"list": []},
        "links": [], "panels": panels,
    }  # fmt: skip


def render_all(chart_version: str | None = None) -> dict[str, str]:
    """File name -> JSON text, for every dashboard; `$controller` defaults to the name under `chart_version`
    (the committed JSON: the default chart, 2.1.0; infra renders it for the chart it deploys)."""
    operator = build(
        "Spark Operator benchmark", "benchkit-spark-operator",
        "What the Spark Operator does with the load benchkit offers: throughput, backlog, latency, work queue, "
        "workers, CPU. Generated by benchkit/observe/dashboards.py; edit there, not here.",
        OPERATOR, with_controller=True, chart_version=chart_version,
    )  # fmt: skip
    cluster = build(
        "Cluster under load", "benchkit-cluster-under-load",
        "The Kubernetes control plane and nodes during a benchkit run: API-server latency and request rates, "
        "stored objects, pending pods, nodes. Generated by benchkit/observe/dashboards.py; edit there, not here.",
        CLUSTER, with_controller=False,
    )  # fmt: skip
    return {
        "spark-operator-benchmark.json": json.dumps(operator, indent=2) + "\n",
        "cluster-under-load.json": json.dumps(cluster, indent=2) + "\n",
    }


def write(out_dir: Path = DEFAULT_DIR) -> list[Path]:
    """Write every dashboard into `out_dir`; the paths written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in render_all().items():
        path = out_dir / name
        path.write_text(text)
        written.append(path)
    return written


def check(out_dir: Path = DEFAULT_DIR) -> None:
    """Raise `StaleGenerated` (exit 1) naming every dashboard in `out_dir` that is missing or differs from the
    generator's output."""
    stale = [str(out_dir / name) for name, text in render_all().items()
             if not (out_dir / name).is_file() or (out_dir / name).read_text() != text]  # fmt: skip
    if stale:
        raise StaleGenerated(f"stale (run {REGENERATE}): {', '.join(stale)}")

"""The operator dashboard and profile on the twin's chart 2.5.x personality (the 2.1.0 default is the shared
environment's twin, tests/observe/test_dashboards.py and test_collection.py).

kubeflow/spark-operator renamed the SparkApplication controller between v2.4.0 and v2.5.0
(internal/controller/sparkapplication/controller.go: Named("spark-application-controller") at v2.1.0,
Named(strings.ToLower(kind)) at v2.5.2): every `$controller` query must return data under the name of the chart
the run recorded, and the other name must find nothing (the selector really picks the series).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from benchkit.observe import profiles
from benchkit.observe.collect import Window, choose_params, operator_chart
from benchkit.observe.local import LocalPrometheus, ScrapeTarget, find_binary
from benchkit.observe.promql import PromClient
from benchkit.spark import operator_versions
from benchkit.twin.process import TwinProcess

DASHBOARD = Path(__file__).resolve().parents[2] / "dashboards" / "spark-operator-benchmark.json"
TOLERATION = {"key": "spark-operator-benchmark-ng", "operator": "Exists", "effect": "NoSchedule"}
pytestmark = [pytest.mark.slow, pytest.mark.skipif(find_binary() is None, reason="prometheus is not installed")]


def _app(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "sparkoperator.k8s.io/v1beta2", "kind": "SparkApplication",
        "metadata": {"name": name, "labels": {"benchkit.io/run-id": "personality"}},
        "spec": {"type": "Scala", "mode": "cluster", "image": "spark:3.5.3", "sparkVersion": "3.5.3",
                 "mainClass": "org.apache.spark.examples.SparkPi", "arguments": ["1", "0.5"],
                 "mainApplicationFile": "local:///opt/spark/examples/jars/spark-examples.jar",
                 "restartPolicy": {"type": "Never"},
                 "driver": {"cores": 1, "memory": "512m", "serviceAccount": "spark", "tolerations": [TOLERATION]},
                 "executor": {"cores": 1, "instances": 1, "memory": "512m", "tolerations": [TOLERATION]}},
    }  # fmt: skip


@pytest.fixture(scope="module")
def scraped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[PromClient, float, float]]:
    workdir = tmp_path_factory.mktemp("personality")
    with TwinProcess(nodes=4, operator_workers=1, operator_chart="2.5.2", workdir=workdir / "twin") as twin:
        prom = LocalPrometheus([ScrapeTarget("twin", f"{twin.url}/metrics", twin.token, twin.ca_file)],
                               scrape_interval=1.0).start()  # fmt: skip
        try:
            prom.wait_for_targets()
            start = time.time()
            for i in range(12):
                status, _ = twin.request("POST", "/apis/sparkoperator.k8s.io/v1beta2/namespaces/default/"
                                         "sparkapplications", _app(f"p-{i}"))  # fmt: skip
                assert status == 201
                time.sleep(0.2)
            _wait_until_finished(twin, 12)
            prom.wait_for_scrapes(2)  # a few scrapes see them finished (the rate windows are 4 s)
            yield prom.client, start, time.time()
        finally:
            prom.stop()


def _wait_until_finished(twin: TwinProcess, count: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    states: list[str] = []
    while time.monotonic() < deadline:
        status, body = twin.request("GET", "/apis/sparkoperator.k8s.io/v1beta2/namespaces/default/sparkapplications")
        assert status == 200
        states = [((a.get("status") or {}).get("applicationState") or {}).get("state", "") for a in body["items"]]
        if len(states) == count and all(s in ("COMPLETED", "FAILED") for s in states):
            return
        time.sleep(0.2)
    raise AssertionError(f"the apps did not finish within {timeout:g} s: {states}")


def _operator_targets() -> list[tuple[str, str]]:
    doc = json.loads(DASHBOARD.read_text())
    return [(p["title"], t["expr"]) for p in doc["panels"] for t in p.get("targets", []) if "$controller" in t["expr"]]


def test_the_dashboard_resolves_and_feeds_the_25x_controller(scraped: tuple[PromClient, float, float]) -> None:
    prom, start, end = scraped
    var = next(v for v in json.loads(DASHBOARD.read_text())["templating"]["list"] if v["name"] == "controller")
    match = re.fullmatch(r"label_values\((\w+\{[^}]*\}),\s*(\w+)\)", var["definition"])
    assert match is not None
    assert prom.label_values(match[2], match[1]) == ["sparkapplication"]  # exactly one: no other controller
    targets = _operator_targets()
    assert len(targets) >= 8
    variables = {"$__rate_interval": "4s", "$__range": f"{int(end - start)}s"}
    for name, expected in (("sparkapplication", True), ("spark-application-controller", False)):
        for title, expr in targets:
            query = expr.replace("$controller", name)
            for key, value in variables.items():
                query = query.replace(key, value)
            result = prom.range(query, start, end, step=1.0)
            has_data = any(p[1] == p[1] for s in result.series for p in s.points)
            if "or vector(0)" in query:
                continue  # always has data by design
            assert has_data == expected, f"{title}: {query} with controller {name}"


def test_the_profile_feeds_the_controller_of_the_recorded_chart(
    scraped: tuple[PromClient, float, float], tmp_path: Path
) -> None:
    prom, start, end = scraped
    (tmp_path / "manifest.json").write_text(json.dumps({"embedded_twin": {"operator_chart": "2.5.2"}}))
    chart = operator_chart(tmp_path)
    assert chart == "2.5.2"
    params = choose_params(Window(start, end), scrape_interval=1.0, chart_version=chart)
    assert params.variables()["controller"] == operator_versions.NEW_CONTROLLER
    using = [m for m in profiles.load(("operator",)) if "$controller" in m.query]
    assert len(using) >= 7
    for metric in using:
        query = metric.render(**params.variables())
        result = prom.instant(query, end) if metric.kind == "instant" else prom.range(query, start, end, 1.0)
        assert any(p[1] == p[1] for s in result.series for p in s.points), f"{metric.name}: {query}"


def test_the_25x_submit_latency_panel_has_data(scraped: tuple[PromClient, float, float]) -> None:
    """The panel on spark_application_submit_latency_seconds_histogram (kubeflow/spark-operator v2.5.1+, v2.5.2
    internal/metrics/sparkapplication_metrics.go: observed once per app, at its first change to SUBMITTED):
    every quantile has data, and the histogram counted each of the 12 apps once. Under chart 2.1.0 (the shared
    twin of test_dashboards.py) the same queries must find nothing (its CANNOT_FEED)."""
    prom, start, end = scraped
    doc = json.loads(DASHBOARD.read_text())
    (panel,) = [p for p in doc["panels"] if p["title"].startswith("Submit latency")]
    assert len(panel["targets"]) == 3
    for target in panel["targets"]:
        query = target["expr"].replace("$__rate_interval", "4s")
        assert "spark_application_submit_latency_seconds_histogram_bucket" in query
        result = prom.range(query, start, end, step=1.0)
        values = [p[1] for s in result.series for p in s.points if p[1] == p[1]]
        assert values, f"{panel['title']}: {query}"
        assert all(0 < v <= 256 for v in values), values  # within the top finite bucket (the chart's default)
    (count,) = prom.instant("sum(spark_application_submit_latency_seconds_histogram_count)", end).series
    assert count.points[-1][1] == 12

"""Collection against a real Prometheus that scraped the twin during two real `benchkit run`s."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path
from typing import Any

import observekit
import pytest

from benchkit.errors import CollectionError
from benchkit.observe import collect, profiles
from benchkit.observe.promql import PromClient, QueryError
from benchkit.spark import operator_versions

pytestmark = pytest.mark.slow
CORE = {
    "operator_seen_per_min", "operator_submitted_per_min", "operator_completed_per_min", "operator_running_apps",
    "workqueue_depth", "workqueue_adds_per_s", "workqueue_queue_p99", "workqueue_work_p99", "operator_active_workers",
    "operator_max_workers", "operator_cpu_cores", "operator_start_latency_p99", "operator_submitted_in_window",
    "workqueue_depth_max", "apiserver_latency_p99_by_verb", "apiserver_requests_by_code", "apiserver_objects",
    "apiserver_sparkapplication_requests_by_verb", "nodes_ready", "pods_by_phase", "operator_container_memory_bytes",
    "operator_restarts", "apiserver_flowcontrol_seats", "node_cpu_utilisation",
}  # fmt: skip
# Profile metrics the twin cannot feed. None since it exports API Priority and Fairness seats
# (benchkit/twin/flowcontrol.py) and node-exporter's CPU counters (benchkit/twin/node_exporter.py).
NOT_ON_THE_TWIN: set[str] = set()


def _report(run: Path) -> dict[str, dict[str, object]]:
    doc = json.loads((run / "metrics" / "collection.json").read_text())
    return {m["name"]: m for m in doc["metrics"]}


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


def test_benchkit_run_collected_every_profile_metric(observed: observekit.Environment) -> None:
    report = _report(observed.base.path)
    assert set(report) == {m.name for m in profiles.load()}
    errors = {n: m["error"] for n, m in report.items() if m["status"] == "error"}
    assert not errors, f"queries that did not run on a real Prometheus: {errors}"
    ok = {n for n, m in report.items() if m["status"] == "ok"}
    assert ok >= CORE, f"missing: {CORE - ok}"
    assert {n for n, m in report.items() if m["status"] == "empty"} == NOT_ON_THE_TWIN
    for name in ok:
        assert (observed.base.path / "metrics" / f"{name}.csv").is_file()
    for name in NOT_ON_THE_TWIN:
        assert not (observed.base.path / "metrics" / f"{name}.csv").exists()
    assert f"metrics from {observed.prometheus.url}: {len(report)} metrics: {len(ok)} ok" in observed.base.output
    assert ("without data" in observed.base.output) == bool(NOT_ON_THE_TWIN)


def test_csv_values_match_the_run(observed: observekit.Environment) -> None:
    window = collect.run_window(observed.base.path)
    submitted = _rows(observed.base.path / "metrics" / "operator_submitted_in_window.csv")
    assert len(submitted) == 1
    assert 45 <= float(submitted[0]["value"]) <= 75  # 60 submissions; increase() extrapolates at the edges
    depth = _rows(observed.base.path / "metrics" / "workqueue_depth.csv")
    stamps = [float(r["timestamp"]) for r in depth]
    assert stamps == sorted(stamps) and stamps[0] >= window.start - 1e-3
    assert abs(stamps[-1] - window.end) < 1e-3  # the end-of-window instant point
    assert abs(float(depth[0]["elapsed_s"]) - (stamps[0] - window.start)) < 1e-3
    by_verb = {r["verb"] for r in _rows(observed.base.path / "metrics" / "apiserver_latency_p99_by_verb.csv")}
    assert {"POST", "DELETE"} <= by_verb  # creates by benchkit, deletes of finished apps (scenario delete)


def test_saturation_shows_in_the_collected_queue_depth(observed: observekit.Environment) -> None:
    def deepest(run: Path) -> float:
        return float(_rows(run / "metrics" / "workqueue_depth_max.csv")[0]["value"])

    assert deepest(observed.candidate.path) > deepest(observed.base.path) + 5


def test_collect_cli_recollects_with_a_custom_profile(observed: observekit.Environment, tmp_path: Path) -> None:
    run = tmp_path / "run"  # a copy: other tests read the shared run folder
    shutil.copytree(observed.base.path, run)
    mine = tmp_path / "mine.yaml"
    mine.write_text("- {name: my_depth, kind: range, query: 'max(workqueue_depth)', unit: items}\n"
                    "- {name: my_typo, kind: range, query: 'sum(rate(nonexistent_total[$rate]))'}\n"
                    "- {name: my_bad, kind: instant, query: 'sum(rate(x[5m])'}\n")  # fmt: skip
    proc = observekit.benchkit("collect", str(run), "--prometheus-url", observed.prometheus.url, "--profile", str(mine),
                               "--step", "2", "--scrape-interval", "1")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "ok     my_depth" in proc.stdout and "empty  my_typo" in proc.stdout and "error  my_bad" in proc.stdout
    assert "3 metrics: 1 ok, 1 without data (my_typo), 1 failed (my_bad)" in proc.stdout
    report = _report(run)
    assert report["my_bad"]["error"].startswith("bad_data:")
    rows = _rows(run / "metrics" / "my_depth.csv")
    assert len(rows) >= 3 and float(rows[1]["timestamp"]) - float(rows[0]["timestamp"]) == pytest.approx(2.0)


def test_collect_cli_errors(observed: observekit.Environment, tmp_path: Path) -> None:
    run = str(shutil.copytree(observed.base.path, tmp_path / "run"))  # a copy: other tests read the shared one
    before = _files(Path(run) / "metrics")
    down = observekit.benchkit("collect", run, "--prometheus-url", "http://127.0.0.1:1")
    assert down.returncode == 1 and "unreachable" in down.stderr and len(down.stderr.strip().splitlines()) == 1
    assert _files(Path(run) / "metrics") == before  # an unreachable Prometheus changes nothing
    for args, message in [
        (["collect", str(tmp_path), "--prometheus-url", "http://x"], "not a run folder"),
        (["collect", run], "exactly one of --prometheus-url or --stack"),
        (["collect", run, "--prometheus-url", "http://x", "--profile", "nope"], "not a built-in profile"),
        (["collect", run, "--prometheus-url", "http://x", "--step", "0"], "must be > 0"),
    ]:
        proc = observekit.benchkit(*args)
        assert proc.returncode == 2 and message in proc.stderr, (args, proc.stderr)


def test_recollect_merges_by_metric_name(observed: observekit.Environment, tmp_path: Path) -> None:
    """--profile X replaces X's entries only; a failed query keeps the earlier good entry and its CSV."""
    run = shutil.copytree(observed.base.path, tmp_path / "run")
    before = _report(run)
    kept_csv = (run / "metrics" / "operator_active_workers.csv").read_bytes()
    mine = tmp_path / "mine.yaml"
    mine.write_text("- {name: workqueue_depth, kind: range, query: 'sum(workqueue_depth) * 2', unit: items x2}\n"
                    "- {name: operator_active_workers, kind: instant, query: 'sum(rate(x[5m])'}\n"
                    "- {name: my_new, kind: instant, query: 'vector(7)'}\n")  # fmt: skip
    proc = observekit.benchkit("collect", str(run), "--prometheus-url", observed.prometheus.url, "--profile", str(mine),
                               "--scrape-interval", "1")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    after = _report(run)
    assert set(after) == set(before) | {"my_new"}
    untouched = set(before) - {"workqueue_depth", "operator_active_workers"}
    assert {n: after[n] for n in untouched} == {n: before[n] for n in untouched}
    depth = after["workqueue_depth"]
    assert (depth["query"], depth["unit"]) == ("sum(workqueue_depth) * 2", "items x2")
    assert after["operator_active_workers"]["status"] == "ok"
    assert after["operator_active_workers"]["query"] == before["operator_active_workers"]["query"]
    assert after["operator_active_workers"]["last_error"]["error"].startswith("bad_data:")
    assert (run / "metrics" / "operator_active_workers.csv").read_bytes() == kept_csv
    assert _rows(run / "metrics" / "my_new.csv")[0]["value"] == "7.0"
    assert not list((run / "metrics").glob("*.tmp"))


class _GoesAway(PromClient):
    """Answers the probe and the first few queries, then is unreachable (a port-forward that died)."""

    def __init__(self, url: str, answers: int) -> None:
        super().__init__(url)
        self.answers = answers

    def _request(self, req: Any) -> Any:
        self.answers -= 1
        if self.answers < 0:
            raise QueryError("unreachable", f"{self.base_url}: connection refused")
        return super()._request(req)


def test_prometheus_going_away_keeps_what_was_collected(observed: observekit.Environment, tmp_path: Path) -> None:
    run = shutil.copytree(observed.base.path, tmp_path / "run")
    before = _report(run)
    metrics = [profiles.Metric(name="workqueue_depth", kind="instant", query="vector(3)"),
               profiles.Metric(name="operator_active_workers", kind="instant", query="vector(4)")]  # fmt: skip
    window = collect.run_window(run)
    with pytest.raises(CollectionError, match="went away"):
        collect.collect(_GoesAway(observed.prometheus.url, answers=2), metrics, window,
                        collect.choose_params(window, 1.0), run)  # fmt: skip
    after = _report(run)
    assert after["workqueue_depth"]["query"] == "vector(3)"  # collected before Prometheus went away
    assert after["operator_active_workers"] == before["operator_active_workers"]
    assert set(after) == set(before)
    with pytest.raises(CollectionError, match="unreachable"):
        collect.collect(_GoesAway(observed.prometheus.url, answers=0), metrics, window,
                        collect.choose_params(window, 1.0), run)  # fmt: skip
    assert _report(run) == after


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_client_reports_errors_per_query(observed: observekit.Environment) -> None:
    prom = observed.prometheus.client
    with pytest.raises(QueryError) as info:
        prom.instant("sum(rate(workqueue_adds_total[1m])")
    assert info.value.kind == "bad_data"
    assert prom.instant("vector(2)").series[0].points[0][1] == 2.0
    # the shared twin stands in for chart 2.1.0: its controller registers as spark-application-controller
    assert operator_versions.controller_name("2.1.0") in prom.label_values(
        "controller", "controller_runtime_active_workers"
    )
    with pytest.raises(QueryError) as info:
        PromClient("http://127.0.0.1:9", timeout=2).instant("up")
    assert info.value.kind == "unreachable"

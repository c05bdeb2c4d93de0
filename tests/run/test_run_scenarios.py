"""`benchkit run` end to end against the twin over HTTPS: both scenarios, cleanup, the embedded twin."""

from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path

import pytest
import yaml

from benchkit.kube import cleanup as kube_cleanup
from benchkit.kube import connect
from benchkit.spark import template
from tests.run.conftest import (
    apps_csv,
    benchkit,
    events,
    load_summary,
    locust_totals,
    only_run_dir,
    run_args,
    run_objects,
)

pytestmark = pytest.mark.slow  # each test is a real `benchkit run` (15-30 s)


def test_delete_scenario_tracks_and_deletes_every_app(make_twin, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    twin = make_twin()
    results = tmp_path / "runs"
    proc = benchkit(*run_args(twin, results, "--total-jobs", "45", "--jobs-per-min", "900", "--app-seconds", "1",
                              "--scenario", "delete", "--timeout", "60"))  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    run_dir = only_run_dir(results)
    s = load_summary(run_dir)
    assert s["end"] == "done"
    assert s["jobs"] == {"planned": 45, "submitted": 45, "created": 45, "create_failed": 0, "outcome_unknown": 0,
                         "not_submitted": 0, "completed": 45, "failed": 0, "unfinished": 0,
                         "seen_not_sent": 0}  # fmt: skip
    assert s["tracking"]["deleted_by_benchkit"] == 45 and s["tracking"]["pods_seen"] == 45 * 6
    assert {ns: row["created"] for ns, row in s["namespaces"].items()} == {f"spark-team-{x}": 15 for x in "abc"}
    for phase in ("create_call", "create_to_submitted", "create_to_running", "create_to_terminal", "status_lag"):
        assert s["latency_s"][phase]["count"] == 45, phase
    assert 0 < s["latency_s"]["create_to_submitted"]["p50"] <= s["latency_s"]["create_to_running"]["p50"]
    assert s["latency_s"]["create_to_terminal"]["p50"] >= 1.0  # the apps sleep 1 s
    rows = apps_csv(run_dir)
    assert len(rows) == 45 and {r["final_state"] for r in rows} == {"COMPLETED"}
    assert all(r["deleted_by"] == "benchkit" and r["executors_started"] == "5" for r in rows)
    assert locust_totals(run_dir) == (45, 0)
    # nothing of the run is left on the cluster, and the manifest holds no credential
    assert run_objects(twin, s["run_id"]) == {"sparkapplications": [], "pods": []}
    manifest = (run_dir / "manifest.json").read_text()
    assert twin.token not in manifest and "BEGIN CERTIFICATE" not in manifest
    m = json.loads(manifest)
    assert m["settings"]["total"] == 45 and m["target"]["version"]["gitVersion"]
    assert m["target"]["nodes_by_group"]["spark-operator-benchmark-ng"]["nodes"] == 20
    # every app event has both clocks, and the server's timestamps
    apps_seen = [e for e in events(run_dir) if e["ev"] == "app" and e["state"] == "COMPLETED"]
    assert len(apps_seen) == 45 and all(e["server"]["terminationTime"] for e in apps_seen)


def test_keep_scenario_keeps_objects_until_cleanup_by_label(make_twin, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    twin = make_twin()
    results = tmp_path / "runs"
    proc = benchkit(*run_args(twin, results, "--total-jobs", "30", "--jobs-per-min", "900", "--app-seconds", "1",
                              "--scenario", "keep", "--no-cleanup", "--timeout", "60"))  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    run_dir = only_run_dir(results)
    s = load_summary(run_dir)
    assert (s["jobs"]["completed"], s["tracking"]["deleted_by_benchkit"]) == (30, 0)
    kept = run_objects(twin, s["run_id"])
    assert len(kept["sparkapplications"]) == 30
    assert {a["status"]["applicationState"]["state"] for a in kept["sparkapplications"]} == {"COMPLETED"}
    # a second run's objects, and an unlabelled app, must survive this run's cleanup
    proc = benchkit(*run_args(twin, results, "--total-jobs", "3", "--jobs-per-min", "600", "--app-seconds", "30",
                              "--scenario", "keep", "--no-cleanup", "--timeout", "1"))  # fmt: skip
    other_id = next(p.name for p in results.iterdir() if p.name != s["run_id"])
    assert len(run_objects(twin, other_id)["sparkapplications"]) == 3
    target = connect.connect(twin.kubeconfig)
    deleted, remaining = kube_cleanup.delete_run(
        target.api, s["run_id"], ("spark-team-a", "spark-team-b", "spark-team-c")
    )
    assert (deleted, remaining) == (30, 0)
    assert run_objects(twin, s["run_id"]) == {"sparkapplications": [], "pods": []}
    assert len(run_objects(twin, other_id)["sparkapplications"]) == 3


def test_keep_outlives_the_templates_ttl(make_twin, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A template with timeToLiveSeconds 1: with keep, no app is deleted by the operator, during or after the run."""
    twin = make_twin()
    body = template.load().body
    body["spec"][template.TTL_FIELD] = 1
    short_ttl = tmp_path / "short-ttl.yaml"
    short_ttl.write_text(yaml.safe_dump(body))
    results = tmp_path / "runs"
    proc = benchkit(*run_args(twin, results, "--total-jobs", "20", "--jobs-per-min", "300", "--app-seconds", "1",
                              "--scenario", "keep", "--no-cleanup", "--timeout", "60",
                              "--spark-template", str(short_ttl)))  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    run_dir = only_run_dir(results)
    s = load_summary(run_dir)
    assert s["jobs"]["completed"] == 20 and s["duration_s"] > 4  # the first apps ended > TTL before the run did
    assert (s["tracking"]["deleted_by_server"], s["tracking"]["deleted_by_benchkit"]) == (0, 0)
    # more than the TTL after the last app ended (the server's termination times have whole seconds: +1 s)
    ended = max(datetime.fromisoformat(r["termination_time"].replace("Z", "+00:00")) for r in apps_csv(run_dir))
    time.sleep(max(0.0, ended.timestamp() + 1 + 2.5 - time.time()))
    kept = run_objects(twin, s["run_id"])
    assert len(kept["sparkapplications"]) == 20  # and each one's driver pod (executors go when an app ends)
    assert sorted(p["metadata"]["name"] for p in kept["pods"]) == sorted(
        f"{a['metadata']['name']}-driver" for a in kept["sparkapplications"])  # fmt: skip
    assert all(template.TTL_FIELD not in a["spec"] for a in kept["sparkapplications"])
    m = json.loads((run_dir / "manifest.json").read_text())
    assert m["time_to_live_seconds"] == {"template": 1, "apps": None}


def test_embedded_twin_says_so_first_and_runs(tmp_path: Path) -> None:
    results = tmp_path / "runs"
    proc = benchkit("run", "--total-jobs", "12", "--jobs-per-min", "600", "--app-seconds", "1", "--nodes", "10",
                    "--operator-workers", "4", "--results-dir", str(results), "--timeout", "60")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.splitlines()[0].startswith("benchkit: no --kubeconfig, --context or --stack given: running "
                                                  "against the embedded twin")  # fmt: skip
    run_dir = only_run_dir(results)
    s = load_summary(run_dir)
    assert s["jobs"]["completed"] == 12 and s["cleanup"] == {"deleted": 0, "remaining": 0}
    m = json.loads((run_dir / "manifest.json").read_text())
    assert m["embedded_twin"]["operator_workers"] == 4 and m["embedded_twin"]["nodes"] == 10
    assert m["embedded_twin"]["webhook"] is True and proc.stderr.splitlines()[0].endswith("webhook on)")  # default
    assert f"results: {run_dir}" in proc.stdout


def test_embedded_twin_with_the_webhook_off_records_it(tmp_path: Path) -> None:
    """The webhook's absence is in the manifest (what `benchkit compare` diffs). The run's metrics/ would say
    nothing either way: no collection profile queries the admission series; tests/twin/test_exporter_metrics.py
    checks that the twin does not export it with the webhook off."""
    results = tmp_path / "runs"
    proc = benchkit("run", "--webhook", "off", "--total-jobs", "12", "--jobs-per-min", "1200", "--app-seconds", "1",
                    "--nodes", "4", "--prometheus-url", "off", "--results-dir", str(results),
                    "--timeout", "60")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.splitlines()[0].endswith("webhook off)")
    run_dir = only_run_dir(results)
    assert load_summary(run_dir)["jobs"]["completed"] == 12
    m = json.loads((run_dir / "manifest.json").read_text())
    assert m["embedded_twin"]["webhook"] is False and m["settings"]["webhook"] == "off"

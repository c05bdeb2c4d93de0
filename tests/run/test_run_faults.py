"""Faults end to end: API errors with exact counts, watch cuts and 410 Gone, kill -9 then summarize, Ctrl-C."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import pytest

from benchkit.kube import cleanup as kube_cleanup
from benchkit.kube import connect
from tests.run.conftest import (
    NAMESPACES,
    REPO,
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


def test_api_faults_are_retried_and_counted_exactly(make_twin, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    twin = make_twin(fault_rate=0.8, seed=11)  # 429 / 500 / dropped connection on 80% of writes
    # connections dropped before the write, so some jobs do exhaust their retries (the after-write case, where
    # the app exists though no answer came back, is recovered by a GET and counted as created)
    twin.admin("POST", "faults", {"reset_before_write": True})
    results = tmp_path / "runs"
    proc = benchkit(*run_args(twin, results, "--total-jobs", "60", "--jobs-per-min", "1200", "--app-seconds", "1",
                              "--scenario", "keep", "--no-cleanup", "--timeout", "60"))  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    run_dir = only_run_dir(results)
    s = load_summary(run_dir)
    jobs, api = s["jobs"], s["api"]
    assert jobs["submitted"] == 60 == jobs["created"] + jobs["create_failed"] and jobs["outcome_unknown"] == 0
    assert jobs["create_failed"] > 0 and api["retries"] > 60
    # Locust saw one request per job, and exactly the failed ones as failures
    assert locust_totals(run_dir) == (60, jobs["create_failed"])
    # every attempt reached the server and is counted; every app the server holds was counted as created
    server = twin.admin("GET", "stats")
    assert server["requests"]["POST sparkapplications"] == api["create_attempts"]
    assert api["create_attempts"] == 60 + api["retries"]
    twin.admin("POST", "faults", {"fault_rate": 0.0})
    held = {a["metadata"]["name"] for a in run_objects(twin, s["run_id"])["sparkapplications"]}
    created = {r["app"] for r in apps_csv(run_dir) if r["create_ok"] == "True"}
    assert held == created and len(created) == jobs["created"]
    assert jobs["completed"] == jobs["created"]


def test_watch_cuts_and_410_lose_no_transition(make_twin, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    twin = make_twin(watch_cut_every=1.0)
    results = tmp_path / "runs"
    cmd = [sys.executable, "-m", "benchkit", *run_args(twin, results, "--total-jobs", "90", "--jobs-per-min", "900",
           "--app-seconds", "2", "--scenario", "keep", "--no-cleanup", "--timeout", "60")]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    run_dir = _wait_for_events(results, "submit", 30)
    compacted = twin.admin("POST", "faults", {"compact": True, "cut_watches": True})  # old resourceVersions: 410
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    journal = events(run_dir)
    watch = [e for e in journal if e["ev"] == "watch"]
    gone = sum(e["what"] == "gone" for e in watch)
    assert (
        gone >= 1 and sum(e["what"] == "relist" for e in watch) >= 2 * 3 + gone
    )  # a first list per watch, one per 410
    assert sum(e["what"] == "open" for e in watch) > 6 * 5, "the twin cut the watches every second"
    run_id = load_summary(run_dir)["run_id"]
    history = twin.admin("GET", f"history?labelSelector=benchkit.io/run-id%3D{run_id}")["items"]
    server: dict[str, list[str]] = defaultdict(list)
    for t in sorted(history, key=lambda t: int(t["resourceVersion"])):
        server[t["name"]].append(t["state"])
    seen = {(e["app"], e["state"]): e["observed"] for e in journal if e["ev"] == "app"}
    assert {app for app, _ in seen} == set(server) and len(server) == 90
    missed = []
    for app, states in server.items():
        for i, state in enumerate(states):
            if (app, state) in seen:
                continue
            # only a relist after 410 may skip a state, and then a later state must have been observed by that list
            later = [seen.get((app, s)) for s in states[i + 1 :]]
            assert "list" in later, (app, state, states, later)
            missed.append((app, state))
    assert set(seen) <= {(app, s) for app, states in server.items() for s in states}, "nothing invented"
    assert len(missed) <= 0.1 * len(seen), f"only the 410 gap may hide states, and briefly: {missed}"
    assert int(compacted["compactedAt"]) > 0


def test_kill_9_mid_run_then_summarize_loses_nothing(make_twin, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    twin = make_twin()
    results = tmp_path / "runs"
    cmd = [sys.executable, "-m", "benchkit", *run_args(twin, results, "--total-jobs", "400", "--jobs-per-min", "1200",
           "--app-seconds", "3", "--scenario", "keep", "--timeout", "60")]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    run_dir = _wait_for_events(results, "submit", 80)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    time.sleep(0.5)
    before = events(run_dir)
    summarized = benchkit("summarize", str(run_dir))
    assert summarized.returncode == 0, summarized.stderr
    s = load_summary(run_dir)
    rows = {r["app"]: r for r in apps_csv(run_dir)}
    run_id = s["run_id"]
    held = {a["metadata"]["name"] for a in run_objects(twin, run_id)["sparkapplications"]}
    assert held and held <= set(rows), f"apps on the server missing from the results: {held - set(rows)}"
    assert s["end"] == "incomplete" and s["jobs"]["submitted"] == len(rows) >= len(held)
    # nothing the journal had observed is lost: every first-seen state is in apps.csv
    column = {"NEW": "seen_new_s", "SUBMITTED": "seen_submitted_s", "RUNNING": "seen_running_s"}
    for e in before:
        if e["ev"] == "app" and e["state"] in column:
            assert rows[e["app"]][column[e["state"]]] != "", e
        if e["ev"] == "submit" and e["ok"]:
            assert rows[e["app"]]["create_ok"] == "True"
    target = connect.connect(twin.kubeconfig)
    assert kube_cleanup.delete_run(target.api, run_id, NAMESPACES)[1] == 0


def test_ctrl_c_stops_submitting_finishes_tracking_and_cleans_up(make_twin, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    twin = make_twin()
    results = tmp_path / "runs"
    cmd = [sys.executable, "-m", "benchkit", *run_args(twin, results, "--total-jobs", "400", "--jobs-per-min", "1200",
           "--app-seconds", "2", "--scenario", "keep", "--timeout", "60")]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    run_dir = _wait_for_events(results, "submit", 40)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    s = load_summary(run_dir)
    assert s["end"] == "interrupted" and 40 <= s["jobs"]["submitted"] < 400
    assert s["jobs"]["completed"] == s["jobs"]["created"] == s["jobs"]["submitted"]  # tracking went on to the end
    assert s["cleanup"] == {"deleted": s["jobs"]["created"], "remaining": 0}
    assert run_objects(twin, s["run_id"]) == {"sparkapplications": [], "pods": []}
    assert "results:" in out


def _wait_for_events(results: Path, kind: str, count: int, timeout: float = 90) -> Path:
    """The run folder, once its journal holds `count` events of `kind`."""
    deadline = time.monotonic() + timeout
    needle = f'"ev":"{kind}"'.encode()
    while time.monotonic() < deadline:
        dirs = [p for p in results.iterdir() if p.is_dir()] if results.exists() else []
        path = dirs[0] / "events.jsonl" if dirs else None
        if path is not None and path.exists() and path.read_bytes().count(needle) >= count:
            return dirs[0]
        time.sleep(0.1)
    raise AssertionError(f"no {count} {kind} events within {timeout} s")


def test_twin_restart_mid_run_reconnects_and_finishes(make_twin, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    twin = make_twin()  # its state dir keeps objects, resourceVersions, token and CA across the restart
    results = tmp_path / "runs"
    cmd = [sys.executable, "-m", "benchkit", *run_args(twin, results, "--total-jobs", "240", "--jobs-per-min", "600",
           "--app-seconds", "2", "--scenario", "keep", "--timeout", "60")]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    run_dir = _wait_for_events(results, "submit", 60)
    twin.restart()
    _, err = proc.communicate(timeout=150)
    assert proc.returncode == 0, err
    s = load_summary(run_dir)
    jobs = s["jobs"]
    assert s["end"] == "done" and jobs["submitted"] == 240 == jobs["created"], jobs  # retried through the outage
    assert jobs["completed"] == 240 and s["api"]["retries"] > 0
    assert s["tracking"]["watch_events"].get("pods:error", 0) + s["tracking"]["watch_events"].get(
        "sparkapplications:error", 0) >= 1  # fmt: skip
    assert s["cleanup"] == {"deleted": 240, "remaining": 0}

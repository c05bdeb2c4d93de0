"""Faults end to end, exact counts: API errors, watch cuts and 410 Gone, kill -9 then summarize and teardown,
Ctrl-C, a twin restart mid-run, teardown while the API fails."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from benchkit.spark import template
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
    wait_for_events,
)
from tests.twin.helpers import wait_until

pytestmark = [pytest.mark.faults, pytest.mark.slow]  # each test is a real `benchkit run` (10-30 s)


def test_five_percent_of_creates_fail_and_every_job_is_counted_exactly(make_twin, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """5 % of writes answered 429 (Retry-After) / 500 / reset after the write: every fault is one retry."""
    twin = make_twin(fault_rate=0.05, seed=5)
    results = tmp_path / "runs"
    proc = benchkit(*run_args(twin, results, "--total-jobs", "300", "--jobs-per-min", "3000", "--app-seconds", "1",
                              "--scenario", "keep", "--no-cleanup", "--timeout", "60"))  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    run_dir = only_run_dir(results)
    s = load_summary(run_dir)
    jobs, api = s["jobs"], s["api"]
    assert jobs["submitted"] == 300 == jobs["created"] + jobs["create_failed"]
    assert jobs["outcome_unknown"] == jobs["not_submitted"] == jobs["seen_not_sent"] == 0
    # Locust: one request per job, a failure for each job that failed after its retries
    assert locust_totals(run_dir) == (300, jobs["create_failed"])
    # eight attempts ride out 5 % faults: no job fails (the chance is 300 x 0.05^8, about 1e-8)
    assert jobs["create_failed"] == 0
    # the server saw every attempt, and each injected fault made exactly one retry, by cause
    stats = twin.admin("GET", "stats")
    faults = stats["faults"]
    assert sum(faults.values()) >= 5, faults  # 5 % of 300+ writes (seeded): the run did meet faults
    assert stats["requests"]["POST sparkapplications"] == api["create_attempts"] == 300 + api["retries"]
    assert api["retries"] == sum(faults.values())
    causes = {"429": faults.get("429", 0), "500": faults.get("500", 0), "transport": faults.get("reset", 0)}
    assert api["retries_by_cause"] == {k: v for k, v in causes.items() if v}
    # a reset after the write is retried into 409, resolved by a GET: the app exists once, counted once
    twin.admin("POST", "faults", {"fault_rate": 0.0})
    held = sorted(a["metadata"]["name"] for a in run_objects(twin, s["run_id"])["sparkapplications"])
    assert held == sorted(r["app"] for r in apps_csv(run_dir) if r["create_ok"] == "True") and len(held) == 300
    assert jobs["completed"] == 300


def test_creates_that_exhaust_their_retries_are_failed_jobs_in_locust_too(make_twin, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
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
    # every attempt reached the server and is counted; every injected fault is a retry or a job's last attempt
    server = twin.admin("GET", "stats")
    assert server["requests"]["POST sparkapplications"] == api["create_attempts"] == 60 + api["retries"]
    assert sum(server["faults"].values()) == api["retries"] + jobs["create_failed"]
    twin.admin("POST", "faults", {"fault_rate": 0.0})
    held = {a["metadata"]["name"] for a in run_objects(twin, s["run_id"])["sparkapplications"]}
    created = {r["app"] for r in apps_csv(run_dir) if r["create_ok"] == "True"}
    assert held == created and len(created) == jobs["created"]
    assert jobs["completed"] == jobs["created"]


def test_watch_cuts_and_a_410_journal_exactly_the_servers_transitions(make_twin, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The set of (app, state) pairs in the journal equals the twin's server-side history, not a subset.

    The twin drops every watch connection each second; mid-run the watch history is compacted (every
    resume then gets 410 Gone and the tracker lists again) while API latency makes that gap last about
    a second. A journaled state is "observed" when the tracker saw it on a watch, saw it in a list, or
    journaled it as "inferred": the listed status proves the app passed through it while nobody watched
    (NEW, SUBMITTED before RUNNING, SUCCEEDING before COMPLETED; see spark.states.implied). RUNNING is
    never inferred, so the equality also shows no app went through RUNNING unseen: the apps run 5 s,
    longer than the relist gap. And each state is journaled the way it could have been seen: a
    transition the server made while a watch was following its namespace was seen on that watch; only
    one inside a blind window (after the watch's last resourceVersion, up to the relist's) is listed or
    inferred.
    """
    twin = make_twin(watch_cut_every=1.0)
    results = tmp_path / "runs"
    cmd = [sys.executable, "-m", "benchkit", *run_args(twin, results, "--total-jobs", "90", "--jobs-per-min", "900",
           "--app-seconds", "5", "--scenario", "keep", "--no-cleanup", "--timeout", "60")]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    run_dir = wait_for_events(results, "submit", 30)
    compacted = twin.admin("POST", "faults", {"api_latency_ms": 300, "compact": True, "cut_watches": True})
    assert int(compacted["compactedAt"]) > 0
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    journal = events(run_dir)
    watch = [e for e in journal if e["ev"] == "watch"]
    gone = sum(e["what"] == "gone" for e in watch)
    assert gone >= 1 and sum(e["what"] == "relist" for e in watch) >= 6 + gone  # a first list per watch, one per 410
    assert sum(e["what"] == "open" for e in watch) > 6 * 5, "the twin cut the watches every second"
    s = load_summary(run_dir)
    history = twin.admin("GET", f"history?labelSelector=benchkit.io/run-id%3D{s['run_id']}")["items"]
    server = {(t["name"], t["state"]) for t in history}
    seen = [(e["app"], e["state"], e["observed"]) for e in journal if e["ev"] == "app"]
    assert {(app, state) for app, state, _ in seen} == server
    assert len(seen) == len(server) == len(history), "each transition journaled once (no state repeats here)"
    assert len({app for app, _ in server}) == 90 and s["jobs"]["completed"] == 90
    inferred = [(app, state) for app, state, how in seen if how == "inferred"]
    assert inferred and {state for _, state in inferred} <= {"NEW", "SUBMITTED", "SUCCEEDING"}, inferred
    assert s["tracking"]["inferred"] == len(inferred)
    assert s["tracking"]["observed_by_list"] == sum(how == "list" for _, _, how in seen) >= 1
    # where each transition falls: resourceVersion is the server's own order of changes, exact on a busy machine
    windows = _blind_windows(watch)
    gaps = [w for ws in windows.values() for w in ws]
    compacted_at = int(compacted["compactedAt"])
    assert all(int(e["rv"]) < compacted_at for e in watch if e["what"] == "gone" and e["rv"]), "410: compacted only"
    assert any(start < compacted_at <= end for start, end in gaps), gaps  # the compaction opened a blind window
    how_seen = {(app, state): how for app, state, how in seen}
    for t in history:
        rv, key = int(t["resourceVersion"]), (t["name"], t["state"])
        blind = any(start < rv <= end for start, end in windows.get(t["namespace"], []) + windows.get("*", []))
        if blind:
            assert how_seen[key] in ("list", "inferred"), (t, how_seen[key])  # no watch delivered that version
        else:
            assert how_seen[key] == "watch", (t, how_seen[key], windows)  # a watch was following: it saw it


def _quiet(twin: Any) -> bool:
    stats = twin.admin("GET", "stats")
    return bool(stats["connections"] <= 1 and stats["writesInFlight"] == 0)


def test_kill_9_mid_run_then_summarize_and_teardown(make_twin, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """benchkit dies without a word: the journal still accounts for every app, and teardown removes them all."""
    twin = make_twin()
    other = _create_foreign_app(twin)  # another run's app: teardown of this run must leave it alone
    results = tmp_path / "runs"
    cmd = [sys.executable, "-m", "benchkit", *run_args(twin, results, "--total-jobs", "400", "--jobs-per-min", "1200",
           "--app-seconds", "30", "--scenario", "keep", "--timeout", "60")]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    run_dir = wait_for_events(results, "submit", 80)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    # creates the server had already received are stored: the dead client's connections are closed (the server
    # reads what they held before it sees their end), no write is in flight; ours is the one connection left
    wait_until(lambda: _quiet(twin), timeout=20, what="the killed run's connections to close")
    before = events(run_dir)
    summarized = benchkit("summarize", str(run_dir))
    assert summarized.returncode == 0, summarized.stderr
    s = load_summary(run_dir)
    jobs, run_id = s["jobs"], s["run_id"]
    rows = {r["app"]: r for r in apps_csv(run_dir)}
    # every app the twin ever created for this run (its server-side history) is in the results
    history = twin.admin("GET", f"history?labelSelector=benchkit.io/run-id%3D{run_id}")["items"]
    on_server = {t["name"] for t in history if t["state"] == "NEW"}
    held = {a["metadata"]["name"] for a in run_objects(twin, run_id)["sparkapplications"]}
    assert held == on_server, "the apps run 30 s: none finished, none was deleted"
    assert on_server <= set(rows), f"apps on the server missing from the results: {on_server - set(rows)}"
    assert s["end"] == "incomplete" and jobs["planned"] == 400 and jobs["seen_not_sent"] == 0
    assert jobs["submitted"] == len(rows) == jobs["created"] + jobs["create_failed"] + jobs["outcome_unknown"]
    assert jobs["not_submitted"] == 400 - jobs["submitted"] and jobs["create_failed"] == 0
    # exact: the server holds the created apps, plus those whose create answer died with the process
    created = {app for app, r in rows.items() if r["create_ok"] == "True"}
    unknown = {app for app, r in rows.items() if r["create_ok"] == ""}
    assert len(unknown) == jobs["outcome_unknown"] and created <= on_server <= created | unknown
    # nothing the journal had observed is lost: every first-seen state is in apps.csv
    column = {"NEW": "seen_new_s", "SUBMITTED": "seen_submitted_s", "RUNNING": "seen_running_s"}
    for e in before:
        if e["ev"] == "app" and e["state"] in column:
            assert rows[e["app"]][column[e["state"]]] != "", e
        if e["ev"] == "submit" and e["ok"]:
            assert rows[e["app"]]["create_ok"] == "True"
    # teardown by the run's label: all of this run's objects go, the other run's app stays
    down = benchkit("teardown", "--kubeconfig", str(twin.kubeconfig), "--run", run_id)
    assert down.returncode == 0, down.stderr
    assert f"deleted {len(held)} in " in down.stdout, down.stdout
    assert run_objects(twin, run_id) == {"sparkapplications": [], "pods": []}
    stats = twin.admin("GET", "stats")
    assert stats["objects"]["sparkapplications"] == 1 and twin.request("GET", other)[0] == 200
    again = benchkit("teardown", "--kubeconfig", str(twin.kubeconfig), "--run", run_id)
    assert again.returncode == 0 and "nothing to do" in again.stdout, again.stdout


def test_teardown_rides_out_api_faults(make_twin) -> None:  # type: ignore[no-untyped-def]
    """After a big run the API server throttles: teardown retries 429 / 500 / resets instead of giving up."""
    twin = make_twin()
    other = _create_foreign_app(twin)
    for seq in range(30):
        _create_app(twin, "flaky-run", seq)
    twin.admin("POST", "faults", {"fault_rate": 0.5, "seed": 3})  # half of all writes fail; the sequence is seeded
    down = benchkit("teardown", "--kubeconfig", str(twin.kubeconfig), "--run", "flaky-run")
    faults = twin.admin("GET", "stats")["faults"]
    assert down.returncode == 0, down.stdout + down.stderr
    assert "deleted 30 in spark-team-a, spark-team-b, spark-team-c; none remain" in down.stdout, down.stdout
    assert faults.get("429", 0) >= 1 and sum(faults.values()) >= 3, faults  # it did meet what it must ride out
    twin.admin("POST", "faults", {"fault_rate": 0.0})
    assert run_objects(twin, "flaky-run") == {"sparkapplications": [], "pods": []}
    assert twin.request("GET", other)[0] == 200


def _create_app(twin, run_id: str, seq: int) -> str:  # type: ignore[no-untyped-def]
    """An app of `run_id` (round-robin over the namespaces); returns its API path."""
    ns = template.namespace_for(seq, NAMESPACES)
    body = template.render(template.load(), run_id=run_id, scenario="keep", seq=seq, namespace=ns, app_seconds=600)
    path = f"/apis/sparkoperator.k8s.io/v1beta2/namespaces/{ns}/sparkapplications"
    status, created = twin.request("POST", path, body)
    assert status == 201, created
    return f"{path}/{created['metadata']['name']}"


def _create_foreign_app(twin) -> str:  # type: ignore[no-untyped-def]
    """An app of another benchkit run; returns its API path."""
    return _create_app(twin, "other-run", 0)


def test_ctrl_c_stops_submitting_finishes_tracking_and_cleans_up(make_twin, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    twin = make_twin()
    results = tmp_path / "runs"
    cmd = [sys.executable, "-m", "benchkit", *run_args(twin, results, "--total-jobs", "400", "--jobs-per-min", "1200",
           "--app-seconds", "2", "--scenario", "keep", "--timeout", "60")]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    run_dir = wait_for_events(results, "submit", 40)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    s = load_summary(run_dir)
    assert s["end"] == "interrupted" and 40 <= s["jobs"]["submitted"] < 400
    assert s["jobs"]["completed"] == s["jobs"]["created"] == s["jobs"]["submitted"]  # tracking went on to the end
    assert s["cleanup"] == {"deleted": s["jobs"]["created"], "remaining": 0}
    assert run_objects(twin, s["run_id"]) == {"sparkapplications": [], "pods": []}
    assert "results:" in out


def _blind_windows(watch: list[dict[str, Any]]) -> dict[str, list[tuple[int, int]]]:
    """Per watched namespace ("*": cluster-wide), the apps loop's blind windows (start, end] of resourceVersions.

    A loop's journaled `rv` is the last version it holds (watch events delivered up to there). A relist
    ends a window: changes after the version the loop held before it (0 before its first list), up to
    the version the list was taken at, reached the tracker only through that list.
    """
    held: dict[str, int] = {}
    windows: dict[str, list[tuple[int, int]]] = {}
    for e in watch:
        if e["resource"] != "sparkapplications" or not e["rv"]:
            continue
        where, rv = e["detail"].split(":", 1)[0], int(e["rv"])
        if e["what"] == "relist":
            windows.setdefault(where, []).append((held.get(where, 0), rv))
        held[where] = rv
    return windows


def test_twin_restart_mid_run_reconnects_and_finishes(make_twin, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The API server goes away mid-run and comes back with its objects: no job lost, none created twice."""
    twin = make_twin()  # its state dir keeps objects, resourceVersions, token and CA across the restart
    results = tmp_path / "runs"
    cmd = [sys.executable, "-m", "benchkit", *run_args(twin, results, "--total-jobs", "240", "--jobs-per-min", "600",
           "--app-seconds", "2", "--scenario", "keep", "--timeout", "60")]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    run_dir = wait_for_events(results, "submit", 60)
    twin.restart()
    _, err = proc.communicate(timeout=150)
    assert proc.returncode == 0, err
    s = load_summary(run_dir)
    assert s["end"] == "done"
    assert s["jobs"] == {"planned": 240, "submitted": 240, "created": 240, "create_failed": 0, "outcome_unknown": 0,
                         "not_submitted": 0, "completed": 240, "failed": 0, "unfinished": 0,
                         "seen_not_sent": 0}  # fmt: skip
    assert s["api"]["retries"] > 0  # creates were retried through the outage
    assert locust_totals(run_dir) == (240, 0)
    assert s["tracking"]["watch_events"].get("pods:error", 0) + s["tracking"]["watch_events"].get(
        "sparkapplications:error", 0) >= 1  # fmt: skip
    # the server created each app exactly once (no duplicate from a retried create), and they are the results' apps
    history = twin.admin("GET", f"history?labelSelector=benchkit.io/run-id%3D{s['run_id']}")["items"]
    created = [t["name"] for t in history if t["state"] == "NEW"]
    assert sorted(created) == sorted(r["app"] for r in apps_csv(run_dir)) and len(set(created)) == 240
    # the terminal state the server recorded for every app is the one journaled
    final = {t["name"]: t["state"] for t in sorted(history, key=lambda t: int(t["resourceVersion"]))}
    journaled = {
        e["app"]: e["state"] for e in events(run_dir) if e["ev"] == "app" and e["state"] in ("COMPLETED", "FAILED")
    }
    assert journaled == final and set(final.values()) == {"COMPLETED"}
    assert s["cleanup"] == {"deleted": 240, "remaining": 0}
    assert run_objects(twin, s["run_id"]) == {"sparkapplications": [], "pods": []}

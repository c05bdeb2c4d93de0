"""Issue 14: the API server dies mid-run. The progress line says so within 10 s, the journal records when contact
was lost (and regained), and past --api-grace the run ends with an error (exit 1) naming `benchkit teardown`;
back within the grace, the run goes on and ends normally. The real CLI against a twin that is stopped mid-run."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from benchkit import clock
from tests.run.conftest import REPO, events, load_summary, run_args, wait_for_events

pytestmark = [pytest.mark.faults, pytest.mark.slow]

PROGRESS = re.compile(r"API server unreachable for (\d+) s; watches reconnecting")


def _start(twin, results: Path, *extra: str) -> subprocess.Popen[str]:  # type: ignore[no-untyped-def]
    cmd = [sys.executable, "-m", "benchkit", *run_args(twin, results, "--users", "2", "--prometheus-url", "off",
           *extra)]  # fmt: skip
    return subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _stages(run_dir: Path, name: str) -> list[dict[str, object]]:
    return [e for e in events(run_dir) if e["ev"] == "stage" and e["name"] == name]


def test_api_server_killed_mid_run_ends_the_run_after_the_grace(make_twin, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    twin = make_twin()
    results = tmp_path / "runs"
    proc = _start(twin, results, "--jobs-per-min", "600", "--total-jobs", "200", "--app-seconds", "5",
                  "--api-grace", "20s")  # fmt: skip
    run_dir = wait_for_events(results, "submit", 40)  # well into the run: apps created, the first ones ending
    twin.kill()  # the API server dies without a word (SIGKILL)
    killed = time.monotonic()
    out, err = proc.communicate(timeout=120)
    ended_after = time.monotonic() - killed
    lost = _stages(run_dir, "api_unreachable")
    assert len(lost) == 1 and not _stages(run_dir, "api_reachable")
    lost_at = clock.iso(float(lost[0]["detail"]["since_wall"]))[:19]  # type: ignore[index, arg-type]
    assert proc.returncode == 1, err
    run_id = run_dir.name
    last = err.strip().splitlines()[-1]
    assert last.startswith(f"benchkit: error: API server unreachable since {lost_at}Z ("), last
    assert "longer than --api-grace 20 s" in last
    assert f"`benchkit teardown --kubeconfig {twin.kubeconfig} --run {run_id}` deletes them" in last
    assert "Traceback" not in err, err[-3000:]
    assert f"end: error (API server unreachable since {lost_at}" in out  # under the table, on stdout
    assert 20 < ended_after < 20 + 60, ended_after  # the grace, then cleanup's bounded retries; not --timeout's 30 m
    # the progress line (a plain line every 5 s off a terminal) said so within 10 s of the kill
    seconds = [int(m.group(1)) for m in PROGRESS.finditer(err)]
    assert seconds and min(seconds) <= 10, err[-3000:]
    assert max(seconds) >= 15  # and kept saying it, counting up
    assert "(delete, end: error)" in out  # the table's title
    s = load_summary(run_dir)
    assert s["end"] == "error"
    run_end = next(e for e in events(run_dir) if e["ev"] == "run_end")
    assert str(run_end["detail"]["error"]).startswith("API server unreachable since ")  # type: ignore[index]
    assert run_end["wall"] - lost[0]["detail"]["since_wall"] > 20  # type: ignore[index, operator]


def test_api_server_back_within_the_grace_and_the_run_goes_on(make_twin, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    twin = make_twin()  # its state dir keeps objects, resourceVersions, token and CA across the stop
    results = tmp_path / "runs"
    proc = _start(twin, results, "--jobs-per-min", "600", "--total-jobs", "120", "--app-seconds", "2",
                  "--scenario", "keep", "--timeout", "90")  # fmt: skip
    run_dir = wait_for_events(results, "submit", 20)
    twin.stop()
    time.sleep(14)  # within the default 2 min grace, long enough for the progress line to say it
    twin.start()
    _, err = proc.communicate(timeout=180)
    assert proc.returncode == 0, err[-3000:]
    assert PROGRESS.search(err), err[-3000:]
    lost, regained = _stages(run_dir, "api_unreachable"), _stages(run_dir, "api_reachable")
    assert len(lost) == len(regained) >= 1  # every loss ends in a regain (a shutting-down server may flap first)
    assert all(a["wall"] < b["wall"] for a, b in zip(lost, regained, strict=True))  # type: ignore[operator]
    outage = max(float(r["detail"]["lost_s"]) for r in regained)  # type: ignore[index, arg-type]
    assert 12 <= outage < 60, outage  # the 14 s the twin was down (less a stop in progress), plus reconnection
    s = load_summary(run_dir)
    assert s["end"] == "done" and s["jobs"]["unfinished"] == 0
    assert s["jobs"]["created"] == s["jobs"]["completed"]

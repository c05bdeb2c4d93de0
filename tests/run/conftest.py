"""End-to-end helpers: a twin per test (over HTTPS), the real `benchkit` CLI in subprocesses."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from benchkit.results import journal
from benchkit.twin.config import TwinOptions
from benchkit.twin.process import TwinProcess

NAMESPACES = ("spark-team-a", "spark-team-b", "spark-team-c")
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def make_twin(tmp_path: Path) -> Iterator[Any]:
    """make_twin(**TwinOptions fields) -> a started TwinProcess (stopped at the end of the test)."""
    started: list[TwinProcess] = []

    def make(**overrides: Any) -> TwinProcess:
        options = TwinOptions(nodes=overrides.pop("nodes", 20), namespaces=("default", *NAMESPACES), **overrides)
        twin = TwinProcess(options, workdir=tmp_path / f"twin{len(started)}")
        started.append(twin)
        return twin.start()

    yield make
    for twin in started:
        twin.close()


def benchkit(*args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """The real CLI, in a subprocess (Locust's gevent patching never enters the pytest process)."""
    env = {**os.environ, "COLUMNS": "200", "PYTHONUNBUFFERED": "1"}
    return subprocess.run([sys.executable, "-m", "benchkit", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=REPO, env=env, check=False)  # fmt: skip


def run_args(twin: TwinProcess, results: Path, *extra: str) -> list[str]:
    return ["run", "--kubeconfig", str(twin.kubeconfig), "--results-dir", str(results), *extra]


def only_run_dir(results: Path) -> Path:
    dirs = [p for p in results.iterdir() if p.is_dir()]
    assert len(dirs) == 1, dirs
    return dirs[0]


def load_summary(run_dir: Path) -> dict[str, Any]:
    return json.loads((run_dir / "summary.json").read_text())


def events(run_dir: Path) -> list[dict[str, Any]]:
    return list(journal.read(run_dir))


def apps_csv(run_dir: Path) -> list[dict[str, str]]:
    with (run_dir / "apps.csv").open() as fh:
        return list(csv.DictReader(fh))


def locust_totals(run_dir: Path) -> tuple[int, int]:
    """(Request Count, Failure Count) of Locust's Aggregated row."""
    with (run_dir / "locust_stats.csv").open() as fh:
        row = next(r for r in csv.DictReader(fh) if r["Name"] == "Aggregated")
    return int(row["Request Count"]), int(row["Failure Count"])


def run_objects(twin: TwinProcess, run_id: str) -> dict[str, list[dict[str, Any]]]:
    """The run's SparkApplications and pods as the twin holds them (by label, all namespaces)."""
    out: dict[str, list[dict[str, Any]]] = {"sparkapplications": [], "pods": []}
    for ns in NAMESPACES:
        apps = f"/apis/sparkoperator.k8s.io/v1beta2/namespaces/{ns}/sparkapplications"
        for kind, path in (("sparkapplications", apps), ("pods", f"/api/v1/namespaces/{ns}/pods")):
            status, body = twin.request("GET", f"{path}?labelSelector=benchkit.io/run-id%3D{run_id}")
            assert status == 200, body
            out[kind] += body["items"]
    return out


def wait_for_events(results: Path, kind: str, count: int, timeout: float = 90) -> Path:
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

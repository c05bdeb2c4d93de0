"""Pacing end to end: the global rate holds with one process and with two (wide tolerances: a busy 2-core box)."""

from __future__ import annotations

import itertools
from collections import Counter
from pathlib import Path

import pytest

from tests.run.conftest import benchkit, events, load_summary, locust_totals, only_run_dir, run_args

pytestmark = pytest.mark.slow  # each test is a real `benchkit run` (15-30 s)


@pytest.mark.parametrize("processes", [1, 2])
def test_global_rate_is_kept(make_twin, tmp_path: Path, processes: int) -> None:  # type: ignore[no-untyped-def]
    twin = make_twin(api_latency_ms=20)
    results = tmp_path / "runs"
    proc = benchkit(*run_args(twin, results, "--total-jobs", "300", "--jobs-per-min", "1200", "--app-seconds", "1",
                              "--processes", str(processes), "--users", "3", "--timeout", "60"))  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    run_dir = only_run_dir(results)
    s = load_summary(run_dir)
    assert s["jobs"]["created"] == 300 and locust_totals(run_dir) == (300, 0)
    assert 0.97 <= s["rate"]["achieved_ratio"] <= 1.03, s["rate"]
    assert 1164 <= s["rate"]["achieved_per_min"] <= 1236
    assert s["rate"]["lateness_p99_s"] < 0.5
    # create latency is timed from the due time, so it includes the injected 20 ms
    assert s["latency_s"]["create_call"]["p50"] >= 0.02
    journal = events(run_dir)
    submits = [e for e in journal if e["ev"] == "submit"]
    by_process = Counter(e["src"] for e in submits)
    assert by_process == {f"submit-{i}": 300 // processes for i in range(processes)}
    # one global schedule: due times 50 ms apart, whichever process sent the job
    dues = sorted(e["due_mono"] for e in submits)
    gaps = [b - a for a, b in itertools.pairwise(dues)]
    # (each process converts the wall-clock t0 to its monotonic clock: a few microseconds of skew between them)
    assert min(gaps) == pytest.approx(0.05, abs=1e-3) and max(gaps) == pytest.approx(0.05, abs=1e-3)
    assert sorted(e["seq"] for e in submits) == list(range(300))

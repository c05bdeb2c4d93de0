"""Achieved means acknowledged (issue 14): a run whose creates mostly fail never shows an achieved rate near
its offered rate, in summary.json, the table on stdout or the report."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.run.conftest import benchkit, load_summary, locust_totals, only_run_dir, run_args

pytestmark = [pytest.mark.faults, pytest.mark.slow]  # a real `benchkit run` (about a minute)


def test_a_run_whose_creates_mostly_fail_shows_sent_on_schedule_but_little_achieved(make_twin, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # 97 % of writes fail (429 / 500 / connection dropped before the write): a job fails when all 8 of its
    # attempts do, 0.97^8 = 78 % of them
    twin = make_twin(fault_rate=0.97, seed=14)
    twin.admin("POST", "faults", {"reset_before_write": True})
    results = tmp_path / "runs"
    # keep, no cleanup: deletes are writes, and 97 % of them would fail too
    proc = benchkit(*run_args(twin, results, "--total-jobs", "200", "--jobs-per-min", "600", "--app-seconds", "1",
                              "--scenario", "keep", "--no-cleanup", "--timeout", "60"), timeout=300)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    run_dir = only_run_dir(results)
    s = load_summary(run_dir)
    jobs, rate = s["jobs"], s["rate"]
    assert jobs["submitted"] == 200 == jobs["created"] + jobs["create_failed"]
    assert jobs["create_failed"] > 100, jobs  # most creates failed
    assert locust_totals(run_dir) == (200, jobs["create_failed"])
    # the sends kept to the schedule (retries run beside it), but what the API server acknowledged did not
    assert rate["offered_per_min"] == pytest.approx(600.0, rel=0.01) and rate["sent_ratio"] > 0.95
    assert rate["achieved_ratio"] == pytest.approx(rate["sent_ratio"] * jobs["created"] / 200, abs=2e-4)
    assert rate["achieved_ratio"] < 0.5 and rate["achieved_per_min"] < 300
    # the table says the three rates apart (and never "600 / 600 (x1.000)" for this run)
    row = next(line for line in proc.stdout.splitlines() if "rate offered / sent / achieved" in line)
    assert f"/ {rate['achieved_per_min']:.1f} " in row, row
    assert f"{jobs['created']} / {jobs['create_failed']}" in proc.stdout
    report = (run_dir / "report.html").read_text()
    assert f"creates acknowledged: {jobs['created']} of 200" in report

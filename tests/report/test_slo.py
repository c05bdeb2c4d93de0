"""SLO gates: grammar (bad input is exit 2 at settings time), evaluation against a summary, junit.xml."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from benchkit.errors import ConfigError, SloBreach
from benchkit.report import slo as gates
from benchkit.settings import run as run_settings
from benchkit.settings.slo import known_paths, parse, parse_all

SUMMARY = {
    "duration_s": 61.5,
    "jobs": {"planned": 10, "completed": 9, "failed": 1},
    "rate": {"achieved_ratio": 0.995, "achieved_per_min": 59.7},
    "latency_s": {"create_to_running": {"count": 9, "p50": 3.2, "p99": 8.75}, "status_lag": {"count": 0}},
    "operator": {"apps_per_min": None},
}


@pytest.mark.parametrize(
    ("text", "path", "op", "threshold"),
    [
        ("create_to_running.p99 <= 120", "latency_s.create_to_running.p99", "<=", 120.0),
        ("latency_s.create_to_running.p99<=120", "latency_s.create_to_running.p99", "<=", 120.0),
        ("  rate.achieved_ratio >= 0.98 ", "rate.achieved_ratio", ">=", 0.98),
        ("jobs.failed <= 0", "jobs.failed", "<=", 0.0),
        ("jobs.failed == 0", "jobs.failed", "==", 0.0),
        ("operator.apps_per_min > 1e2", "operator.apps_per_min", ">", 100.0),
        ("duration_s < 600", "duration_s", "<", 600.0),
        ("create_to_submitted.p95 <= 30", "latency_s.create_to_submitted.p95", "<=", 30.0),
        ("rate.sent_ratio >= 0.99", "rate.sent_ratio", ">=", 0.99),
    ],
)
def test_grammar_accepts(text: str, path: str, op: str, threshold: float) -> None:
    slo = parse(text)
    assert (slo.path, slo.op, slo.threshold) == (path, op, threshold)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("create_to_running.p99", "expected '<path> <op> <number>'"),
        ("create_to_running.p99 => 120", "expected '<path> <op> <number>'"),
        ("create_to_running.p99 <= fast", "'fast' is not a number"),
        ("create_to_running.p99 <= nan", "finite"),
        ("create_to_running.p75 <= 120", "stats: count, p50, p90, p95, p99, max"),
        ("create_to_runing.p99 <= 120", "unknown summary path 'create_to_runing.p99'"),
        ("jobs.lost <= 0", "jobs has: planned"),
        ("<= 3", "expected"),
    ],
)
def test_grammar_rejects_with_a_reason(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace("$", r"\$")):
        parse(text)


def test_scenario_slo_forms_and_startup_validation(tmp_path: Path) -> None:
    listed = run_settings.build({"slo": ["create_to_running.p99 <= 120", "jobs.failed <= 0"]})
    assert [s.path for s in parse_all(listed.slo)] == ["latency_s.create_to_running.p99", "jobs.failed"]
    mapped = run_settings.build({"slo": {"rate.achieved_ratio": ">= 0.98"}})
    assert parse_all(mapped.slo)[0].text == "rate.achieved_ratio >= 0.98"
    scenario = tmp_path / "s.yaml"
    scenario.write_text("total-jobs: 5\nslo:\n  - create_to_running.p99 <= soon\n")
    with pytest.raises(ConfigError, match="'soon' is not a number"):
        run_settings.build(run_settings.load_scenario(scenario))
    with pytest.raises(ConfigError, match="expected '<path> <op> <number>'"):
        run_settings.build({"slo": {"jobs.failed": 0}})


def test_every_known_path_is_canonical() -> None:
    for path in known_paths():
        assert parse(f"{path} >= 0").path == path


def test_evaluation_and_missing_values() -> None:
    slos = [
        parse(t)
        for t in (
            "create_to_running.p99 <= 120",
            "create_to_running.p99 <= 5",
            "jobs.failed <= 0",
            "rate.achieved_ratio >= 0.98",
            "status_lag.p99 <= 1",
            "operator.apps_per_min > 1",
        )
    ]
    results = gates.evaluate(slos, SUMMARY)
    assert [r.passed for r in results] == [True, False, False, True, False, False]
    assert results[1].message == "latency_s.create_to_running.p99 = 8.75: breached (<= 5)"
    assert results[4].value is None and "no value" in results[4].message
    with pytest.raises(SloBreach, match="4 of 6 SLOs breached") as info:
        gates.raise_on_breach(results)
    assert info.value.exit_code == 3
    gates.raise_on_breach(results[:1])  # all hold: no exception


def test_junit_has_one_case_per_slo_and_failures(tmp_path: Path) -> None:
    results = gates.evaluate([parse("jobs.failed <= 0"), parse("rate.achieved_ratio >= 0.98")], SUMMARY)
    path = gates.write_junit(tmp_path / "junit.xml", results, run_id="r1", duration_s=61.5)
    root = ET.parse(path).getroot()
    suite = root.find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures")) == ("2", "1")
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == ["jobs.failed <= 0", "rate.achieved_ratio >= 0.98"]
    failure = cases[0].find("failure")
    assert failure is not None and failure.get("message") == "jobs.failed = 1: breached (<= 0)"
    assert cases[1].find("failure") is None

"""Evaluate SLO gates against a run's summary.json, write junit.xml, and raise SloBreach (exit 3) on a breach.

A gate whose value is missing (no app reached RUNNING, so there is no p99) fails: an SLO that cannot be
shown to hold does not hold.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchkit.errors import SloBreach
from benchkit.results.schema import Summary, lookup
from benchkit.settings.slo import Slo, parse_all

JUNIT_FILE = "junit.xml"
SUITE = "benchkit.slo"


@dataclass(frozen=True)
class SloResult:
    slo: Slo
    value: float | None
    passed: bool

    @property
    def message(self) -> str:
        if self.value is None:
            return f"{self.slo.path} has no value in summary.json"
        verdict = "holds" if self.passed else "breached"
        return f"{self.slo.path} = {_fmt(self.value)}: {verdict} ({self.slo.op} {_fmt(self.slo.threshold)})"


def evaluate(slos: list[Slo], summary: Summary | dict[str, Any]) -> list[SloResult]:
    """Each gate against a summary (typed, or summary.json's mapping)."""
    results = []
    for slo in slos:
        value = lookup(summary, slo.path)
        results.append(SloResult(slo, value, value is not None and slo.holds(value)))
    return results


def evaluate_settings(slo_settings: dict[str, str], summary: Summary | dict[str, Any]) -> list[SloResult]:
    """Evaluate RunSettings.slo (already validated at startup) against a summary."""
    return evaluate(parse_all(slo_settings), summary)


def write_junit(path: Path, results: list[SloResult], run_id: str, duration_s: float | None = None) -> Path:
    """One testcase per SLO; a breached or valueless one carries a <failure>. CI systems read this file."""
    failures = sum(not r.passed for r in results)
    root = ET.Element("testsuites", name="benchkit", tests=str(len(results)), failures=str(failures), errors="0")
    suite = ET.SubElement(root, "testsuite", name=SUITE, tests=str(len(results)), failures=str(failures),
                          errors="0", skipped="0", time=f"{duration_s or 0:.3f}")  # fmt: skip
    props = ET.SubElement(suite, "properties")
    ET.SubElement(props, "property", name="run_id", value=run_id)
    for result in results:
        case = ET.SubElement(suite, "testcase", classname=f"{SUITE}.{run_id}", name=result.slo.text, time="0")
        if not result.passed:
            failure = ET.SubElement(case, "failure", message=result.message, type="SloBreach")
            failure.text = result.message
        else:
            ET.SubElement(case, "system-out").text = result.message
    ET.indent(root)
    path.write_bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n")
    return path


def raise_on_breach(results: list[SloResult]) -> None:
    breached = [r for r in results if not r.passed]
    if breached:
        detail = "; ".join(f"{r.slo.text} ({r.message})" for r in breached)
        raise SloBreach(f"{len(breached)} of {len(results)} SLOs breached: {detail}")


def _fmt(value: float) -> str:
    return f"{value:g}" if abs(value) < 1e6 else f"{value:.6g}"

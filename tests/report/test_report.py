"""report.html on real run folders (written by `benchkit run` itself), opened in headless Chromium; SLO gates."""

from __future__ import annotations

import base64
import json
import re
import shutil
import struct
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import observekit
import pytest
from chromium import open_page

from benchkit.report import runfolder
from benchkit.results import phases
from benchkit.results.stats import PERCENTILES
from benchkit.settings.slo import known_paths

pytestmark = pytest.mark.slow
RUN_FIGURES = {"Offered vs achieved submissions and operator throughput", "Apps through each stage",
               "Backlog over time", "Start latency by arrival time", "Latency percentiles per phase",
               "Latency distribution per phase (CDF)", "Apps by state over time"}  # fmt: skip


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_report_is_self_contained_and_renders_without_broken_images(observed: observekit.Environment,
                                                                    tmp_path: Path) -> None:  # fmt: skip
    run = observed.base.path
    html = (run / "report.html").read_text()
    assert "report:" in observed.base.output  # written by `benchkit run` at the end
    assert not re.search(r'(src|href)="(https?:|//|file:)', html), "the report must not load anything external"
    pngs = [base64.b64decode(m) for m in re.findall(r'src="data:image/png;base64,([^"]+)"', html)]
    metrics = sorted((run / "metrics").glob("*.csv"))
    assert len(pngs) == len(RUN_FIGURES) + len(metrics)  # one chart per collected Prometheus CSV
    for png in pngs:
        width, height = _png_size(png)
        assert width >= 600 and height >= 150 and len(png) > 5000
    page = open_page(run / "report.html", tmp_path / "report.png")
    assert page["title"] == f"benchkit run {runfolder.load(run).run_id}"
    assert len(page["images"]) == len(pngs)
    broken = [i["alt"] for i in page["images"] if not i["complete"] or i["width"] == 0]
    assert not broken, f"broken images: {broken}"
    assert all(0 < i["shown"] <= 1366 for i in page["images"]), "an image wider than a laptop screen"
    assert not page["overflow"], "the page scrolls sideways on a 1366 px screen"
    assert set(page["headings"]) >= RUN_FIGURES
    assert "n = 60 apps" in page["text"]  # the latency card says how many apps its p50/p99 come from
    # every profile metric has data on the twin now, so the "without data" section (shown only then) is absent
    assert "Prometheus queries without data" not in page["headings"]
    assert {"SLO gates", "Settings", "Environment", "Prometheus metrics"} <= set(
        page["headings"])  # fmt: skip
    for name in ("workqueue_depth", "apiserver_latency_p99_by_verb", "operator_submitted_per_min"):
        assert name in page["subheadings"]
    shot = (tmp_path / "report.png").read_bytes()
    assert _png_size(shot)[0] == 1366 and len(shot) > 50_000


def test_ramp_report_names_the_sustained_rate(observed: observekit.Environment, tmp_path: Path) -> None:
    run = observed.ramp.path
    assert observed.ramp.exit_code == 0, observed.ramp.output[-2000:]
    saturation = json.loads((run / "summary.json").read_text())["saturation"]
    assert saturation["sustained_per_min"] == 300.0  # one worker keeps up with 300/min, not with 900/min
    page = open_page(run / "report.html", tmp_path / "ramp.png")
    assert "Saturation (ramp)" in page["headings"]
    assert all(i["complete"] and i["width"] > 0 for i in page["images"])
    assert "SUSTAINED RATE\n300/min" in page["text"]  # the card (labels are upper-cased by CSS)
    assert "OFFERED RATE\nramp 300:600:3s:1500" in page["text"]
    assert "Sustained: 300 jobs/min." in page["text"]


def test_report_cli_rebuilds_it(observed: observekit.Environment, tmp_path: Path) -> None:
    run = tmp_path / "run"  # a copy: other tests read the shared run folder
    shutil.copytree(observed.candidate.path, run)
    (run / "report.html").unlink()
    proc = observekit.benchkit("report", str(run))
    assert proc.returncode == 0, proc.stderr
    assert (run / "report.html").stat().st_size > 100_000
    bad = observekit.benchkit("report", str(run.parent))
    assert bad.returncode == 2 and "not a run folder" in bad.stderr


def test_slo_gates_exit_codes_and_junit(observed: observekit.Environment) -> None:
    assert observed.base.exit_code == 0, observed.base.output[-2000:]
    assert observed.candidate.exit_code == 3, observed.candidate.output[-2000:]
    assert "1 of 2 SLOs breached: create_to_running.p99 <= 0.05" in observed.candidate.output
    base = ET.parse(observed.base.path / "junit.xml").getroot().find("testsuite")
    assert base is not None and (base.get("tests"), base.get("failures")) == ("3", "0")
    cand = ET.parse(observed.candidate.path / "junit.xml").getroot().find("testsuite")
    assert cand is not None and (cand.get("tests"), cand.get("failures")) == ("2", "1")
    failing = [c.get("name") for c in cand.findall("testcase") if c.find("failure") is not None]
    assert failing == ["create_to_running.p99 <= 0.05"]
    summary = json.loads((observed.candidate.path / "summary.json").read_text())
    failure = cand.find("testcase/failure")
    assert failure is not None and f"{summary['latency_s']['create_to_running']['p99']:g}" in failure.get("message", "")
    report = (observed.candidate.path / "report.html").read_text()
    assert "BREACH" in report and "create_to_running.p99 &lt;= 0.05" in report


def test_bad_slo_is_exit_2_before_anything_is_created(tmp_path: Path) -> None:
    scenario = tmp_path / "bad.yaml"
    scenario.write_text("total-jobs: 5\nslo: ['create_to_running.p99 <= soon']\n")
    proc = observekit.benchkit("run", str(scenario), "--results-dir", str(tmp_path / "runs"), timeout=60)
    assert proc.returncode == 2 and "'soon' is not a number" in proc.stderr
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_report_samples_match_summary_quantiles(observed: observekit.Environment) -> None:
    """The CDFs and tests use per-app samples; they must agree with summary.json's figures."""
    for result in (observed.base, observed.candidate):
        run = runfolder.load(result.path)
        written = json.loads((result.path / "summary.json").read_text())
        assert written == run.summary.to_dict()  # the report's summary is the one the run wrote
        samples = phases.samples(run.timeline.apps.values())
        for phase, values in samples.items():
            expected = written["latency_s"][phase]
            assert len(values) == expected["count"], phase
            if values:
                points = np.percentile(values, PERCENTILES)
                assert [round(float(p), 3) for p in points] == [expected[f"p{q}"] for q in PERCENTILES], phase


def test_every_slo_path_exists_in_a_real_summary(observed: observekit.Environment) -> None:
    """settings.slo's vocabulary is a contract with results/summary.py: every path must exist there."""
    summary = json.loads((observed.base.path / "summary.json").read_text())
    for path in known_paths():
        head, _, rest = path.partition(".")
        assert head in summary, path
        if head == "saturation":
            assert summary[head] is None  # not a ramp: no saturation block
        elif head == "latency_s":
            phase, stat = rest.split(".")
            assert phase in summary[head] and (stat in summary[head][phase] or summary[head][phase]["count"] == 0)
        elif rest:
            assert rest in summary[head], path

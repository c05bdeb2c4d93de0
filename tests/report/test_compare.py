"""`benchkit compare` on two real runs: base (under capacity) vs candidate (2.5x the rate, saturated)."""

from __future__ import annotations

from pathlib import Path

import observekit
import pytest
from chromium import open_page

from benchkit.report import runfolder
from benchkit.report.compare import compare, environment_diff

pytestmark = pytest.mark.slow


def test_compare_shows_figures_significance_and_what_changed(observed: observekit.Environment,
                                                             tmp_path: Path) -> None:  # fmt: skip
    proc = observekit.benchkit("compare", str(observed.base.path), str(observed.candidate.path),
                               "--output-dir", str(tmp_path))  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    md = (tmp_path / "compare.md").read_text()
    assert proc.stdout.startswith(md)
    assert "Mann-Whitney U" in md
    assert "| settings.jobs_per_min | 600 | 1,500 |" in md.replace("1500", "1,500")
    row = next(line for line in md.splitlines() if line.startswith("| create_to_submitted |"))
    assert row.endswith("| slower |"), row
    n_base, n_cand = row.split("|")[2:4]
    assert int(n_base) == 60 and int(n_cand) == 60
    page = open_page(tmp_path / "compare.html", tmp_path / "compare.png")
    assert page["images"] and all(i["complete"] and i["width"] > 0 for i in page["images"])
    assert "What changed in the environment" in page["headings"]


def test_fail_on_regression_exits_3_and_not_the_other_way_round(observed: observekit.Environment,
                                                                tmp_path: Path) -> None:  # fmt: skip
    worse = observekit.benchkit("compare", str(observed.base.path), str(observed.candidate.path),
                                "--fail-on-regression", "10", "--output-dir", str(tmp_path / "a"))  # fmt: skip
    assert worse.returncode == 3, worse.stderr
    assert "regression(s)" in worse.stderr and "create_to_submitted median +" in worse.stderr
    assert "## Regressions (threshold 10 %)" in (tmp_path / "a" / "compare.md").read_text()
    better = observekit.benchkit("compare", str(observed.candidate.path), str(observed.base.path),
                                 "--fail-on-regression", "10", "--output-dir", str(tmp_path / "b"))  # fmt: skip
    assert better.returncode == 0, better.stderr
    assert "None." in (tmp_path / "b" / "compare.md").read_text()
    bad = observekit.benchkit("compare", str(observed.base.path), str(tmp_path))
    assert bad.returncode == 2 and "not a run folder" in bad.stderr


def test_comparison_of_a_run_with_itself_finds_nothing(observed: observekit.Environment) -> None:
    run = runfolder.load(observed.base.path)
    same = compare(run, run, fail_on_regression_pct=0.0)
    assert not same.regressions and not same.env
    assert all(t.p_value is None or t.p_value > 0.9 for t in same.tests)


def test_environment_diff_puts_operator_settings_first() -> None:
    base = {
        "run_id": "a",
        "settings": {"jobs_per_min": 60, "operator_workers": 10, "name": "x"},
        "target": {"spark_operator": {"chart": "2.1.0"}, "instance_types": {"bench": "m6a.4xlarge"}},
    }
    cand = {"run_id": "b", "settings": {"jobs_per_min": 60, "operator_workers": 20, "name": "y"},
            "target": {"spark_operator": {"chart": "2.5.1"}, "instance_types": {"bench": "m7a.4xlarge"}}}  # fmt: skip
    assert environment_diff(base, cand) == [
        ("settings.operator_workers", 10, 20),
        ("target.spark_operator.chart", "2.1.0", "2.5.1"),
        ("target.instance_types.bench", "m6a.4xlarge", "m7a.4xlarge"),
    ]

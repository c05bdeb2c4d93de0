"""The Grafana dashboards: committed JSON = generator output, datasource only as a variable, counters only
through rate()/increase() and gauges never, and EVERY panel query run against a real Prometheus that
scraped the twin during real runs: each parses, and each the twin can feed returns data.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import observekit
import pytest

from benchkit.cli import main
from benchkit.errors import StaleGenerated
from benchkit.observe import dashboards
from benchkit.observe.promql import PromClient, QueryError

DASHBOARD_DIR = Path(__file__).resolve().parents[2] / "dashboards"
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}

# Queries the twin cannot feed, and why. They must still parse, and must return nothing here (so this list
# stays true: a query the twin starts feeding has to move out of it).
CANNOT_FEED = {
    "spark_application_submit_latency_seconds_histogram_bucket": "operator v2.5.1+ only; this twin is chart 2.1.0's "
    "(test_chart_personalities.py checks the panel has data under 2.5.2)",
    "apiserver_flowcontrol_rejected_requests_total": "the observed runs inject no faults, so nothing is rejected "
    "and the counter has no series (upstream's CounterVec shows a label set on its first rejection)",
    "apiserver_resource_objects": "Kubernetes 1.34+ name; the twin exports apiserver_storage_objects as EKS does",
}
# Metrics the twin should feed but does not yet: only checked to parse. None today.
TWIN_GAPS: dict[str, str] = {}
COUNTER = re.compile(r"(_total|_count|_sum|_bucket)$")
GAUGES_ENDING_IN_COUNT = {"spark_application_running_count", "spark_executor_running_count"}
FUNCTIONS = {"sum", "max", "min", "avg", "rate", "irate", "increase", "deriv", "histogram_quantile", "by", "on",
             "and", "or", "vector", "count", "le", "without", "group_left", "topk"}  # fmt: skip


def _files() -> list[Path]:
    return sorted(DASHBOARD_DIR.glob("*.json"))


def _targets() -> list[tuple[str, str, str, str]]:
    """(dashboard file, panel title, refId, expr) for every query of every panel."""
    out = []
    for path in _files():
        for panel in json.loads(path.read_text())["panels"]:
            for target in panel.get("targets", []):
                out.append((path.name, panel["title"], target["refId"], target["expr"]))
    return out


def _metrics_in(expr: str) -> list[tuple[str, int]]:
    """Metric names in an expression with their offsets (label names, functions and literals skipped)."""
    stripped = re.sub(r'"[^"]*"', lambda m: " " * len(m.group()), expr)  # label values
    stripped = re.sub(r"\{[^}]*\}", lambda m: " " * len(m.group()), stripped)  # matchers
    stripped = re.sub(r"\b(by|on|without)\s*\([^)]*\)", lambda m: " " * len(m.group()), stripped)
    return [(m.group(), m.start()) for m in re.finditer(r"[a-zA-Z_:][a-zA-Z0-9_:]*", stripped)
            if m.group() not in FUNCTIONS and not re.fullmatch(r"\d+[smhd]?", m.group())]  # fmt: skip


def test_committed_json_is_the_generator_output() -> None:
    rendered = dashboards.render_all()
    assert sorted(rendered) == [p.name for p in _files()]
    for name, text in rendered.items():
        assert (DASHBOARD_DIR / name).read_text() == text, f"{name} is stale: {dashboards.REGENERATE}"


def test_benchkit_dashboards_writes_then_check_names_what_is_stale(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The generator is the CLI's `dashboards` command: the library raises StaleGenerated, only the CLI exits."""
    out = tmp_path / "boards"
    assert main(["dashboards", str(out)]) is None
    written = sorted(p.name for p in out.iterdir())
    assert written == sorted(dashboards.render_all()) == [p.name for p in _files()]
    assert capsys.readouterr().out.splitlines() == [f"wrote {out / name}" for name in dashboards.render_all()]
    assert main(["dashboards", "--check", str(out)]) is None  # fresh: nothing to say
    assert capsys.readouterr() == ("", "")
    (out / written[0]).write_text("{}\n")
    (out / written[1]).unlink()
    with pytest.raises(StaleGenerated) as caught:
        dashboards.check(out)
    listed = ", ".join(str(out / name) for name in dashboards.render_all())  # both: one changed, one missing
    assert str(caught.value) == f"stale (run benchkit dashboards): {listed}"
    with pytest.raises(SystemExit) as exited:
        main(["dashboards", "--check", str(out)])
    assert exited.value.code == 1 == StaleGenerated.exit_code
    err = capsys.readouterr().err
    assert err == f"benchkit: error: {caught.value}\n" and "\n" not in err.rstrip("\n")
    assert (out / written[0]).read_text() == "{}\n" and not (out / written[1]).exists()  # --check writes nothing


def test_datasource_is_a_variable_everywhere() -> None:
    for path in _files():
        doc = json.loads(path.read_text())
        variables = {v["name"]: v for v in doc["templating"]["list"]}
        assert variables["datasource"]["type"] == "datasource"
        assert variables["datasource"]["query"] == "prometheus"
        for panel in doc["panels"]:
            if panel["type"] == "row":
                continue
            assert panel["datasource"] == DATASOURCE, panel["title"]
            assert all(t["datasource"] == DATASOURCE for t in panel["targets"]), panel["title"]
        uids = re.findall(r'"uid":\s*"([^"]*)"', path.read_text())
        assert set(uids) == {"${datasource}", doc["uid"]}, f"{path.name}: hard-coded uid in {set(uids)}"


def _lint(expr: str) -> list[str]:
    """Counters must sit directly inside rate()/irate()/increase(); gauges never may."""
    found = []
    for metric, offset in _metrics_in(expr):
        wrapped = re.search(r"\b(rate|irate|increase)\($", expr[:offset].rstrip()) is not None
        is_counter = COUNTER.search(metric) is not None and metric not in GAUGES_ENDING_IN_COUNT
        if wrapped != is_counter:
            found.append(f"counter used raw: {metric}" if is_counter else f"rate() on a gauge: {metric}")
    return found


def test_counters_only_through_rate_and_gauges_never() -> None:
    """The reference dashboard's bugs: rate()/increase() on gauges, and ratios of lifetime counters."""
    problems = [f"{name} / {title} / {ref}: {p}" for name, title, ref, expr in _targets() for p in _lint(expr)]
    assert not problems, "\n".join(problems)


def _substitute(expr: str, variables: dict[str, str]) -> str:
    for name in sorted(variables, key=len, reverse=True):  # $__rate_interval before $__range ...
        expr = expr.replace(f"${name}", variables[name]).replace(f"${{{name}}}", variables[name])
    assert "$" not in expr, f"unsubstituted variable in {expr}"
    return expr


def _resolve_variables(prom: PromClient) -> dict[str, str]:
    """Query variables resolved as Grafana would (label_values against the same Prometheus)."""
    resolved: dict[str, str] = {}
    for path in _files():
        for var in json.loads(path.read_text())["templating"]["list"]:
            if var["type"] != "query":
                continue
            match = re.fullmatch(r"label_values\((\w+(?:\{[^}]*\})?),\s*(\w+)\)", var["definition"])
            assert match, var["definition"]
            values = prom.label_values(match[2], match[1])
            assert var["current"]["value"] in values, f"default {var['current']} not among {values}"
            resolved[var["name"]] = var["current"]["value"]
    return resolved


@pytest.mark.slow
def test_every_panel_query_runs_against_prometheus_scraping_the_twin(observed: observekit.Environment) -> None:
    prom = observed.prometheus.client
    start, end = observed.base.started, observed.candidate.ended
    variables = {
        **_resolve_variables(prom),
        "__rate_interval": "4s",  # Grafana: max(4 x scrape interval, step + scrape interval), scrape = 1 s
        "__interval": "1s",
        "__range": f"{int(end - start)}s",
    }
    fed, unfed, problems = 0, 0, []
    for name, title, ref, expr in _targets():
        query = _substitute(expr, variables)
        try:
            result = prom.range(query, start, end, step=1.0)
        except QueryError as exc:
            problems.append(f"{name} / {title} / {ref}: does not run: {exc}")
            continue
        has_data = any(p[1] == p[1] for s in result.series for p in s.points)  # a non-NaN sample
        reasons = [why for metric, why in CANNOT_FEED.items() if metric in expr]
        gaps = [why for metric, why in TWIN_GAPS.items() if re.search(rf"\b{metric}\b", expr)]
        if reasons:
            unfed += 1
            if has_data:
                problems.append(f"{name} / {title} / {ref}: listed as unfed ({reasons[0]}) but returns data")
        elif gaps:
            unfed += 1
        elif has_data:
            fed += 1
        else:
            problems.append(f"{name} / {title} / {ref}: no data from the twin: {query}")
    assert not problems, "\n".join(problems)
    assert fed >= 30, f"only {fed} queries returned data"
    assert fed + unfed == len(_targets())


@pytest.mark.parametrize(
    ("expr", "problem"),
    [  # the reference dashboard's bugs, and a lifetime-counter ratio: the lint above must catch each
        ('sum(rate(workqueue_depth{container="spark-operator-controller"}[1m])) by (name) > 0', "rate() on a gauge"),
        ("sum(increase(workqueue_unfinished_work_seconds[5m])) by (name) > 0", "rate() on a gauge"),
        ("sum(spark_application_success_count) / sum(spark_application_submit_count)", "counter used raw"),
        ("sum(increase(spark_application_submit_count[5m])) by (pod)", None),
        ('histogram_quantile(0.99, sum by (le) (rate(workqueue_work_duration_seconds_bucket{name="x"}[5m])))', None),
    ],
)
def test_the_lint_catches_the_reference_bugs(expr: str, problem: str | None) -> None:
    found = _lint(expr)
    assert bool(found) == bool(problem), found
    if problem:
        assert all(f.startswith(problem) for f in found), found

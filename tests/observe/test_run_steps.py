"""The observation steps of the run pipeline: order, --prometheus-url checks (exit 2), `off`."""

from __future__ import annotations

from pathlib import Path

import observekit
from rich.console import Console

from benchkit.orchestrate import observe_steps
from benchkit.orchestrate.context import RunContext
from benchkit.orchestrate.run import PIPELINE
from benchkit.settings import run as run_settings


def test_steps_sit_between_the_run_steps() -> None:
    names = [s.name for s in PIPELINE]
    assert names.index("validate") < names.index("check_prometheus") < names.index("target")
    assert names.index("target") < names.index("start_prometheus") < names.index("submit")
    assert names.index("results") < names.index("collect") < names.index("report") < names.index("slo")
    assert names.index("slo") < names.index("stop_prometheus") < names.index("stop_target")
    always = {s.name for s in PIPELINE if s.always}
    assert {"collect", "report", "slo", "stop_prometheus"} <= always


def test_bad_prometheus_url_is_exit_2_before_anything_is_created(tmp_path: Path) -> None:
    for url, message in (("ftp://prom:9090", "expected http(s)://host:port"),
                         ("http://127.0.0.1:9", "does not answer PromQL queries")):  # fmt: skip
        proc = observekit.benchkit("run", "--total-jobs", "1", "--prometheus-url", url, "--results-dir",
                                   str(tmp_path / "runs"), timeout=60)  # fmt: skip
        assert proc.returncode == 2 and message in proc.stderr, proc.stderr
        assert not (tmp_path / "runs").exists()


def test_off_collects_nothing_and_starts_nothing(tmp_path: Path) -> None:
    settings = run_settings.build({"prometheus_url": "off"})
    ctx = RunContext(settings=settings, console=Console(file=open("/dev/null", "w")), out=Console())  # noqa: SIM115
    ctx.twin = object()  # an embedded run: without `off` a local Prometheus would start
    ctx.run_dir = tmp_path
    (tmp_path / "events.jsonl").write_text("")
    observe_steps.check_prometheus(ctx)
    observe_steps.start_prometheus(ctx)
    observe_steps.collect_metrics(ctx)
    assert observe_steps.PROMETHEUS not in ctx.extras and not (tmp_path / "metrics").exists()

"""The observation steps of the run pipeline: order, --prometheus-url checks (exit 2), `off`."""

from __future__ import annotations

from pathlib import Path

import observekit
from rich.console import Console

from benchkit.orchestrate import observe_steps
from benchkit.orchestrate.context import RunContext
from benchkit.orchestrate.run import LIFECYCLE, UNWIND
from benchkit.settings import run as run_settings
from benchkit.twin.process import TwinProcess


def test_steps_sit_between_the_run_steps() -> None:
    names = [s.name for s in LIFECYCLE]
    assert names.index("validate") < names.index("check_prometheus") < names.index("target")
    assert names.index("target") < names.index("prometheus") < names.index("submit")
    # when the run unwinds: results, then metrics, report and SLOs, then Prometheus stops, then the target
    assert UNWIND.index("results") < UNWIND.index("collect") < UNWIND.index("report") < UNWIND.index("slo")
    assert UNWIND.index("slo") < UNWIND.index("prometheus") < UNWIND.index("target")
    unwinding = set(UNWIND)
    assert {"collect", "report", "slo", "prometheus"} <= unwinding


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
    ctx.twin = TwinProcess(workdir=tmp_path / "twin")  # embedded (never started): without `off`, a local Prometheus
    ctx.run_dir = tmp_path
    (tmp_path / "events.jsonl").write_text("")
    observe_steps.check_prometheus(ctx)
    with observe_steps.local_prometheus(ctx):
        observe_steps.collect_metrics(ctx)
    assert ctx.metrics is None and not (tmp_path / "metrics").exists()

"""The run lifecycle's observation steps: Prometheus (given, local, or port-forwarded), collection, report, SLOs.

`check_prometheus` before anything starts; `local_prometheus` held from right after the target until the
end; `collect`, `report` and `slo` when the run unwinds, after its results and before Prometheus stops.

Where metrics come from: `--prometheus-url URL`; else, on the embedded twin, a local Prometheus scraping
it (when the binary is installed); else, with `--stack`, a port-forward to the stack's Prometheus opened
for the collection. `--prometheus-url off` turns collection off.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlparse

from benchkit.errors import BenchkitError, ConfigError
from benchkit.observe import collect as collection
from benchkit.observe import local, portforward
from benchkit.observe.promql import PromClient, QueryError
from benchkit.orchestrate.context import Metrics, RunContext
from benchkit.report import slo as gates
from benchkit.results import journal

OFF = "off"
LOCAL_SCRAPE_INTERVAL_S = 1.0


def check_prometheus(ctx: RunContext) -> None:
    """--prometheus-url must be an http(s) URL that answers a query, before anything is created (exit 2)."""
    url = ctx.settings.prometheus_url
    if url is None or url == OFF:
        return
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ConfigError(f"prometheus-url: expected http(s)://host:port, got {url!r} (or 'off')")
    try:
        PromClient(url, timeout=10).instant("vector(1)")
    except QueryError as exc:
        raise ConfigError(f"prometheus-url: {url} does not answer PromQL queries: {exc}") from None
    ctx.metrics = Metrics(url, collection.DEFAULT_SCRAPE_INTERVAL_S, source=url)


@contextmanager
def local_prometheus(ctx: RunContext) -> Iterator[None]:
    """On the embedded twin, without --prometheus-url: a local Prometheus scraping the twin every second,
    until the run's metrics are collected."""
    s = ctx.settings
    binary = local.find_binary() if s.prometheus_url is None and ctx.twin is not None else None
    if s.prometheus_url is None and ctx.twin is not None and binary is None:
        ctx.console.print(f"benchkit: no Prometheus binary, metrics/ stays empty: {local.INSTALL_HINT}",
                          highlight=False, soft_wrap=True)  # fmt: skip
    if binary is None or ctx.twin is None:
        yield
        return
    twin = ctx.twin
    target = local.ScrapeTarget("twin", f"{twin.url}/metrics", token=twin.token, ca_file=twin.ca_file)
    prom = local.LocalPrometheus([target], scrape_interval=LOCAL_SCRAPE_INTERVAL_S, binary=binary)
    started = time.monotonic()
    try:
        prom.start()
        prom.wait_for_targets()  # its first scrape comes ~5 s after start; wait so the run's start is on record
        ctx.metrics = Metrics(prom.url, LOCAL_SCRAPE_INTERVAL_S, "local Prometheus scraping the embedded twin", prom)
        ctx.console.print(f"benchkit: local Prometheus at {prom.url} scraping the twin every "
                          f"{LOCAL_SCRAPE_INTERVAL_S:g} s (ready in {time.monotonic() - started:.1f} s)",
                          highlight=False, soft_wrap=True)  # fmt: skip
        yield
    finally:
        prom.stop()


def collect_metrics(ctx: RunContext) -> None:
    """Query every profile over the run's window into metrics/; failures are reported, never fatal."""
    if ctx.run_dir is None or not (ctx.run_dir / journal.EVENTS_FILE).is_file() or ctx.settings.prometheus_url == OFF:
        return
    try:
        if ctx.metrics is not None:
            _collect(ctx, ctx.metrics.url, ctx.metrics.scrape_interval, ctx.metrics.source)
        elif ctx.settings.stack is not None:
            _collect_via_stack(ctx, ctx.settings.stack)
    except BenchkitError as exc:
        ctx.console.print(f"benchkit: metrics not collected: {exc}", highlight=False, soft_wrap=True)
        if ctx.journal is not None:
            ctx.journal.emit(journal.STAGE, name="collect", detail={"error": str(exc)})


def _collect(ctx: RunContext, url: str, scrape_interval: float, source: str) -> None:
    assert ctx.run_dir is not None
    outcomes = collection.collect_run(ctx.run_dir, url, scrape_interval=scrape_interval)
    line = collection.summary_line(outcomes)
    ctx.console.print(f"benchkit: metrics from {source}: {line}", highlight=False, soft_wrap=True)
    if ctx.journal is not None:
        ctx.journal.emit(journal.STAGE, name="collect", detail={"source": source, "result": line})


def _collect_via_stack(ctx: RunContext, stack: str) -> None:
    from benchkit.kube.stack import read_stack_outputs  # noqa: PLC0415 - only --stack runs need Pulumi here

    outputs = read_stack_outputs(stack)
    if not outputs.prometheus_service:
        ctx.console.print(f"benchkit: stack {stack} exports no prometheusService: metrics not collected",
                          highlight=False, soft_wrap=True)  # fmt: skip
        return
    with portforward.stack_prometheus(outputs) as forward:
        source = f"stack {stack} Prometheus ({outputs.prometheus_service}, port-forwarded)"
        _collect(ctx, forward.url, collection.DEFAULT_SCRAPE_INTERVAL_S, source)


def report_step(ctx: RunContext) -> None:
    if ctx.run_dir is None or ctx.summary is None:
        return
    # imported here: matplotlib is most of its import time, and a run refused on bad input never reports
    from benchkit.report.report import write_report  # noqa: PLC0415

    path = write_report(ctx.run_dir)
    ctx.console.print(f"benchkit: report: {path}", highlight=False, soft_wrap=True)


def slo_step(ctx: RunContext) -> None:
    """Evaluate the scenario's SLOs, write junit.xml; a breach is exit 3 (unless the run was interrupted)."""
    if not ctx.settings.slo or ctx.run_dir is None or ctx.summary is None:
        return
    results = gates.evaluate_settings(ctx.settings.slo, ctx.summary)
    gates.write_junit(ctx.run_dir / gates.JUNIT_FILE, results, ctx.run_id, ctx.summary.duration_s)
    for r in results:
        ctx.console.print(f"benchkit: SLO {'ok    ' if r.passed else 'BREACH'} {r.slo.text}: {r.message}",
                          highlight=False, soft_wrap=True)  # fmt: skip
    if ctx.interrupts:
        return  # an interrupted run exits 130; junit.xml still says what held
    gates.raise_on_breach(results)

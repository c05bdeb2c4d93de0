"""The end-of-run summary table (stdout), shared by `benchkit run` and `benchkit summarize`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

PHASES = ("create_call", "create_to_submitted", "create_to_running", "create_to_terminal", "status_lag")


def render(summary: dict[str, Any], run_dir: Path, console: Console) -> None:
    jobs, rate = summary.get("jobs") or {}, summary.get("rate") or {}
    table = Table(title=f"benchkit run {summary.get('run_id')} ({summary.get('scenario')}, end: {summary.get('end')})",
                  show_header=True, header_style="bold")  # fmt: skip
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_row("jobs planned / submitted", f"{jobs.get('planned')} / {jobs.get('submitted')}")
    table.add_row("created / create failed", f"{jobs.get('created')} / {jobs.get('create_failed')}")
    table.add_row("completed / failed / unfinished",
                  f"{jobs.get('completed')} / {jobs.get('failed')} / {jobs.get('unfinished')}")  # fmt: skip
    target = rate.get("target_per_min")
    table.add_row(
        "rate target / achieved (jobs/min)",
        f"{_num(target)} / {_num(rate.get('achieved_per_min'))} (x{_num(rate.get('achieved_ratio'), 3)})",
    )
    table.add_row("max lateness (s)", _num(rate.get("max_lateness_s"), 3))
    table.add_row("in-flight cap hits", _num((summary.get("api") or {}).get("inflight_cap_hits")))
    table.add_row("operator throughput (apps/min)", _num((summary.get("operator") or {}).get("apps_per_min")))
    saturation = summary.get("saturation")
    if saturation:
        table.add_row(
            "sustained / saturated at (jobs/min)",
            f"{_num(saturation.get('sustained_per_min'))} / {_num(saturation.get('saturated_at_per_min'))}",
        )
    latency = summary.get("latency_s") or {}
    for phase in PHASES:
        q = latency.get(phase) or {}
        if q.get("count"):
            table.add_row(f"{phase} p50 / p90 / p99 / max (s)",
                          " / ".join(_num(q.get(k), 3) for k in ("p50", "p90", "p99", "max")))  # fmt: skip
    tracking = summary.get("tracking") or {}
    if tracking.get("api_requests_per_job") is not None:
        table.add_row("tracker API requests per job", _num(tracking.get("api_requests_per_job"), 3))
    cleanup = summary.get("cleanup")
    if cleanup:
        table.add_row("cleanup deleted / remaining", f"{cleanup.get('deleted')} / {cleanup.get('remaining')}")
    table.add_row("duration (s)", _num(summary.get("duration_s"), 1))
    console.print(table)
    console.print(f"results: {run_dir}", highlight=False, soft_wrap=True)


def _num(value: Any, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)

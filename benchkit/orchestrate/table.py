"""The end-of-run summary table (stdout), shared by `benchkit run` and `benchkit summarize`.

Rates are shown three ways, never folded into one: offered (the schedule), sent (the creates attempted) and
achieved (the creates the API server acknowledged). Latency rows are every phase with samples, at the one
percentile set (results.phases, results.stats).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from benchkit.results.phases import NAMES as PHASES
from benchkit.results.schema import Summary
from benchkit.results.stats import STATS


def render(summary: Summary, run_dir: Path, console: Console) -> None:
    jobs, rate = summary.jobs, summary.rate
    table = Table(title=f"benchkit run {summary.run_id} ({summary.scenario}, end: {summary.end})",
                  show_header=True, header_style="bold")  # fmt: skip
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_row("jobs planned / submitted", f"{_num(jobs.planned)} / {jobs.submitted}")
    table.add_row("created (acknowledged) / create failed", f"{jobs.created} / {jobs.create_failed}")
    table.add_row("completed / failed / unfinished", f"{jobs.completed} / {jobs.failed} / {jobs.unfinished}")
    rates = (rate.offered_per_min, rate.sent_per_min, rate.achieved_per_min)
    table.add_row("rate offered / sent / achieved (jobs/min)", " / ".join(_num(r) for r in rates))
    table.add_row("sent / offered, achieved / offered", f"x{_num(rate.sent_ratio, 3)}, x{_num(rate.achieved_ratio, 3)}")
    table.add_row("max lateness (s)", _num(rate.max_lateness_s, 3))
    table.add_row("in-flight cap hits", _num(summary.api.inflight_cap_hits))
    table.add_row("operator throughput (apps/min)", _num(summary.operator.apps_per_min))
    sat = summary.saturation
    if sat:
        table.add_row("sustained / saturated at (jobs/min)",
                      f"{_num(sat.sustained_per_min)} / {_num(sat.saturated_at_per_min)}")  # fmt: skip
    if summary.tracking.api_requests_per_job is not None:
        table.add_row("tracker API requests per job", _num(summary.tracking.api_requests_per_job, 3))
    cleanup = summary.cleanup
    if cleanup:
        table.add_row("cleanup deleted / remaining", f"{_num(cleanup.deleted)} / {_num(cleanup.remaining)}")
    table.add_row("duration (s)", _num(summary.duration_s, 1))
    console.print(table)
    latency = _latency(summary)
    if latency.row_count:
        console.print(latency)
    console.print(f"results: {run_dir}", highlight=False, soft_wrap=True)


def _latency(summary: Summary) -> Table:
    """One row per phase with samples; one column per stat of the one percentile set."""
    table = Table(title="latency per phase (seconds)", show_header=True, header_style="bold")
    table.add_column("phase")
    for stat in STATS:
        table.add_column("apps" if stat == "count" else stat, justify="right")
    for phase in PHASES:
        q = summary.latency_s.get(phase)
        if q is not None and q.count:
            table.add_row(phase, str(q.count), *(_num(q.stat(k), 3) for k in STATS[1:]))
    return table


def _num(value: Any, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)

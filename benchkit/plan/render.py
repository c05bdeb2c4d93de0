"""The plan as rich tables: what the run would do, then what it would cost and why."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from benchkit.plan.predict import Plan


def render(p: Plan, budget: float | None = None) -> RenderableType:
    return Group(_timeline(p), _cost(p, budget), *_notes(p))


def _timeline(p: Plan) -> Table:
    t = Table(title=f"benchkit plan: {p.total} jobs, {p.total * p.pods_per_app} pods (model {p.model!r})",
              show_header=False, title_justify="left")  # fmt: skip
    t.add_column(style="bold")
    t.add_column(justify="right")
    t.add_column(style="dim")
    workers = "profile default" if p.operator_workers is None else str(p.operator_workers)
    cpus = "profile default" if p.operator_cpus is None else f"{p.operator_cpus:g} vCPU"
    t.add_row("operator", f"{workers} workers, {cpus}", "webhook " + ("on" if p.webhook else "off"))
    t.add_row("submission window", _dur(p.submit_window_s), "last job due (benchkit's schedule)")
    rate = "-" if p.processed_per_min is None else f"{p.processed_per_min:.0f} apps/min"
    t.add_row("operator processes", rate, "steady state, 10th-90th percentile")
    t.add_row("operator done", _dur(p.operator_window_s), "last app submitted by the operator")
    t.add_row("first / last app starts", f"{_dur(p.first_start_s)} / {_dur(p.last_start_s)}", "driver running")
    t.add_row("last app ends", _dur(p.end_s), "COMPLETED or FAILED")
    t.add_row("peak pending pods", f"{p.peak_pending_pods:,}", "")
    need = ", ".join(f"{g} {n}" for g, n in sorted(p.peak_nodes_needed.items())) or "-"
    t.add_row("peak node need", need, f"bench group has {p.bench_nodes}")
    return t


def _cost(p: Plan, budget: float | None) -> Table:
    c = p.cost
    t = Table(title=f"cost (on-demand, {c.prices.region}, prices as of {c.prices.as_of})", title_justify="left")
    for name, justify in (("item", "left"), ("detail", "left"), ("hours", "right"), ("$/h", "right"), ("USD", "right")):
        t.add_column(name, justify=justify)  # type: ignore[arg-type]
    for line in c.lines:
        t.add_row(line.item, line.detail, f"{line.hours:,.2f}", f"{line.usd_per_hour:,.4g}", f"{line.usd:,.2f}")
    t.add_section()
    t.add_row("total", f"billed wall clock {_dur(c.wall_s)} (node boot + run + drain)", "", "", f"{c.total_usd:,.2f}",
              style="bold")  # fmt: skip
    if budget is not None:
        verdict = "within" if c.total_usd <= budget else "OVER"
        t.add_row("budget", f"{verdict} the budget", "", "", f"{budget:,.2f}",
                  style="green" if c.total_usd <= budget else "bold red")  # fmt: skip
    t.caption = (f"stack idle (bench at 0): ${c.stack_idle_usd_per_hour:,.2f}/h; bench group at {p.bench_nodes} "
                 f"nodes: ${c.bench_usd_per_hour_at_max:,.2f}/h. Source: {c.prices.source}")  # fmt: skip
    return t


def _notes(p: Plan) -> list[Text]:
    return [Text(f"note: {n}", style="yellow") for n in p.notes]


def _dur(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    s = round(seconds)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{s % 3600 // 60:02d}m"

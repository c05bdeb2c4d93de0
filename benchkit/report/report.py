"""`report.html` for one run: key figures, SLO results, charts, settings and environment, in one file."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchkit.report import runfolder
from benchkit.report.figures import run_figures
from benchkit.report.render import flatten, fmt, render
from benchkit.report.slo import SloResult, evaluate_settings
from benchkit.results.phases import BY_NAME
from benchkit.results.schema import Summary
from benchkit.results.stats import STATS

REPORT_FILE = "report.html"


@dataclass(frozen=True)
class Card:
    label: str
    value: str
    note: str = ""


def write_report(run_dir: Path) -> Path:
    """Render `<run_dir>/report.html` (atomically) and return its path."""
    run = runfolder.load(run_dir)
    html = render("report.html.j2", **context(run))
    path = Path(run_dir) / REPORT_FILE
    tmp = path.with_suffix(".html.tmp")
    tmp.write_text(html)
    os.replace(tmp, path)
    return path


def context(run: runfolder.RunFolder) -> dict[str, Any]:
    summary = run.summary
    slos: list[SloResult] = evaluate_settings(run.settings.get("slo") or {}, summary)
    figures = run_figures(run)
    environment = [(k, fmt(v)) for k, v in flatten({k: v for k, v in run.manifest.items() if k != "settings"})]
    return {
        "run_id": run.run_id,
        "headline": headline(run),
        "cards": cards(summary, run.settings),
        "slos": slos,
        "stats": STATS[1:],
        "latency": [(p, BY_NAME[p].meaning if p in BY_NAME else "", q) for p, q in summary.latency_s.items()],
        "figures": [f for f in figures if not f.id.startswith("metric-")],
        "metric_figures": [f for f in figures if f.id.startswith("metric-")],
        "saturation_steps": summary.saturation.steps if summary.saturation else [],
        "missing_metrics": run.missing_metrics,
        "settings": [
            (k, "; ".join(r.slo.text for r in slos) if k == "slo" else fmt(v)) for k, v in sorted(run.settings.items())
        ],
        "environment": environment,
    }


def headline(run: runfolder.RunFolder) -> str:
    s = run.summary
    target = run.manifest.get("target")
    where = target.get("kind") or target.get("server") if isinstance(target, dict) else target
    parts = [f"scenario {s.scenario or run.settings.get('scenario') or '?'}",
             f"{fmt(s.duration_s)} s", f"ended: {s.end}"]  # fmt: skip
    if where:
        parts.insert(0, f"target {where}")
    started = run.manifest.get("started") or run.manifest.get("started_at")
    if started:
        parts.append(f"started {started}")
    return " · ".join(parts)


def cards(summary: Summary, settings: dict[str, Any]) -> list[Card]:
    jobs, rate = summary.jobs, summary.rate
    running = summary.latency_s.get("create_to_running")
    ramp = settings.get("ramp")
    out = [
        Card("jobs completed", fmt(jobs.completed), f"of {fmt(jobs.submitted)} submitted"),
        Card("failed / unfinished", f"{fmt(jobs.failed)} / {fmt(jobs.unfinished)}",
             f"create failed: {fmt(jobs.create_failed)}"),
        Card("offered rate", f"ramp {ramp}" if ramp else f"{fmt(rate.offered_per_min)}/min",
             f"mean {fmt(rate.offered_per_min)}/min over the ramp" if ramp else
             f"target {fmt(rate.target_per_min)}/min"),
        Card("sent rate", f"{fmt(rate.sent_per_min)}/min",
             f"x{fmt(rate.sent_ratio)} of offered, max late {fmt(rate.max_lateness_s)} s"),
        Card("achieved rate", f"{fmt(rate.achieved_per_min)}/min",
             f"creates acknowledged: {fmt(jobs.created)} of {fmt(jobs.submitted)}, x{fmt(rate.achieved_ratio)} "
             "of offered"),
        Card("operator throughput", f"{fmt(summary.operator.apps_per_min)}/min", "apps picked up, steady state"),
        Card("create to RUNNING p50", f"{fmt(running.p50 if running else None)} s",
             f"p95 {fmt(running.p95 if running else None)} s, n = {fmt(running.count if running else 0)} apps"),
        Card("duration", f"{fmt(summary.duration_s)} s"),
    ]  # fmt: skip
    sat = summary.saturation
    if sat:
        out.append(Card("sustained rate", f"{fmt(sat.sustained_per_min)}/min",
                        f"saturated at {fmt(sat.saturated_at_per_min)}/min"))  # fmt: skip
    return out

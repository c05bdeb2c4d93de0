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
    latency = [(p, q) for p, q in (summary.get("latency_s") or {}).items() if isinstance(q, dict)]
    saturation = summary.get("saturation") or {}
    figures = run_figures(run)
    environment = [(k, fmt(v)) for k, v in flatten({k: v for k, v in run.manifest.items() if k != "settings"})]
    return {
        "run_id": run.run_id,
        "headline": headline(run),
        "cards": cards(summary, run.settings),
        "slos": slos,
        "latency": [(p, _Quantiles(q)) for p, q in latency],
        "figures": [f for f in figures if not f.id.startswith("metric-")],
        "metric_figures": [f for f in figures if f.id.startswith("metric-")],
        "saturation_steps": saturation.get("steps") or [],
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
    parts = [f"scenario {s.get('scenario') or run.settings.get('scenario') or '?'}",
             f"{fmt(s.get('duration_s'))} s", f"ended: {s.get('end', '?')}"]  # fmt: skip
    if where:
        parts.insert(0, f"target {where}")
    started = run.manifest.get("started") or run.manifest.get("started_at")
    if started:
        parts.append(f"started {started}")
    return " · ".join(parts)


def cards(summary: dict[str, Any], settings: dict[str, Any]) -> list[Card]:
    jobs = summary.get("jobs") or {}
    rate = summary.get("rate") or {}
    running = (summary.get("latency_s") or {}).get("create_to_running") or {}
    out = [
        Card("jobs completed", fmt(jobs.get("completed")), f"of {fmt(jobs.get('submitted'))} submitted"),
        Card("failed / unfinished", f"{fmt(jobs.get('failed'))} / {fmt(jobs.get('unfinished'))}",
             f"create failed: {fmt(jobs.get('create_failed'))}"),
        Card("offered rate", f"ramp {settings['ramp']}" if settings.get("ramp") else
             f"{fmt(rate.get('target_per_min'))}/min", "jobs/min START:STEP:EVERY:MAX" if settings.get("ramp") else
             "target"),
        Card("achieved rate", f"{fmt(rate.get('achieved_per_min'))}/min",
             f"ratio {fmt(rate.get('achieved_ratio'))}, max late {fmt(rate.get('max_lateness_s'))} s"),
        Card("operator throughput", f"{fmt((summary.get('operator') or {}).get('apps_per_min'))}/min",
             "apps picked up, steady state"),
        Card("create to RUNNING p50", f"{fmt(running.get('p50'))} s",
             f"p99 {fmt(running.get('p99'))} s, n = {fmt(running.get('count'))} apps"),
        Card("duration", f"{fmt(summary.get('duration_s'))} s"),
    ]  # fmt: skip
    sat = summary.get("saturation") or {}
    if sat:
        out.append(Card("sustained rate", f"{fmt(sat.get('sustained_per_min'))}/min",
                        f"saturated at {fmt(sat.get('saturated_at_per_min'))}/min"))  # fmt: skip
    return out


class _Quantiles:
    """Attribute access to a latency dict for the template (missing keys read as None)."""

    def __init__(self, q: dict[str, Any]) -> None:
        self.count = q.get("count", 0)
        self.p50, self.p90, self.p99, self.max = q.get("p50"), q.get("p90"), q.get("p99"), q.get("max")

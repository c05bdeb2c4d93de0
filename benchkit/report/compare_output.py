"""Write a Comparison as compare.md (also printed) and compare.html (with overlaid CDFs)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from benchkit.report import charts
from benchkit.report import timeline as tl
from benchkit.report.compare import ALPHA, THROUGHPUT, Comparison
from benchkit.report.figures import TIME, Figure
from benchkit.report.render import fmt, render

MARKDOWN_FILE = "compare.md"
HTML_FILE = "compare.html"


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:+.1f} %"


def _p(value: float | None) -> str:
    return "–" if value is None else f"{value:.3g}"


def to_markdown(c: Comparison) -> str:
    lines = [
        f"# benchkit compare: {c.base.run_id} (base) vs {c.cand.run_id} (candidate)",
        "",
        f"**Verdict:** {c.verdict}",
        "",
    ]
    lines += ["## Key figures", "", "| figure | base | candidate | delta | change | |", "|---|---:|---:|---:|---:|---|"]
    for r in c.figures:
        lines.append(f"| {r.label} | {fmt(r.base)} | {fmt(r.cand)} | {fmt(r.delta)} | {_pct(r.delta_pct)} | "
                     f"{r.verdict} |")  # fmt: skip
    lines += ["", f"## Latency distributions (Mann-Whitney U, two-sided, alpha {ALPHA})", "",
              "| phase | n base | n cand | median base s | median cand s | change | U | p | verdict |",
              "|---|---:|---:|---:|---:|---:|---:|---:|---|"]  # fmt: skip
    for t in c.tests:
        lines.append(f"| {t.phase} | {t.n_base} | {t.n_cand} | {fmt(t.median_base)} | {fmt(t.median_cand)} | "
                     f"{_pct(t.change_pct)} | {fmt(t.u)} | {_p(t.p_value)} | {t.verdict} |")  # fmt: skip
    lines += ["", "## What changed in the environment", ""]
    if c.env:
        lines += ["| setting | base | candidate |", "|---|---|---|"]
        lines += [f"| {k} | {fmt(b)} | {fmt(v)} |" for k, b, v in c.env]
    else:
        lines.append("Nothing: the two manifests agree on every setting (beyond ids and times).")
    if c.threshold_pct is not None:
        lines += ["", f"## Regressions (threshold {c.threshold_pct:g} %)", ""]
        lines += [f"- {r}" for r in c.regressions] or ["None."]
    return "\n".join(lines) + "\n"


def figures(c: Comparison) -> list[Figure]:
    labels = (f"base {c.base.run_id}", f"candidate {c.cand.run_id}")
    styles = {labels[0]: "--"}
    out = []
    grid_end = max(c.base.timeline.duration, c.cand.timeline.duration, 1.0)
    grid = np.linspace(0.0, grid_end, tl.GRID_POINTS)
    window = tl.smoothing_window(grid_end)
    lines = []
    for label, run in zip(labels, (c.base, c.cand), strict=True):
        for what, events in (("created", run.timeline.created), ("picked up", run.timeline.processed)):
            lines.append((f"{label} {what}", grid, tl.rate_per_min(events, grid, window)))
    png = charts.lines(lines, "Created vs picked up by the operator", TIME, "apps per minute",
                       styles={lines[0][0]: "--", lines[1][0]: "--"})  # fmt: skip
    out.append(Figure("throughput", "Throughput over time", f"Trailing {window:.0f} s rates; dashed: base.", png))
    for phase, (base, cand) in c.samples.items():
        if not base and not cand:
            continue
        png = charts.cdfs({labels[0]: base, labels[1]: cand}, f"{phase} CDF", "seconds", styles=styles)
        what = "gaps between consecutive operator pick-ups (steady state)" if phase == THROUGHPUT else "latency"
        out.append(Figure(f"cdf-{phase}", phase, f"CDF of {what}; dashed: base.", png))
    return out


def write(c: Comparison, out_dir: Path) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    md = to_markdown(c)
    md_path, html_path = out_dir / MARKDOWN_FILE, out_dir / HTML_FILE
    _atomic(md_path, md)
    _atomic(html_path, render("compare.html.j2", **_context(c)))
    return html_path, md_path


def _context(c: Comparison) -> dict[str, Any]:
    return {"c": c, "pct": _pct, "p": _p, "alpha": ALPHA, "figures": figures(c)}


def _atomic(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)

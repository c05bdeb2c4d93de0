"""`benchkit compare BASE CANDIDATE`: did the hypothesis help? Figures, significance, environment diff."""

from __future__ import annotations

from pathlib import Path

import click

from benchkit.errors import ConfigError, SloBreach
from benchkit.report import runfolder
from benchkit.report.compare import compare as compare_runs
from benchkit.report.compare_output import to_markdown, write


@click.command()
@click.argument("base", type=click.Path(file_okay=False, path_type=Path))
@click.argument("candidate", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--fail-on-regression",
    "fail_pct",
    type=float,
    metavar="PCT",
    help="Exit 3 when a latency phase is significantly slower (Mann-Whitney p < 0.05) with its median "
    "more than PCT % above the base's, or operator throughput is more than PCT % lower.",
)
@click.option("--output-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Where to write compare.html and compare.md (default: the candidate's run folder).")  # fmt: skip
def compare(base: Path, candidate: Path, fail_pct: float | None, output_dir: Path | None) -> None:
    """Compare run CANDIDATE against run BASE; print the comparison and write compare.html / compare.md."""
    if fail_pct is not None and fail_pct < 0:
        raise ConfigError(f"--fail-on-regression must be >= 0, got {fail_pct:g}")
    result = compare_runs(runfolder.load(base), runfolder.load(candidate), fail_pct)
    html, md = write(result, output_dir or candidate)
    click.echo(to_markdown(result))
    click.echo(f"written: {html} and {md}")
    click.echo(f"verdict: {result.verdict}")
    if result.regressions:
        raise SloBreach(f"{len(result.regressions)} regression(s): {'; '.join(result.regressions)}")

"""`benchkit report RUN_DIR`: write the run's self-contained report.html."""

from __future__ import annotations

from pathlib import Path

import click

from benchkit.report.report import write_report


@click.command()
@click.argument("run_dir", type=click.Path(file_okay=False, path_type=Path))
def report(run_dir: Path) -> None:
    """Write RUN_DIR/report.html: key figures, SLO results, charts (embedded PNGs), settings, environment."""
    path = write_report(run_dir)
    click.echo(f"report: {path}")

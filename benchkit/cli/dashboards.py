"""`benchkit dashboards [--check] [OUT_DIR]`: regenerate the Grafana dashboards' JSON (a developer tool)."""

from __future__ import annotations

from pathlib import Path

import click

from benchkit.observe import dashboards as generator


@click.command()
@click.argument("out_dir", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--check", is_flag=True, help="Write nothing; exit 1 naming every file that is stale or missing.")
def dashboards(*, out_dir: Path | None, check: bool) -> None:
    """Write dashboards/*.json (or OUT_DIR) from benchkit/observe/dashboard_panels.py."""
    target = out_dir if out_dir is not None else generator.DEFAULT_DIR
    if check:
        generator.check(target)
        return
    for path in generator.write(target):
        click.echo(f"wrote {path}")

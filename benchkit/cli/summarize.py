"""`benchkit summarize RUN_DIR`: rebuild summary.json and apps.csv from a run's journal (also after a crash)."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console

from benchkit.errors import ConfigError
from benchkit.orchestrate import table
from benchkit.results import apps, journal, summary


@click.command()
@click.argument("run_dir", type=click.Path(file_okay=False, path_type=Path))
def summarize(run_dir: Path) -> None:
    """Rebuild RUN_DIR/summary.json and RUN_DIR/apps.csv from RUN_DIR/events.jsonl and print the summary."""
    if not (run_dir / journal.EVENTS_FILE).is_file():
        raise ConfigError(f"{run_dir}: no {journal.EVENTS_FILE} here (is it a benchkit run folder?)")
    result = summary.write(run_dir)
    apps.write(run_dir)
    table.render(result, run_dir, Console())

"""`benchkit suite suite.yaml`: run a matrix of scenarios one after another, then suite.csv and charts."""

from __future__ import annotations

from pathlib import Path

import click

from benchkit.errors import BenchkitError
from benchkit.orchestrate.suite import exit_code, load_suite, run_suite
from benchkit.report.suite import CSV_FILE, HTML_FILE


@click.command()
@click.argument("suite_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--results-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Where the suite folder goes (default: the scenarios' results-dir, runs/).")  # fmt: skip
@click.option("--dry-run", is_flag=True, help="Validate the suite and list its runs without running them.")
def suite(suite_file: Path, results_dir: Path | None, dry_run: bool) -> None:
    """Run every cell of SUITE_FILE's matrix (each a `benchkit run`), then write suite.csv, charts, suite.html.

    Exit 0 when every run succeeded, 3 when all ran but an SLO was breached, 1 when a run failed.
    """
    plan = load_suite(suite_file, results_dir)
    click.echo(f"suite {plan.name}: {len(plan.cells)} runs over {' x '.join(plan.dimensions)}")
    if dry_run:
        for cell in plan.cells:
            click.echo(f"  {cell.index + 1:3d}. {cell.label}")
        return
    out, results = run_suite(plan, echo=click.echo)
    click.echo(f"written: {out / CSV_FILE} and {out / HTML_FILE}")
    code = exit_code(results)
    if code:
        raise _SuiteFailed(code, f"{sum(r.exit_code != 0 for r in results)} of {len(results)} runs did not pass")


class _SuiteFailed(BenchkitError):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.exit_code = code

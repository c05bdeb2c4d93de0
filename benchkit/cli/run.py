"""`benchkit run`: submit SparkApplications at a rate, track them, write results, clean up."""

import benchkit.load.gevent_first  # noqa: F401, I001  (first: gevent patches the process before ssl loads)

from pathlib import Path
from typing import Any

import click

from benchkit.cli.options import run_settings_options, settings_from_cli


@click.command()
@run_settings_options
def run(scenario_file: Path | None, **params: Any) -> None:
    """Run a benchmark: open-model submission at --jobs-per-min (global), lifecycle tracking, results folder.

    With no --kubeconfig, --context or --stack, runs against the embedded twin (a local simulated cluster).
    Exit codes: 0 ok, 1 runtime error, 2 bad input (nothing created), 130 interrupted.
    """
    from benchkit.orchestrate import run as orchestrate  # noqa: PLC0415 - after gevent's patching

    settings = settings_from_cli(scenario_file, params)
    orchestrate.run(settings)

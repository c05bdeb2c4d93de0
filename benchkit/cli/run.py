"""`benchkit run`: submit SparkApplications at a rate, track them, write results, clean up."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from benchkit.cli.options import run_settings_options, settings_from_cli
from benchkit.spark import template


@click.command()
@run_settings_options
def run(scenario_file: Path | None, **params: Any) -> None:
    """Run a benchmark: open-model submission at --jobs-per-min (global), lifecycle tracking, results folder.

    With no --kubeconfig, --context or --stack, runs against the embedded twin (a local simulated cluster).
    Exit codes: 0 ok, 1 runtime error, 2 bad input (nothing created), 3 SLO breach, 130 interrupted.
    """
    settings = settings_from_cli(scenario_file, params)
    template.load(settings.spark_template)  # bad input fails here, before Locust's (slow) import
    # Locust's import monkey-patches the process with gevent: it must come before anything imports ssl/urllib3.
    import benchkit.load.gevent_first  # noqa: F401, PLC0415
    from benchkit.orchestrate import run as orchestrate  # noqa: PLC0415

    orchestrate.run(settings)

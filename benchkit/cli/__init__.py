"""The `benchkit` command: a thin shell over the library. The only place that exits.

Subcommands live one per module in this package and are imported lazily, so `benchkit twin` does not
pay for Locust (which monkey-patches the process with gevent) and `benchkit plan` does not pay for
matplotlib.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from typing import Any

import click

from benchkit import __version__
from benchkit.errors import BenchkitError, TransportError

# name -> "module:attribute"; each module owns one click command (or group).
COMMANDS: dict[str, str] = {
    "run": "benchkit.cli.run:run",
    "twin": "benchkit.cli.twin:twin",
    "summarize": "benchkit.cli.summarize:summarize",
    "collect": "benchkit.cli.collect:collect",
    "report": "benchkit.cli.report:report",
    "compare": "benchkit.cli.compare:compare",
    "suite": "benchkit.cli.suite:suite",
    "plan": "benchkit.cli.plan:plan",
    "nodes": "benchkit.cli.nodes:nodes",
    "teardown": "benchkit.cli.teardown:teardown",
    "doctor": "benchkit.cli.doctor:doctor",
    "dashboards": "benchkit.cli.dashboards:dashboards",
}


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(name for name, target in COMMANDS.items() if _available(target))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None or not _available(target):
            return None
        module, attr = target.split(":")
        command = getattr(importlib.import_module(module), attr)
        assert isinstance(command, click.Command)
        return command


def _available(target: str) -> bool:
    return importlib.util.find_spec(target.split(":", maxsplit=1)[0]) is not None


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="benchkit")
def cli() -> None:
    """Benchmark the Kubeflow Spark Operator: submit SparkApplications at a jobs-per-minute rate,
    track every app through its lifecycle, report, compare, and tear down."""


def main(argv: list[str] | None = None) -> Any:
    """Console-script entry point: maps benchkit errors to one line on stderr and an exit code."""
    try:
        return cli.main(args=argv, prog_name="benchkit", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("benchkit: interrupted", err=True)
        sys.exit(130)
    except click.ClickException as exc:  # usage errors: exit 2, one line
        click.echo(f"benchkit: error: {exc.format_message()}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except BenchkitError as exc:
        click.echo(f"benchkit: error: {_one_line(exc)}", err=True)
        sys.exit(exc.exit_code)
    except TransportError as exc:  # the cluster stopped answering somewhere nothing wrapped it: a runtime error
        click.echo(f"benchkit: error: no answer from the cluster: {_one_line(exc)}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        click.echo("benchkit: interrupted", err=True)
        sys.exit(130)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__

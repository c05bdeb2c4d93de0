"""Click options shared by `benchkit run`, `benchkit plan` and `benchkit suite`: the RunSettings flags."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from benchkit.settings import run as run_settings
from benchkit.spark import templates
from benchkit.spark.operator_versions import SUPPORTED_CHARTS

F = TypeVar("F", bound=Callable[..., Any])
TEMPLATE_NAMES = " | ".join(f"{name} (default)" if name == templates.DEFAULT else name for name in templates.FILES)
"""The packaged `--spark-template` names as the help shows them."""

_OPTIONS: list[Callable[[F], F]] = [
    click.argument("scenario_file", required=False, type=click.Path(dir_okay=False, path_type=Path)),
    click.option("--users", type=int, help="Locust users (default 3). They share the global schedule."),
    click.option("--jobs-per-min", type=float,
                 help="GLOBAL submission rate in jobs/min, across all users and processes (default 60)."),
    click.option("--job-limit-per-user", type=int, help="Jobs per user; total = users x limit."),
    click.option("--total-jobs", type=int, help="Total jobs (instead of --job-limit-per-user)."),
    click.option("--spark-namespaces", help="Comma-separated namespaces (default: spark-team-a,b,c)."),
    click.option("--spark-template", type=click.Path(path_type=Path),
                 help=f"{TEMPLATE_NAMES} (packaged) | PATH of a SparkApplication YAML."),
    click.option("--app-seconds", help="How long each app sleeps, e.g. 30 or 2m."),
    click.option("--scenario", "scenario_kind", type=click.Choice(run_settings.SCENARIOS),
                 help="delete: delete each app once terminal; keep: keep all objects."),
    click.option("--kubeconfig", type=click.Path(path_type=Path), help="Kubeconfig of the target cluster."),
    click.option("--context", help="Kubeconfig context."),
    click.option("--stack", help="Pulumi stack: read cluster details from `pulumi stack output --json`."),
    click.option("--results-dir", type=click.Path(file_okay=False, path_type=Path), help="Default: runs/."),
    click.option("--timeout", help="Tracking time allowed after the last submission, e.g. 30m (default 30m)."),
    click.option("--api-grace", help="How long the API server may stay unreachable before the run ends with an "
                 "error, e.g. 30s (default 2m)."),
    click.option("--processes", type=int, help="Locust worker processes (default 1)."),
    click.option("--max-inflight", type=int, help="Cap on concurrent create calls (default 256)."),
    click.option("--operator-workers", type=int, help="Embedded twin / plan: Spark Operator workers."),
    click.option("--operator-cpus", type=float, help="Embedded twin / plan: vCPUs of the operator node."),
    click.option("--webhook", type=click.Choice(run_settings.WEBHOOK_MODES),
                 help="Embedded twin / plan: the Spark Operator's mutating webhook (default on)."),
    click.option("--twin-profile", type=click.Choice(run_settings.TWIN_PROFILES), help="Embedded twin model profile."),
    click.option("--twin-operator-chart", type=click.Choice(SUPPORTED_CHARTS),
                 help="Operator chart version whose metric names the embedded twin exports (default 2.1.0)."),
    click.option("--nodes", type=int, help="Bench nodes (embedded twin size; plan's node-group max)."),
    click.option("--prometheus-url", help="Prometheus to collect metrics from after the run ('off': none). Default: "
                 "a local Prometheus on the embedded twin; the stack's, port-forwarded, with --stack."),
    click.option("--ramp", help="START:STEP:EVERY[:MAX]: raise the offered rate in steps to find saturation."),
    click.option("--budget", type=float, help="USD: refuse to start above it (unless --yes); abort when passed."),
    click.option("--yes", is_flag=True, default=None, help="Start even if the plan's estimate exceeds --budget."),
    click.option("--prescale", is_flag=True, default=None, help="Scale the bench node group to --nodes first."),
    click.option("--teardown", "teardown_after", is_flag=True, default=None, help="Tear down at the end, even on ^C."),
    click.option("--autoscale", help="MIN:MAX: size the bench group from the backlog instead of pre-scaling."),
    click.option("--name", help="Short name, part of the run id."),
    click.option("--no-cleanup", is_flag=True, default=None,
                 help="Leave this run's objects on the cluster at the end (default: delete them, by label)."),
]  # fmt: skip


def run_settings_options(func: F) -> F:
    """Decorate a click command with every RunSettings flag (and the optional scenario file argument)."""
    for option in reversed(_OPTIONS):
        func = option(func)
    return func


def settings_from_cli(scenario_file: Path | None, params: dict[str, Any]) -> run_settings.RunSettings:
    """Scenario file (if any) overridden by the flags that were given."""
    flags = dict(params)
    flags["scenario"] = flags.pop("scenario_kind", None)
    flags["teardown"] = flags.pop("teardown_after", None)
    flags["cleanup"] = False if flags.pop("no_cleanup", None) else None
    scenario = run_settings.load_scenario(scenario_file) if scenario_file is not None else {}
    known = {k: v for k, v in flags.items() if k in run_settings.FIELDS}
    return run_settings.build(scenario, known)

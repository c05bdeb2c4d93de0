"""`benchkit collect RUN_DIR`: query Prometheus over a finished run's window into `metrics/<name>.csv`."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import click

from benchkit.errors import ConfigError
from benchkit.observe import collect as collection
from benchkit.observe import profiles


@click.command()
@click.argument("run_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--prometheus-url", help="Prometheus HTTP API, e.g. http://127.0.0.1:9090.")
@click.option("--stack", help="Pulumi stack: port-forward to its Prometheus (output prometheusService) for the query.")
@click.option("--profile", "profile_names", multiple=True,
              help=f"Metric profile: a built-in name ({', '.join(profiles.BUILTIN)}) or a YAML file. "
                   "Repeatable; default: all built-in profiles.")  # fmt: skip
@click.option("--step", type=float, help="Range query step in seconds (default: window / 300, at least 1 s).")
@click.option(
    "--scrape-interval",
    type=float,
    default=collection.DEFAULT_SCRAPE_INTERVAL_S,
    show_default=True,
    help="Prometheus' scrape interval in seconds; rate windows span at least 4 scrapes.",
)
def collect(*, run_dir: Path, prometheus_url: str | None, stack: str | None, profile_names: tuple[str, ...],
            step: float | None, scrape_interval: float) -> None:  # fmt: skip
    """Collect Prometheus metrics for RUN_DIR (window: the journal's run_start..run_end).

    Missing series are reported, not fatal; an unreachable Prometheus is exit 1.
    """
    if not (run_dir / "events.jsonl").is_file():
        raise ConfigError(f"{run_dir} is not a run folder (no events.jsonl)")
    if (prometheus_url is None) == (stack is None):
        raise ConfigError("give exactly one of --prometheus-url or --stack")
    if (step is not None and step <= 0) or scrape_interval <= 0:
        raise ConfigError("--step and --scrape-interval must be > 0")
    names = profile_names or profiles.BUILTIN
    profiles.load(names)  # validate before opening any port-forward
    with _prometheus(prometheus_url, stack) as url:
        click.echo(f"collecting from {url if stack is None else f'{url} (port-forward to stack {stack})'}")
        outcomes = collection.collect_run(run_dir, url, profiles=names, scrape_interval=scrape_interval, step=step,
                                          progress=_print_outcome)  # fmt: skip
    click.echo(collection.summary_line(outcomes))
    click.echo(f"written: {run_dir / collection.METRICS_DIR}")


@contextlib.contextmanager
def _prometheus(url: str | None, stack: str | None) -> Iterator[str]:
    if url is not None:
        yield url
        return
    from benchkit.kube.stack import read_stack_outputs  # noqa: PLC0415 - only --stack needs Pulumi
    from benchkit.observe.portforward import stack_prometheus  # noqa: PLC0415

    assert stack is not None
    with stack_prometheus(read_stack_outputs(stack)) as forward:
        yield forward.url


def _print_outcome(outcome: collection.Outcome) -> None:
    if outcome.status == "ok":
        click.echo(f"  ok     {outcome.name}: {outcome.series} series, {outcome.points} points")
    elif outcome.status == "empty":
        click.echo(f"  empty  {outcome.name}: no series (metric not exported or not scraped)")
    else:
        click.echo(f"  error  {outcome.name}: {outcome.error}")

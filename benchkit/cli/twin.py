"""`benchkit twin`: serve the local Spark-on-Kubernetes twin in the foreground until SIGINT/SIGTERM."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import click

from benchkit.twin.config import DEFAULT_NAMESPACES, PROFILES, TwinOptions


def _namespaces(_ctx: click.Context, _param: click.Parameter, value: str) -> tuple[str, ...]:
    names = tuple(n.strip() for n in value.split(",") if n.strip())
    if not names:
        raise click.BadParameter("give at least one namespace")
    return names


@click.command()
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True, help="0 picks a free port.")
@click.option(
    "--kubeconfig",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Where to write the kubeconfig once the twin is ready.",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--nodes", type=click.IntRange(min=0), default=200, show_default=True, help="Bench node group size.")
@click.option("--max-pods", type=click.IntRange(min=1), default=220, show_default=True, help="Pods per node limit.")
@click.option("--profile", type=click.Choice(PROFILES), default="fast", show_default=True, help="Model profile.")
@click.option("--operator-workers", type=click.IntRange(min=1), help="Spark Operator workers (profile default).")
@click.option("--operator-cpus", type=click.FloatRange(min=0, min_open=True), help="Operator node vCPUs.")
@click.option("--webhook", type=click.Choice(("on", "off")), default="on", show_default=True,
              help="The Spark Operator's mutating webhook: admits (and mutates) every pod create.")  # fmt: skip
@click.option(
    "--fault-rate",
    type=click.FloatRange(0, 1),
    default=0.0,
    show_default=True,
    help="Fraction of writes answered 429 / 500 / dropped connection.",
)
@click.option(
    "--api-latency-ms",
    type=click.FloatRange(min=0),
    default=0.0,
    show_default=True,
    help="Latency added to every API request (not to watch event delivery).",
)
@click.option(
    "--namespaces",
    default=",".join(DEFAULT_NAMESPACES),
    show_default=True,
    callback=_namespaces,
    help="Comma-separated namespaces that exist at start.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for the model and the fault injector.")
@click.option("--watch-cut-every", type=click.FloatRange(min=0, min_open=True), help="Cut every watch every N seconds.")
@click.option(
    "--state-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Keep objects, resourceVersions, TLS credentials and token across restarts.",
)
@click.option(
    "--bookmark-every",
    type=click.FloatRange(min=0, min_open=True),
    default=60.0,
    show_default=True,
    help="Seconds between BOOKMARK events on watches that allow them.",
)
@click.option(
    "--watch-history",
    type=click.IntRange(min=100),
    default=10_000,
    show_default=True,
    help="Events kept per resource to resume watches and continue lists; older resourceVersions get 410 Gone.",
)
@click.option("--exit-with-parent", is_flag=True, help="Stop when the process that started the twin exits.")
def twin(**params: Any) -> None:
    """Serve the Kubernetes API of a simulated Spark-on-Kubernetes cluster over HTTPS (see benchkit/twin/README.md)."""
    options = TwinOptions(**params)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from benchkit.twin.server import TwinServer, serve  # noqa: PLC0415 - aiohttp only once the flags are valid

    def ready(server: TwinServer) -> None:
        click.echo(f"benchkit twin: listening on {server.url} (kubeconfig: {options.kubeconfig})")

    asyncio.run(serve(options, ready))

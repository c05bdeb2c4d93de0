"""`benchkit doctor`: a read-only preflight, one row per check (ok / warn / fail, each fail with its fix)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from benchkit.checks import Row
from benchkit.orchestrate import doctor as doctor_mod

STYLE = {"ok": "green", "warn": "yellow", "fail": "bold red"}


@click.command()
@click.option("--stack", help="A benchkit Pulumi stack: its outputs name the cluster, groups and expectations.")
@click.option("--cluster", help="An EKS cluster name (with --region) instead of a stack.")
@click.option("--region", help="AWS region of --cluster.")
@click.option("--kubeconfig", type=click.Path(dir_okay=False, path_type=Path), help="Kubeconfig for --cluster.")
@click.option("--context", help="Kubeconfig context.")
@click.option("--nodes", type=int, help="Bench nodes the run will use (default: the bench group's max).")
@click.option("--prometheus-url", help="The stack's Prometheus (e.g. a port-forward), for the metrics checks.")
@click.option("--fast", is_flag=True, help="Only the quick checks `benchkit run` makes before scaling.")
@click.option("--json", "as_json", is_flag=True, help="Print the rows as JSON.")
def doctor(*, stack: str | None, cluster: str | None, region: str | None, kubeconfig: Path | None,
           context: str | None, nodes: int | None, prometheus_url: str | None, fast: bool,
           as_json: bool) -> None:  # fmt: skip
    """Check a target before a run costs money. With no target, checks the embedded twin.
    Exit 0: nothing failed; 1: a check failed; 2: bad input."""
    options = doctor_mod.DoctorOptions(stack=stack, cluster=cluster, region=region, kubeconfig=kubeconfig,
                                       context=context, nodes=nodes, prometheus_url=prometheus_url,
                                       fast=fast)  # fmt: skip
    rows = doctor_mod.run(options)
    if as_json:
        click.echo(json.dumps({"rows": [r.to_dict() for r in rows], "failed": _failed(rows)}, indent=2))
    else:
        Console().print(table(rows))
    if _failed(rows):
        sys.exit(1)


def _failed(rows: list[Row]) -> int:
    return sum(r.status == "fail" for r in rows)


def table(rows: list[Row]) -> Table:
    out = Table(title="benchkit doctor", show_lines=False)
    for column in ("check", "status", "detail", "fix"):
        out.add_column(column, overflow="fold")
    for r in rows:
        out.add_row(r.check, f"[{STYLE[r.status]}]{r.status}[/]", r.detail, r.fix)
    return out

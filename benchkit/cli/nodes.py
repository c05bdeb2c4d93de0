"""`benchkit nodes scale`: size an EKS node group (seed 002 step 5 without the console) and wait for it."""

from __future__ import annotations

from pathlib import Path

import click

from benchkit.capacity import nodegroups, pricing, readiness, target
from benchkit.capacity.nodegroups import GroupSize, ScaleResult
from benchkit.cli.progress import group_progress
from benchkit.errors import ConfigError
from benchkit.settings.run import parse_duration


@click.group()
def nodes() -> None:
    """Inspect and size the stack's EKS node groups."""


@nodes.command()
@click.option("--stack", help="Pulumi stack: cluster, region, node groups and kubeconfig from its outputs.")
@click.option("--group", "role", default="bench", show_default=True,
              type=click.Choice(target.ROLES), help="With --stack: which of the stack's node groups.")  # fmt: skip
@click.option("--cluster", help="EKS cluster name (instead of --stack).")
@click.option("--region", help="AWS region of --cluster.")
@click.option("--nodegroup", help="EKS node group name (with --cluster).")
@click.option("--kubeconfig", type=click.Path(path_type=Path), help="With --cluster: kubeconfig for --wait.")
@click.option("--context", help="With --cluster: kubeconfig context for --wait.")
@click.option("--to", "size", type=int, required=True, help="Number of nodes (0 scales the group away).")
@click.option("--wait/--no-wait", default=False, help="Wait until the nodes are Ready with their DaemonSets (or gone).")
@click.option("--timeout", default="20m", show_default=True, help="How long --wait may take.")
@click.option("--pin-min/--no-pin-min", default=True, show_default=True,
              help="Also set minSize to --to, so nothing scales the group down mid-run.")  # fmt: skip
def scale(
    *,
    stack: str | None,
    role: str,
    cluster: str | None,
    region: str | None,
    nodegroup: str | None,
    kubeconfig: Path | None,
    context: str | None,
    size: int,
    wait: bool,
    timeout: str,
    pin_min: bool,
) -> None:
    """Scale a node group to --to nodes, e.g. `benchkit nodes scale --stack dev --to 200 --wait`."""
    if size < 0:
        raise ConfigError(f"--to must be >= 0, got {size}")
    if cluster is not None and nodegroup is None:
        raise ConfigError("--cluster needs --nodegroup NAME")
    wait_s = parse_duration(timeout, "timeout")
    resolved = target.resolve(stack=stack, cluster=cluster, region=region, nodegroups=[nodegroup] if nodegroup else [],
                              kubeconfig=kubeconfig, context=context, need_kube=wait)  # fmt: skip
    if wait and resolved.kube is None:
        raise ConfigError("--wait with --cluster needs --kubeconfig (or --context) to watch the nodes")
    assert resolved.aws is not None
    ref = resolved.aws.group(role if stack is not None else str(nodegroup))

    def updated(before: GroupSize, after: GroupSize, changed: bool) -> None:
        if wait:
            what = f"desired {before.desired} -> {after.desired}" if changed else f"already at {after.desired}"
            click.echo(f"{ref}: {what}; waiting for the nodes", err=True)

    result = nodegroups.scale(ref, size, kube=resolved.kube.api if resolved.kube else None, wait=wait,
                              timeout=wait_s, pin_min=pin_min, on_progress=group_progress(size),
                              on_updated=updated)  # fmt: skip
    click.echo(_summary(result, resolved.aws.instance_types.get(role), resolved.aws.region))


def _summary(result: ScaleResult, instance_type: str | None, region: str) -> str:
    b, a = result.before, result.after
    if result.changed:
        text = f"{result.ref}: desired {b.desired} -> {a.desired} (min {a.min}, max {a.max})"
    else:
        text = f"{result.ref}: already at desired {a.desired} (min {a.min}, max {a.max}); nothing changed"
    if result.state is not None:
        text += f"; {_state(result.state, a.desired)} after {result.waited_s:.0f} s"
    itype = instance_type or (a.instance_types[0] if a.instance_types else None)
    table = pricing.resolve(region)
    if itype is not None and itype in table.instances:
        text += f"; now ${a.desired * table.instance(itype):,.2f}/h ({a.desired} x {itype}, prices as of {table.as_of})"
    return text


def _state(state: readiness.GroupState, count: int) -> str:
    if count == 0:
        return "all nodes gone"
    ds = f" with all {state.daemonsets} DaemonSet(s) running" if state.daemonsets_checked else ""
    return f"{state.ready}/{count} nodes Ready{ds}"

"""`benchkit nodes scale`: size an EKS node group (seed 002 step 5 without the console) and wait for it.

On a stack with a janitor, scaling up holds the stack's lease for `--hold` so the janitor does not scale
the nodes away before the run that needs them starts; scaling to zero releases that hold.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from benchkit.capacity import janitor, lease, nodegroups, pricing, readiness, target
from benchkit.capacity.nodegroups import GroupSize, NodeGroupRef, ScaleResult
from benchkit.cli.progress import group_progress
from benchkit.errors import ConfigError
from benchkit.settings.run import parse_duration

DEFAULT_HOLD = "30m"


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
@click.option("--hold", help=f"With --stack and --to > 0: keep the janitor off the nodes this long "
              f"(default {DEFAULT_HOLD}); `benchkit run` takes the hold over.")  # fmt: skip
@click.option("--force", is_flag=True, help="Scale even while a run holds the stack's lease.")
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
    hold: str | None,
    force: bool,
) -> None:
    """Scale a node group to --to nodes, e.g. `benchkit nodes scale --stack dev --to 200 --wait`."""
    if size < 0:
        raise ConfigError(f"--to must be >= 0, got {size}")
    names = [nodegroup] if nodegroup else []
    target.check_flags(stack=stack, cluster=cluster, region=region, nodegroups=names, kubeconfig=kubeconfig,
                       context=context)  # fmt: skip
    if cluster is not None and nodegroup is None:
        raise ConfigError("--cluster needs --nodegroup NAME")
    wait_s = parse_duration(timeout, "timeout")
    hold_s = parse_duration(hold or DEFAULT_HOLD, "hold")
    if hold_s <= 0:
        raise ConfigError(f"--hold must be longer than 0 s, got {hold!r}")
    resolved = target.resolve(stack=stack, cluster=cluster, region=region, nodegroups=names,
                              kubeconfig=kubeconfig, context=context, need_kube=wait)  # fmt: skip
    if wait and resolved.kube is None:
        raise ConfigError("--wait with --cluster needs --kubeconfig (or --context) to watch the nodes")
    assert resolved.aws is not None
    ref = resolved.aws.group(role if stack is not None else str(nodegroup))
    groups = nodegroups.NodeGroups(resolved.aws.region)
    nodegroups.scaling_config(ref, groups.describe(ref), size, pin_min=pin_min)  # bad sizes: exit 2, nothing changed
    parameter = resolved.aws.lease_parameter
    if parameter is None and hold is not None:
        click.echo("--hold: no lease to hold (the stack has no janitor, or --cluster was given)", err=True)
    held = _take_hold(parameter, ref, size, hold_s, force) if parameter is not None else None

    def updated(before: GroupSize, after: GroupSize, changed: bool) -> None:
        if wait:
            what = f"desired {before.desired} -> {after.desired}" if changed else f"already at {after.desired}"
            click.echo(f"{ref}: {what}; waiting for the nodes", err=True)

    result = nodegroups.scale(ref, size, groups=groups, kube=resolved.kube.api if resolved.kube else None,
                              wait=wait, timeout=wait_s, pin_min=pin_min, on_progress=group_progress(size),
                              on_updated=updated)  # fmt: skip
    click.echo(_summary(result, resolved.aws.instance_types.get(role), resolved.aws.region))
    if held is not None and held.expires is not None:
        until = datetime.fromtimestamp(held.expires, UTC).strftime("%Y-%m-%d %H:%M UTC")
        click.echo(f"lease {parameter}: held by `benchkit nodes scale` until {until}: the janitor keeps the nodes; "
                   "`benchkit run` takes the hold over, `--to 0` or `benchkit teardown` releases it")  # fmt: skip
    if parameter is not None and size == 0 and lease.clear(parameter, ref.region, janitor.NODES_SCALE) is not None:
        click.echo(f"lease {parameter}: released (was held by `benchkit nodes scale`)")


def _take_hold(parameter: str, ref: NodeGroupRef, size: int, seconds: float, force: bool) -> lease.Lease | None:
    """Refuse while a run holds the lease (unless --force); hold it for `nodes scale` when scaling up."""
    why = lease.busy(parameter, ref.region, mine=janitor.NODES_SCALE)
    if why is not None:
        if not force:
            raise ConfigError(f"stack is busy: {why}: scaling {ref} would change that run's nodes; wait for it, "
                              "or pass --force")  # fmt: skip
        click.echo(f"--force: {why}; scaling anyway, that run keeps its lease", err=True)
        return None
    return lease.hold(parameter, ref.region, seconds) if size > 0 else None


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

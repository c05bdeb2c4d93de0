"""`benchkit teardown`: delete benchkit's SparkApplications, scale node groups to zero, say what it saved."""

from __future__ import annotations

from pathlib import Path

import click

from benchkit.capacity import lease, pricing, target
from benchkit.capacity import teardown as teardown_mod
from benchkit.cli.progress import group_progress
from benchkit.errors import ConfigError
from benchkit.kube.names import DNS1123_LABEL
from benchkit.settings.run import parse_duration


@click.command()
@click.option("--stack", help="Pulumi stack: cluster, region, node groups, kubeconfig and lease from its outputs.")
@click.option("--cluster", help="EKS cluster name (instead of --stack).")
@click.option("--region", help="AWS region of --cluster.")
@click.option("--nodegroup", "nodegroups", multiple=True,
              help="With --cluster: node group(s) to scale to zero (default: the bench-labelled one).")  # fmt: skip
@click.option("--kubeconfig", type=click.Path(path_type=Path),
              help="Kubeconfig (with --cluster, or alone: delete run objects only).")  # fmt: skip
@click.option("--context", help="Kubeconfig context.")
@click.option("--run", "run_id", help="Delete only this run's objects (default: every benchkit run's).")
@click.option("--all-groups", is_flag=True, help="Also scale the operator and monitoring groups to zero.")
@click.option("--keep-nodes", is_flag=True, help="Only delete the run objects; leave node groups alone.")
@click.option("--wait/--no-wait", default=True, show_default=True, help="Wait for the nodes to leave.")
@click.option("--timeout", default="20m", show_default=True, help="How long waiting for nodes may take.")
@click.option("--force", is_flag=True, help="With --run: scale the node groups even while another run holds the lease.")
def teardown(
    *,
    stack: str | None,
    cluster: str | None,
    region: str | None,
    nodegroups: tuple[str, ...],
    kubeconfig: Path | None,
    context: str | None,
    run_id: str | None,
    all_groups: bool,
    keep_nodes: bool,
    wait: bool,
    timeout: str,
    force: bool,
) -> None:
    """Delete benchkit-labelled SparkApplications and scale the bench group to zero. Safe to repeat."""
    if run_id is not None and not DNS1123_LABEL.match(run_id):
        raise ConfigError(f"--run: {run_id!r} is not a benchkit run id")
    if stack is None and cluster is None and kubeconfig is None and context is None:
        raise ConfigError("which cluster? give --stack S, or --cluster NAME --region R, or --kubeconfig FILE")
    wait_s = parse_duration(timeout, "timeout")
    roles = target.ALL_GROUP_ROLES if all_groups else target.TEARDOWN_ROLES
    resolved = target.resolve(stack=stack, cluster=cluster, region=region, nodegroups=nodegroups,
                              kubeconfig=kubeconfig, context=context, need_aws=False, roles=roles)  # fmt: skip
    aws = resolved.aws
    groups = [] if aws is None or keep_nodes else aws.teardown_groups(all_groups)
    if aws is None:
        click.echo("no --stack/--cluster: node groups are not touched", err=True)
    if run_id is not None and groups and aws is not None and aws.lease_parameter is not None and not force:
        _refuse_if_busy(aws.lease_parameter, aws.region, run_id)
    try:
        report = teardown_mod.teardown(
            kube=resolved.kube.api if resolved.kube else None,
            run_id=run_id,
            groups=groups,
            prices=pricing.resolve(aws.region) if aws else None,
            instance_types=aws.instance_types if aws else None,
            lease_parameter=aws.lease_parameter if aws and not keep_nodes else None,
            wait=wait,
            timeout=wait_s,
            on_progress=group_progress(0),
        )
    except teardown_mod.TeardownFailed as exc:
        click.echo("\n".join(exc.report.lines()))
        raise
    click.echo("\n".join(report.lines()))


def _refuse_if_busy(parameter: str, region: str, run_id: str) -> None:
    """`--run OLD` cleans up one run; it must not scale away the nodes another live run (or a hold) is using."""
    why = lease.busy(parameter, region, run_id)
    if why is not None:
        raise ConfigError(f"stack is busy: {why}: scaling its node group(s) to zero would pull them from under it; "
                          f"add --keep-nodes to delete only run {run_id}'s objects, or --force")  # fmt: skip

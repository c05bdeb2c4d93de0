"""`benchkit doctor`: run the read-only checks for a target (a stack, a cluster, or the embedded twin) and
return one row per check. The checks live with what they read (capacity: AWS and the cluster, observe:
Prometheus); this module only chooses which run and with what expectations."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchkit.capacity import doctor_aws, doctor_cluster, doctor_tools
from benchkit.capacity import target as capacity_target
from benchkit.capacity.doctor_aws import AwsExpect
from benchkit.capacity.doctor_cluster import ClusterExpect
from benchkit.checks import Row, cannot_check
from benchkit.errors import BenchkitError, ConfigError
from benchkit.kube import connect
from benchkit.kube.stack import StackOutputs, read_stack_outputs
from benchkit.observe import doctor_checks, local
from benchkit.observe.promql import PromClient
from benchkit.settings import cluster_shape
from benchkit.twin.config import TwinOptions
from benchkit.twin.process import TwinProcess

TWIN_NODES = 2
TWIN_START_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class DoctorOptions:
    stack: str | None = None
    cluster: str | None = None
    region: str | None = None
    kubeconfig: Path | None = None
    context: str | None = None
    nodes: int | None = None
    """Bench nodes the run will use (default: the bench group's max)."""
    prometheus_url: str | None = None
    fast: bool = False
    """Only the quick checks (`benchkit run` runs these before scaling): no Prometheus."""


def check_options(o: DoctorOptions) -> None:
    """Bad flag combinations: ConfigError (exit 2) before anything is read."""
    if o.stack is not None and (o.cluster or o.region or o.kubeconfig or o.context):
        raise ConfigError("give either --stack or --cluster/--region/--kubeconfig, not both")
    if (o.cluster is None) != (o.region is None):
        raise ConfigError("--cluster and --region go together")
    if o.nodes is not None and o.nodes < 0:
        raise ConfigError(f"--nodes must be >= 0, got {o.nodes}")


def run(o: DoctorOptions) -> list[Row]:
    check_options(o)
    if o.stack is not None:
        return _stack(o)
    if o.cluster is not None:
        return _cluster(o)
    if o.kubeconfig is not None or o.context is not None:
        return _kube_only(o)
    return _twin(o)


def _stack(o: DoctorOptions) -> list[Row]:
    assert o.stack is not None
    rows = doctor_tools.tool_rows(("pulumi",))
    if rows[0].status == "fail":
        return [*rows, cannot_check("stack outputs", "the Pulumi CLI is needed to read them")]
    outputs = read_stack_outputs(o.stack)
    # the kubeconfig pulumi-eks writes runs `aws eks get-token`: the AWS CLI is needed exactly when it execs it
    rows += doctor_tools.tool_rows(("aws", "kubectl") if _execs_aws(outputs.kubeconfig) else ("kubectl",))
    shape = outputs.shape
    operator = shape.get("operator") or {}
    janitor = shape.get("janitor") or {}
    expect = AwsExpect(
        cluster=outputs.cluster_name, region=outputs.region, node_groups=dict(outputs.node_groups),
        instance_types=dict(outputs.instance_types), nodes=_nodes(o, shape),
        bench_max_pods=int(shape.get("benchMaxPods") or cluster_shape.bench_max_pods()),
        warm_prefix_target=int(shape.get("warmPrefixTarget", 1)),
        bounds={k: (int(v[0]), int(v[1])) for k, v in (shape.get("nodeGroupBounds") or {}).items()},
        lease_parameter=outputs.lease_parameter, janitor_function=janitor.get("functionName"),
        janitor_schedule=janitor.get("schedule"),
    )  # fmt: skip
    rows += aws_rows(expect, fast=o.fast)
    kube = ClusterExpect(
        bench_group=outputs.node_groups.get("bench"), max_pods=expect.bench_max_pods,
        namespaces=outputs.spark_namespaces, service_account=operator.get("serviceAccount"),
        workers=operator.get("workers"), controller_cpu=operator.get("controllerCpu"),
        webhook=operator.get("webhookEnabled"),
    )  # fmt: skip
    rows += _guarded_kube(lambda: connect.connect(stack=outputs), kube, fast=o.fast)
    if not o.fast:
        rows += _prometheus(o, outputs)
    return rows


def _execs_aws(kubeconfig: dict[str, Any]) -> bool:
    users = kubeconfig.get("users") or []
    return any(Path(str(((u.get("user") or {}).get("exec") or {}).get("command", ""))).name == "aws" for u in users)


def _nodes(o: DoctorOptions, shape: dict[str, Any]) -> int:
    if o.nodes is not None:
        return o.nodes
    bounds = (shape.get("nodeGroupBounds") or {}).get("bench")
    return int(bounds[1]) if bounds else 0


def _cluster(o: DoctorOptions) -> list[Row]:
    assert o.cluster is not None and o.region is not None
    rows = doctor_tools.tool_rows(("aws", "kubectl"))
    found = capacity_target.from_cluster(o.cluster, o.region, roles=capacity_target.ROLES)
    expect = AwsExpect(cluster=o.cluster, region=o.region, node_groups=dict(found.node_groups), nodes=o.nodes or 0)
    rows += aws_rows(expect, fast=o.fast)
    if o.kubeconfig is not None or o.context is not None:
        kube = ClusterExpect(found.node_groups.get("bench"), expect.bench_max_pods, (), None)
        rows += _guarded_kube(lambda: connect.connect(o.kubeconfig, o.context), kube, fast=o.fast)
    else:
        rows.append(cannot_check("cluster", "no --kubeconfig/--context given for the cluster's API"))
    if not o.fast:
        rows += _prometheus(o, None)
    return rows


def _kube_only(o: DoctorOptions) -> list[Row]:
    kube = ClusterExpect(None, cluster_shape.bench_max_pods(), (), None)
    rows = _guarded_kube(lambda: connect.connect(o.kubeconfig, o.context), kube, fast=o.fast)
    return rows if o.fast else [*rows, *_prometheus(o, None)]


def aws_rows(expect: AwsExpect, *, fast: bool = False) -> list[Row]:
    rows = doctor_aws.identity(expect.region)
    groups, missing = doctor_aws.describe_groups(expect)
    fixed = {role: int((ng.get("scalingConfig") or {}).get("desiredSize", 0))
             for role, ng in groups.items() if role != "bench"}  # fmt: skip
    rows += doctor_aws.vcpu_quota(expect, fixed)
    rows += missing + doctor_aws.group_rows(expect, groups)
    rows += doctor_aws.vpc_cni(expect)
    rows += doctor_aws.bench_subnets(expect, groups.get("bench"))
    if not fast:
        rows += doctor_aws.lease(expect) + doctor_aws.janitor(expect)
    return rows


def kube_rows(api: Any, expect: ClusterExpect, *, fast: bool = False) -> list[Row]:
    rows = doctor_cluster.bench_nodes(api, expect) + doctor_cluster.crd(api)
    if not fast:
        rows += doctor_cluster.operator(api, expect) + doctor_cluster.namespaces(api, expect)
    return rows


def _guarded_kube(connector: Callable[[], connect.Target], expect: ClusterExpect, *, fast: bool) -> list[Row]:
    try:
        target = connector()
    except BenchkitError as exc:
        return [cannot_check("cluster", str(exc))]
    return kube_rows(target.api, expect, fast=fast)


def _prometheus(o: DoctorOptions, outputs: StackOutputs | None) -> list[Row]:
    if o.prometheus_url is None:
        how = f" (port-forward {outputs.prometheus_service})" if outputs and outputs.prometheus_service else ""
        return [cannot_check("prometheus", f"pass --prometheus-url{how}")]
    return doctor_checks.prometheus_rows(PromClient(o.prometheus_url))


def _twin(o: DoctorOptions) -> list[Row]:
    """The embedded twin with a local Prometheus scraping it, as `benchkit run` starts them."""
    with ExitStack() as stack:
        twin = TwinProcess(TwinOptions(nodes=o.nodes if o.nodes is not None else TWIN_NODES),
                           start_timeout=TWIN_START_TIMEOUT_S)  # fmt: skip
        stack.callback(twin.close)
        twin.start()
        target = connect.connect(twin.kubeconfig)
        expect = ClusterExpect("bench", twin.options.max_pods, twin.options.namespaces, None)
        rows = kube_rows(target.api, expect, fast=o.fast)
        if o.fast:
            return rows
        if o.prometheus_url is not None:
            return rows + doctor_checks.prometheus_rows(PromClient(o.prometheus_url))
        binary = local.find_binary()
        if binary is None:
            return [*rows, cannot_check("prometheus", f"no Prometheus binary: {local.INSTALL_HINT}")]
        scrape = local.ScrapeTarget("twin", f"{twin.url}/metrics", token=twin.token, ca_file=twin.ca_file)
        prom = local.LocalPrometheus([scrape], scrape_interval=1.0, binary=binary)
        stack.callback(prom.stop)
        prom.start()
        prom.wait_for_targets()
        prom.wait_for_scrapes(1)  # one more scrape, so every series has a sample
        return rows + doctor_checks.prometheus_rows(prom.client, absent_series_fail=False)

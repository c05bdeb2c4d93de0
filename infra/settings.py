"""The stack's settings: the only reader of `pulumi.Config`, turning it into a frozen, validated object.

Every key is optional except `aws:region`; defaults live in the dataclasses below (and docs/infra.md).
A bad value fails `pulumi preview` before anything is created, with one line naming the key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from ipaddress import IPv4Network
from pathlib import Path

import pulumi
from pulumi.runtime.config import CONFIG, get_config_env

from infra import roles
from infra.addressing import SubnetPlan, plan_subnets
from infra.config_reader import NAMESPACE, ConfigError, Reader, version_tuple
from infra.instances import INSTANCE_TYPES, shape
from infra.preflight import PreflightError, check_pod_ip_capacity
from infra.sizing import monitoring_sizing, operator_sizing, standard_max_pods

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_VPC_CIDR = IPv4Network("10.0.0.0/16")
DEFAULT_SECONDARY_CIDR = IPv4Network("100.64.0.0/16")  # RFC 6598 space: no clash with corporate 10/8 ranges
DEFAULT_SPARK_NAMESPACES = ("spark-team-a", "spark-team-b", "spark-team-c")
# Chart keys that 2.1.0 lacks, the chart value each sets, and the version gate infra applies to it. Only
# 2.1.0's values.yaml is vendored (third_party/upstream/), so none of these is checked against a real file:
# they are set only with allowUnverifiedChartValues (docs/infra.md, "Spark Operator chart 2.1.0 by default").
# kubeflow/spark-operator charts/spark-operator-chart/values.yaml: controller.kubeAPIQPS/kubeAPIBurst first appear
# at tag v2.5.1 (absent at v2.5.0); prometheus.metrics.jobStartLatencyBuckets at v2.1.1 (absent at v2.1.0, whose
# binary has the --metrics-job-start-latency-buckets flag but whose chart does not pass it).
NEWER_CHART_MIN = {"kubeApiQps": "2.5.1", "kubeApiBurst": "2.5.1", "startLatencyBuckets": "2.1.1"}
NEWER_CHART_VALUE = {
    "kubeApiQps": "controller.kubeAPIQPS",
    "kubeApiBurst": "controller.kubeAPIBurst",
    "startLatencyBuckets": "prometheus.metrics.jobStartLatencyBuckets",
}
DEFAULT_START_LATENCY_BUCKETS = "10,30,60,90,120,180,240,300,450,600,900,1200,1800,2700,3600,5400,7200"
EKS_MAX_NODES_PER_GROUP: int = shape()["eks"]["max_nodes_per_node_group"]
BENCH_MAX_PODS: int = shape()["max_pods"]["bench"]
DEFAULT_TYPES: dict[str, str] = shape()["defaults"]["instance_types"]
DEFAULT_NODES: dict[str, int] = shape()["defaults"]["fixed_nodes"]
DEFAULT_BENCH_MAX_NODES: int = shape()["defaults"]["bench_max_nodes"]
_DNS_LABEL = r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?"
_CPU = r"\d+(\.\d+)?m?"
_MEMORY = r"\d+(Ki|Mi|Gi|Ti)"
_VERSION = r"\d+\.\d+\.\d+"
_IAM_ARN = r"arn:aws[a-z-]*:iam::\d{12}:(role|user)/[\w+=,.@/-]+"


@dataclass(frozen=True)
class NodeGroupSettings:
    """One managed node group."""

    instance_type: str
    min_size: int
    desired_size: int
    max_size: int
    disk_gib: int = 100
    max_pods: int | None = None
    """None: nodeadm's standard maxPods for the type; bench sets 220 through a NodeConfig user-data part."""


@dataclass(frozen=True)
class OperatorSettings:
    """Spark Operator chart settings; None means "derive from the operator node" or "chart default"."""

    chart_version: str = "2.1.0"
    namespaces: tuple[str, ...] = DEFAULT_SPARK_NAMESPACES
    service_account: str = "spark"
    webhook_enabled: bool = True
    workers: int | None = None
    controller_cpu: str | None = None
    controller_memory: str | None = None
    webhook_cpu: str | None = None
    webhook_memory: str | None = None
    workqueue_bucket_qps: int | None = None
    workqueue_bucket_size: int | None = None
    workqueue_max_delay: str | None = None
    kube_api_qps: int | None = None
    kube_api_burst: int | None = None
    start_latency_buckets: str | None = None


@dataclass(frozen=True)
class MonitoringSettings:
    """kube-prometheus-stack settings."""

    chart_version: str = "88.5.3"
    retention: str = "7d"
    storage_gib: int = 100
    scrape_interval: str = "30s"
    prometheus_cpu: str | None = None
    prometheus_memory: str | None = None
    dashboards_dir: Path = REPO_ROOT / "dashboards"


@dataclass(frozen=True)
class JanitorSettings:
    """The dead-man's switch Lambda."""

    enabled: bool = True
    code_path: Path = REPO_ROOT / "benchkit" / "capacity" / "janitor.py"
    schedule: str = "rate(5 minutes)"
    roles: tuple[str, ...] = (roles.BENCH,)


@dataclass(frozen=True)
class StackSettings:
    """Everything the program needs, validated."""

    stack: str
    region: str
    cluster_name: str
    node_groups: dict[str, NodeGroupSettings]
    availability_zones: tuple[str, ...] = ()
    """Empty: the region's first `az_count` available zones."""
    az_count: int = 3
    bench_az_count: int = 1
    kubernetes_version: str = "1.33"
    admin_principal_arn: str | None = None
    public_access_cidrs: tuple[str, ...] = ("0.0.0.0/0",)
    control_plane_log_types: tuple[str, ...] = ()
    vpc_cidr: IPv4Network = DEFAULT_VPC_CIDR
    secondary_cidr: IPv4Network = DEFAULT_SECONDARY_CIDR
    warm_prefix_target: int = 1
    operator: OperatorSettings = field(default_factory=OperatorSettings)
    monitoring: MonitoringSettings = field(default_factory=MonitoringSettings)
    janitor: JanitorSettings = field(default_factory=JanitorSettings)
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def subnets(self) -> SubnetPlan:
        return plan_subnets(self.vpc_cidr, self.secondary_cidr, self.az_count, self.bench_az_count)

    @property
    def lease_parameter(self) -> str:
        return f"/benchkit/{self.stack}/lease"

    def node_group_name(self, role: str) -> str:
        return f"{self.cluster_name}-{role}"


def load() -> StackSettings:
    """Read the stack config (the `benchkit:` namespace and `aws:region`) and validate it."""
    region = pulumi.Config("aws").get("region")
    if not region:
        raise ConfigError("aws:region", "is required (pulumi config set aws:region us-west-2)")
    prefix = f"{NAMESPACE}:"
    keys = {k for k in (*CONFIG.get(), *get_config_env()) if k.startswith(prefix)}
    cfg = pulumi.Config(NAMESPACE)
    raw = {k.removeprefix(prefix): cfg.get(k.removeprefix(prefix)) or "" for k in keys}
    return parse(raw, stack=pulumi.get_stack(), region=region)


def parse(raw: dict[str, str], *, stack: str, region: str) -> StackSettings:
    """Build StackSettings from raw config strings (keys without the `benchkit:` prefix)."""
    r = Reader(raw)
    settings = _parse(r, stack=stack, region=region)
    unknown = r.unknown()
    if unknown:
        raise ConfigError(unknown[0], "unknown key (see docs/infra.md for the keys this stack reads)")
    _check_addresses(settings)
    _check_sizing(settings)
    return settings


def known_keys() -> set[str]:
    """Every `benchkit:` key the stack reads (for docs and the example config's tests)."""
    r = Reader({"janitorEnabled": "false"})
    _parse(r, stack="docs", region="us-west-2")
    return r.used


def _parse(r: Reader, *, stack: str, region: str) -> StackSettings:
    cluster_name = r.text("clusterName", f"benchkit-{stack}", r"[a-zA-Z][a-zA-Z0-9-]{0,39}",
                          "letters, digits and '-', at most 40 characters, starting with a letter")  # fmt: skip
    zones = r.items("availabilityZones", ())
    az_count = len(zones) if zones else r.integer("azCount", 3, 2, 4)
    if zones and r.is_set("azCount"):
        raise ConfigError("azCount", "set either azCount or availabilityZones, not both")
    if zones and not 2 <= len(zones) <= 4:
        raise ConfigError("availabilityZones", f"list 2 to 4 zones, got {len(zones)}")
    settings = StackSettings(
        stack=stack,
        region=region,
        cluster_name=cluster_name,
        node_groups=_node_groups(r),
        availability_zones=zones,
        az_count=az_count,
        bench_az_count=r.integer("benchAzCount", 1, 1, az_count),
        kubernetes_version=r.text("kubernetesVersion", "1.33", r"1\.(29|3[0-9])", "1.29 or newer, e.g. 1.33"),
        admin_principal_arn=r.optional("adminPrincipalArn", _IAM_ARN, "an IAM role or user ARN"),
        public_access_cidrs=r.items("publicAccessCidrs", ("0.0.0.0/0",), item=IPv4Network),
        control_plane_log_types=r.items("controlPlaneLogTypes", (), item=_log_type),
        vpc_cidr=r.cidr("vpcCidr", str(DEFAULT_VPC_CIDR), 16, 20),
        secondary_cidr=r.cidr("secondaryCidr", str(DEFAULT_SECONDARY_CIDR), 16, 24),
        warm_prefix_target=r.integer("warmPrefixTarget", 1, 0, 4),
        operator=_operator(r),
        monitoring=_monitoring(r),
        janitor=_janitor(r),
        tags=r.mapping("tags"),
    )
    if settings.secondary_cidr.overlaps(settings.vpc_cidr):
        raise ConfigError("secondaryCidr", f"{settings.secondary_cidr} overlaps vpcCidr {settings.vpc_cidr}")
    return settings


def _node_groups(r: Reader) -> dict[str, NodeGroupSettings]:
    disk = r.integer("nodeDiskGiB", shape()["defaults"]["disk_gib"], 20, 2000)

    def instance(key: str, default: str) -> str:
        return r.choice(key, default, INSTANCE_TYPES, "instance type")

    bench_min = r.integer("benchMinNodes", 0, 0, EKS_MAX_NODES_PER_GROUP)
    bench_max = r.integer("benchMaxNodes", DEFAULT_BENCH_MAX_NODES, 1, 1_000_000)
    if bench_max > EKS_MAX_NODES_PER_GROUP:
        raise ConfigError("benchMaxNodes", f"EKS allows at most {EKS_MAX_NODES_PER_GROUP} nodes per managed node "
                          f"group (quota 'Nodes per managed node group'), got {bench_max}")  # fmt: skip
    if bench_max < bench_min:
        raise ConfigError("benchMaxNodes", f"must be >= benchMinNodes ({bench_min}), got {bench_max}")
    bench_desired = r.integer("benchDesiredNodes", bench_min, bench_min, bench_max)
    fixed = {  # coreInstanceType/coreNodes, operatorInstanceType/operatorNodes, monitoring...
        role: (instance(f"{role}InstanceType", DEFAULT_TYPES[role]),
               r.integer(f"{role}Nodes", DEFAULT_NODES[role], 1, most))
        for role, most in ((roles.CORE, 10), (roles.OPERATOR, 3), (roles.MONITORING, 3))
    }  # fmt: skip
    groups = {role: NodeGroupSettings(itype, n, n, n, disk) for role, (itype, n) in fixed.items()}
    groups[roles.BENCH] = NodeGroupSettings(
        instance_type=instance("benchInstanceType", DEFAULT_TYPES[roles.BENCH]),
        min_size=bench_min,
        desired_size=bench_desired,
        max_size=bench_max,
        disk_gib=disk,
        max_pods=r.integer("benchMaxPods", BENCH_MAX_PODS, 10, 250),
    )
    return groups


def _operator(r: Reader) -> OperatorSettings:
    version = r.text("sparkOperatorChartVersion", "2.1.0", _VERSION, "a chart version such as 2.1.0")
    if version_tuple(version) < (2, 0, 0):
        raise ConfigError("sparkOperatorChartVersion", f"charts before 2.0.0 have another values layout, got {version}")
    unverified = _newer_chart_keys_allowed(r, version)
    buckets = r.optional("startLatencyBuckets", r"\d+(\.\d+)?(,\d+(\.\d+)?)*", "comma-separated seconds")
    if buckets is not None:
        bounds = [float(b) for b in buckets.split(",")]
        if bounds != sorted(set(bounds)) or bounds[0] <= 0:
            raise ConfigError("startLatencyBuckets", "bounds must be positive and strictly increasing")
    elif unverified and version_tuple(version) >= version_tuple(NEWER_CHART_MIN["startLatencyBuckets"]):
        buckets = DEFAULT_START_LATENCY_BUCKETS
    return OperatorSettings(
        chart_version=version,
        namespaces=r.items("sparkNamespaces", DEFAULT_SPARK_NAMESPACES, item=_namespace),
        service_account=r.text("sparkServiceAccount", "spark", _DNS_LABEL, "a DNS label"),
        webhook_enabled=r.flag("webhookEnabled", True),
        workers=r.optional_integer("operatorWorkers", 1, 1000),
        controller_cpu=r.optional("operatorControllerCpu", _CPU, "a CPU quantity such as 30 or 2500m"),
        controller_memory=r.optional("operatorControllerMemory", _MEMORY, "a memory quantity such as 50Gi"),
        webhook_cpu=r.optional("webhookCpu", _CPU, "a CPU quantity such as 1 or 500m"),
        webhook_memory=r.optional("webhookMemory", _MEMORY, "a memory quantity such as 4Gi"),
        workqueue_bucket_qps=r.optional_integer("workqueueBucketQps", 1, 100_000),
        workqueue_bucket_size=r.optional_integer("workqueueBucketSize", 1, 1_000_000),
        workqueue_max_delay=r.optional("workqueueMaxDelay", r"\d+(s|m|h)", "a duration such as 6h"),
        kube_api_qps=r.optional_integer("kubeApiQps", 1, 100_000),
        kube_api_burst=r.optional_integer("kubeApiBurst", 1, 100_000),
        start_latency_buckets=buckets,
    )


def _newer_chart_keys_allowed(r: Reader, version: str) -> bool:
    """allowUnverifiedChartValues; every newer-chart key set needs a chart that has it, and that flag."""
    unverified = r.flag("allowUnverifiedChartValues", False)
    for key, minimum in NEWER_CHART_MIN.items():
        if r.is_set(key) and version_tuple(version) < version_tuple(minimum):
            raise ConfigError(key, f"needs sparkOperatorChartVersion >= {minimum} (chart {version} has no such value)")
        if r.is_set(key) and not unverified:
            raise ConfigError(key, f"sets {NEWER_CHART_VALUE[key]}, which no vendored values.yaml confirms for chart "
                              f"{version} (Helm ignores unknown keys silently); set "
                              "benchkit:allowUnverifiedChartValues true to set it anyway")  # fmt: skip
    return unverified


def _monitoring(r: Reader) -> MonitoringSettings:
    # absent by default is fine (no dashboards yet); a folder named explicitly must exist
    dashboards_set = r.is_set("dashboardsDir")
    dashboards = _path(r, "dashboardsDir", MonitoringSettings.dashboards_dir, want_dir=True, must_exist=dashboards_set)
    return MonitoringSettings(
        chart_version=r.text("prometheusChartVersion", "88.5.3", _VERSION, "a chart version such as 88.5.3"),
        retention=r.text("prometheusRetention", "7d", r"\d+(ms|s|m|h|d|w|y)", "a Prometheus duration such as 7d"),
        storage_gib=r.integer("prometheusStorageGiB", 100, 10, 16_000),
        scrape_interval=r.text("prometheusScrapeInterval", "30s", r"\d+(s|m)", "a duration such as 30s"),
        prometheus_cpu=r.optional("prometheusCpu", _CPU, "a CPU quantity such as 6 or 5500m"),
        prometheus_memory=r.optional("prometheusMemory", _MEMORY, "a memory quantity such as 48Gi"),
        dashboards_dir=dashboards,
    )


def _janitor(r: Reader) -> JanitorSettings:
    enabled = r.flag("janitorEnabled", True)
    code = _path(r, "janitorCodePath", JanitorSettings.code_path, want_dir=False, must_exist=enabled)
    return JanitorSettings(
        enabled=enabled,
        code_path=code,
        schedule=r.text("janitorSchedule", "rate(5 minutes)", r"(rate|cron)\(.+\)", "rate(5 minutes) or cron(...)"),
        roles=r.items("janitorNodeGroups", (roles.BENCH,), item=_role),
    )


def _path(r: Reader, key: str, default: Path, *, want_dir: bool, must_exist: bool) -> Path:
    """Relative paths are taken from the repository root (where Pulumi.yaml is), whatever the cwd."""
    value = r.text(key, str(default))
    path = Path(value) if Path(value).is_absolute() else REPO_ROOT / value
    if must_exist and not (path.is_dir() if want_dir else path.is_file()):
        raise ConfigError(key, f"{path} is not an existing {'directory' if want_dir else 'file'}")
    return path


def _namespace(value: str) -> None:
    if not re.fullmatch(_DNS_LABEL, value):
        raise ValueError("not a valid namespace name (RFC 1123 label)")


def _role(value: str) -> None:
    if value not in roles.ROLES:
        raise ValueError(f"not a node group role ({', '.join(roles.ROLES)})")


def _log_type(value: str) -> None:
    if value not in ("api", "audit", "authenticator", "controllerManager", "scheduler"):
        raise ValueError("not an EKS control-plane log type (api, audit, authenticator, controllerManager, scheduler)")


def _check_addresses(s: StackSettings) -> None:
    """The IP preflight: bench pods in the bench subnets, system pods in the private subnets."""
    plan = s.subnets
    bench = s.node_groups[roles.BENCH]
    try:
        check_pod_ip_capacity(plan.bench, bench.max_size, _max_pods(bench), s.warm_prefix_target, group="bench")
    except PreflightError as exc:
        raise ConfigError("secondaryCidr", f"{exc}; use a larger secondaryCidr, fewer benchAzCount "
                          "or lower benchMaxNodes/benchMaxPods") from None  # fmt: skip
    for role in (roles.CORE, roles.OPERATOR, roles.MONITORING):
        group = s.node_groups[role]
        pods = _max_pods(group)
        try:
            # system groups may land in any private subnet: check the worst case of all in one
            check_pod_ip_capacity(plan.private[:1], group.max_size, pods, s.warm_prefix_target, group=role)
        except PreflightError as exc:
            raise ConfigError("vpcCidr", f"{exc}; use a larger vpcCidr") from None


def _max_pods(group: NodeGroupSettings) -> int:
    """The kubelet's maxPods on the group's nodes: its NodeConfig's, else nodeadm's standard one for the type."""
    return group.max_pods if group.max_pods is not None else standard_max_pods(INSTANCE_TYPES[group.instance_type])


def _check_sizing(s: StackSettings) -> None:
    """The operator and monitoring nodes must have room for what is sized onto them."""
    try:
        operator_sizing(INSTANCE_TYPES[s.node_groups[roles.OPERATOR].instance_type])
    except ValueError as exc:
        raise ConfigError("operatorInstanceType", str(exc)) from None
    try:
        monitoring_sizing(INSTANCE_TYPES[s.node_groups[roles.MONITORING].instance_type])
    except ValueError as exc:
        raise ConfigError("monitoringInstanceType", str(exc)) from None

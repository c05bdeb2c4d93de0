"""Composition root: read the settings, build the components in dependency order, export the outputs."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

if __name__ == "__main__":  # run by Pulumi as a script (main: infra/): make `import infra` resolvable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


from infra import chart_values, outputs, roles, settings
from infra.components.addons import AddonsArgs, ClusterAddons
from infra.components.cluster import Cluster, ClusterArgs
from infra.components.janitor import Janitor, JanitorArgs
from infra.components.monitoring import Monitoring, MonitoringArgs
from infra.components.network import Network, NetworkArgs
from infra.components.nodegroups import NodeGroups, NodeGroupsArgs, NodeGroupSpec
from infra.components.spark_operator import SparkOperator, SparkOperatorArgs
from infra.config_reader import ConfigError
from infra.dashboards import DashboardError, load_dashboards
from infra.instances import INSTANCE_TYPES
from infra.naming import common_tags
from infra.sizing import OperatorSizing, monitoring_sizing, operator_sizing


def main() -> dict[str, Any]:
    """Build the whole stack; returns the exported outputs."""
    s = settings.load()
    tags = common_tags(s.stack, s.cluster_name, s.tags)
    plan = s.subnets
    network = Network(
        "net", NetworkArgs(s.cluster_name, s.vpc_cidr, s.secondary_cidr, plan, s.availability_zones, tags)
    )
    cluster = Cluster(
        "cluster",
        ClusterArgs(
            cluster_name=s.cluster_name,
            kubernetes_version=s.kubernetes_version,
            vpc_id=network.vpc_id,
            public_subnet_ids=network.public_subnet_ids,
            private_subnet_ids=network.private_subnet_ids,
            public_access_cidrs=s.public_access_cidrs,
            admin_principal_arn=s.admin_principal_arn,
            warm_prefix_target=s.warm_prefix_target,
            control_plane_log_types=s.control_plane_log_types,
            tags=tags,
        ),
    )
    nodes = NodeGroups(
        "nodes", NodeGroupsArgs(cluster.eks_cluster, cluster.vpc_cni, s.cluster_name, _node_specs(s, network), tags)
    )
    addons = ClusterAddons(
        "addons", AddonsArgs(s.cluster_name, cluster.eks_cluster, [nodes.groups[roles.CORE]], cluster.provider, tags)
    )
    monitoring = _monitoring(s, cluster, nodes, addons)
    operator = _spark_operator(s, cluster, nodes, monitoring)
    janitor = None
    if s.janitor.enabled:
        janitor = Janitor(
            "janitor",
            JanitorArgs(
                cluster_name=s.cluster_name,
                node_group_names=[s.node_group_name(r) for r in s.janitor.roles],
                lease_parameter=s.lease_parameter,
                code_path=s.janitor.code_path,
                schedule=s.janitor.schedule,
                region=s.region,
                tags=tags,
            ),
        )
    return outputs.export_all(
        cluster_name=s.cluster_name,
        region=s.region,
        kubeconfig=cluster.kubeconfig,
        node_groups={role: s.node_group_name(role) for role in roles.ROLES},
        spark_namespaces=operator.namespaces,
        grafana_port_forward=Monitoring.port_forward_command(),
        grafana_password=monitoring.grafana_password,
        prometheus_service=Monitoring.prometheus_service(),
        lease_parameter=janitor.lease_parameter if janitor else None,
        instance_types={role: group.instance_type for role, group in s.node_groups.items()},
        stack_shape=_stack_shape(s, janitor),
    )


def _stack_shape(s: settings.StackSettings, janitor: Janitor | None) -> dict[str, Any]:
    bench = s.node_groups[roles.BENCH]
    sizing = _operator_sizing(s)
    return {
        "benchMaxPods": bench.max_pods,
        "nodeGroupBounds": {role: [g.min_size, g.max_size] for role, g in s.node_groups.items()},
        "warmPrefixTarget": s.warm_prefix_target,
        "operator": {"workers": sizing.workers, "controllerCpu": sizing.controller_cpu,
                     "webhookEnabled": s.operator.webhook_enabled, "serviceAccount": s.operator.service_account},
        "janitor": {"functionName": janitor.function_name, "schedule": s.janitor.schedule} if janitor else None,
    }  # fmt: skip


def _operator_sizing(s: settings.StackSettings) -> OperatorSizing:
    """The operator's sizing derived from its node, with the stack's explicit overrides applied."""
    op = s.operator
    derived = operator_sizing(
        INSTANCE_TYPES[s.node_groups[roles.OPERATOR].instance_type], webhook_enabled=op.webhook_enabled
    )
    return replace(
        derived,
        controller_cpu=op.controller_cpu or derived.controller_cpu,
        controller_memory=op.controller_memory or derived.controller_memory,
        workers=op.workers or derived.workers,
        webhook_cpu=op.webhook_cpu or derived.webhook_cpu,
        webhook_memory=op.webhook_memory or derived.webhook_memory,
    )


def _node_specs(s: settings.StackSettings, network: Network) -> list[NodeGroupSpec]:
    subnets = {
        roles.CORE: network.private_subnet_ids,
        roles.OPERATOR: network.private_subnet_ids,
        # Prometheus' EBS volume lives in one AZ: keep its node there, or a replacement node cannot mount it.
        roles.MONITORING: network.private_subnet_ids[:1],
        roles.BENCH: network.bench_subnet_ids,
    }
    return [
        NodeGroupSpec(
            role=role,
            node_group_name=s.node_group_name(role),
            instance_type=g.instance_type,
            min_size=g.min_size,
            desired_size=g.desired_size,
            max_size=g.max_size,
            disk_gib=g.disk_gib,
            subnet_ids=subnets[role],
            max_pods=g.max_pods,
            ignore_scaling_changes=role == roles.BENCH,
        )
        for role, g in s.node_groups.items()
    ]


def _monitoring(s: settings.StackSettings, cluster: Cluster, nodes: NodeGroups, addons: ClusterAddons) -> Monitoring:
    m = s.monitoring
    sizing = monitoring_sizing(INSTANCE_TYPES[s.node_groups[roles.MONITORING].instance_type])
    sizing = replace(
        sizing,
        prometheus_cpu=m.prometheus_cpu or sizing.prometheus_cpu,
        prometheus_memory=m.prometheus_memory or sizing.prometheus_memory,
    )
    try:
        dashboards = load_dashboards(m.dashboards_dir)
    except DashboardError as exc:
        raise ConfigError("dashboardsDir", str(exc)) from None

    def values(grafana_secret: str) -> dict[str, Any]:
        return chart_values.monitoring_values(
            sizing=sizing,
            retention=m.retention,
            storage_gib=m.storage_gib,
            storage_class=addons.storage_class_name,
            scrape_interval=m.scrape_interval,
            grafana_secret=grafana_secret,
        )

    return Monitoring(
        "monitoring",
        MonitoringArgs(
            chart_version=m.chart_version,
            values=values,
            dashboards=dashboards,
            provider=cluster.provider,
            depends_on=[nodes.groups[roles.MONITORING], addons],
            operator_chart_version=s.operator.chart_version,
        ),
    )


def _spark_operator(
    s: settings.StackSettings, cluster: Cluster, nodes: NodeGroups, monitoring: Monitoring
) -> SparkOperator:
    op = s.operator
    sizing = _operator_sizing(s)
    values = chart_values.spark_operator_values(
        chart_version=op.chart_version,
        namespaces=op.namespaces,
        service_account=op.service_account,
        webhook_enabled=op.webhook_enabled,
        sizing=sizing,
        workqueue=chart_values.workqueue_values(
            op.workqueue_bucket_qps, op.workqueue_bucket_size, op.workqueue_max_delay
        ),
        kube_api_qps=op.kube_api_qps,
        kube_api_burst=op.kube_api_burst,
        start_latency_buckets=op.start_latency_buckets,
    )
    return SparkOperator(
        "spark-operator",
        SparkOperatorArgs(
            chart_version=op.chart_version,
            job_namespaces=op.namespaces,
            values=values,
            provider=cluster.provider,
            # the chart's PodMonitor needs the CRD that kube-prometheus-stack installs
            depends_on=[nodes.groups[roles.OPERATOR], monitoring.release],
        ),
    )


if __name__ == "__main__":
    main()

"""kube-prometheus-stack on the monitoring node, the Grafana admin secret, and the dashboard ConfigMaps."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from infra.chart_values import (
    DASHBOARD_LABEL,
    DASHBOARD_LABEL_VALUE,
    GRAFANA_PASSWORD_KEY,
    GRAFANA_USER_KEY,
    dashboard_for_operator_chart,
)
from infra.dashboards import Dashboard
from infra.naming import type_token

CHART = "kube-prometheus-stack"
REPOSITORY = "https://prometheus-community.github.io/helm-charts"
NAMESPACE = "kube-prometheus-stack"
RELEASE_NAME = "kube-prometheus-stack"  # the chart names its Services after the release
GRAFANA_SECRET = "grafana-admin"
GRAFANA_SERVICE = f"{RELEASE_NAME}-grafana"
PROMETHEUS_SERVICE = f"{RELEASE_NAME}-prometheus"
PROMETHEUS_PORT = 9090


@dataclass(frozen=True)
class MonitoringArgs:
    chart_version: str
    values: Callable[[str], dict[str, Any]]
    """Builds the chart values given the Grafana admin Secret's name."""
    dashboards: Sequence[Dashboard]
    provider: k8s.Provider
    depends_on: Sequence[pulumi.Resource]
    """The monitoring node group and the StorageClass addon."""
    operator_chart_version: str = "2.1.0"
    """The Spark Operator chart deployed: the operator dashboard's `$controller` defaults to its controller name."""


class Monitoring(pulumi.ComponentResource):
    """Prometheus + Grafana (admin password from pulumi_random, kept secret) and our dashboards."""

    release: k8s.helm.v3.Release
    grafana_password: pulumi.Output[str]

    def __init__(self, name: str, args: MonitoringArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(type_token("Monitoring"), name, None, opts)
        k8s_opts = pulumi.ResourceOptions(parent=self, provider=args.provider)
        namespace = k8s.core.v1.Namespace(
            f"{name}-ns", metadata=k8s.meta.v1.ObjectMetaArgs(name=NAMESPACE), opts=k8s_opts
        )
        in_ns = pulumi.ResourceOptions.merge(k8s_opts, pulumi.ResourceOptions(depends_on=[namespace]))
        password = random.RandomPassword(
            f"{name}-grafana-password", length=24, special=False, opts=pulumi.ResourceOptions(parent=self)
        )
        self.grafana_password = pulumi.Output.secret(password.result)
        # The password reaches Grafana through a Secret (admin.existingSecret), never as a chart value,
        # so it does not sit in the Helm release's stored values.
        secret = k8s.core.v1.Secret(
            f"{name}-grafana-admin",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=GRAFANA_SECRET, namespace=NAMESPACE),
            string_data={GRAFANA_USER_KEY: "admin", GRAFANA_PASSWORD_KEY: self.grafana_password},
            opts=in_ns,
        )
        self.release = k8s.helm.v3.Release(
            f"{name}-release",
            name=RELEASE_NAME,
            chart=CHART,
            version=args.chart_version,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=REPOSITORY),
            namespace=NAMESPACE,
            values=args.values(GRAFANA_SECRET),
            timeout=900,
            opts=pulumi.ResourceOptions.merge(in_ns, pulumi.ResourceOptions(depends_on=[secret, *args.depends_on])),
        )
        for dashboard in args.dashboards:
            k8s.core.v1.ConfigMap(
                f"{name}-{dashboard.configmap_name}",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=dashboard.configmap_name,
                    namespace=NAMESPACE,
                    labels={DASHBOARD_LABEL: DASHBOARD_LABEL_VALUE},
                ),
                data={dashboard.filename: dashboard_for_operator_chart(dashboard.content, args.operator_chart_version)},
                opts=in_ns,
            )
        self.register_outputs({"grafanaService": GRAFANA_SERVICE})

    @staticmethod
    def port_forward_command() -> str:
        return f"kubectl port-forward -n {NAMESPACE} svc/{GRAFANA_SERVICE} 3000:80"

    @staticmethod
    def prometheus_service() -> str:
        return f"{NAMESPACE}/{PROMETHEUS_SERVICE}:{PROMETHEUS_PORT}"

"""The Kubeflow Spark Operator: its namespace, the job namespaces, and the Helm release."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from infra.naming import type_token

CHART = "spark-operator"
REPOSITORY = "https://kubeflow.github.io/spark-operator"
NAMESPACE = "spark-operator"
RELEASE_NAME = "spark-operator"


@dataclass(frozen=True)
class SparkOperatorArgs:
    chart_version: str
    job_namespaces: Sequence[str]
    values: dict[str, Any]
    provider: k8s.Provider
    depends_on: Sequence[pulumi.Resource]
    """The operator node group, and the monitoring release (its PodMonitor CRD must exist first)."""


class SparkOperator(pulumi.ComponentResource):
    """Helm release of the kubeflow spark-operator chart on the dedicated operator node."""

    release: k8s.helm.v3.Release
    namespaces: list[str]

    def __init__(self, name: str, args: SparkOperatorArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(type_token("SparkOperator"), name, None, opts)
        k8s_opts = pulumi.ResourceOptions(parent=self, provider=args.provider)
        # The chart puts the driver ServiceAccount/RBAC into the job namespaces but does not create them.
        created = [
            k8s.core.v1.Namespace(f"{name}-ns", metadata=k8s.meta.v1.ObjectMetaArgs(name=NAMESPACE), opts=k8s_opts)
        ]
        created += [
            k8s.core.v1.Namespace(
                f"{name}-ns-{ns}",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=ns, labels={"benchkit.io/spark-namespace": "true"}),
                opts=k8s_opts,
            )
            for ns in args.job_namespaces
        ]
        self.release = k8s.helm.v3.Release(
            f"{name}-release",
            name=RELEASE_NAME,  # a fixed name: Service and PodMonitor names derive from it
            chart=CHART,
            version=args.chart_version,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=REPOSITORY),
            namespace=NAMESPACE,
            values=args.values,
            timeout=600,
            opts=pulumi.ResourceOptions.merge(
                k8s_opts, pulumi.ResourceOptions(depends_on=[*created, *args.depends_on])
            ),
        )
        self.namespaces = list(args.job_namespaces)
        self.register_outputs({"namespaces": self.namespaces})

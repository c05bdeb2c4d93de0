"""Doctor rows for what the cluster itself says (read-only): bench nodes, the operator's Deployment, the Spark
namespaces and service accounts, the SparkApplication CRD. A resource type the server does not serve
(the twin serves no Deployments) gives a warn row saying so."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from benchkit.checks import Row, cannot_check, fail, ok
from benchkit.kube import inspect, labels
from benchkit.kube.cluster import WORKER_FLAGS
from benchkit.kube.rest import ApiClient

NODEGROUP_LABEL = "eks.amazonaws.com/nodegroup"
SPARK_GROUP = "sparkoperator.k8s.io"
SPARK_VERSION = "v1beta2"
OPERATOR_SELECTOR = "app.kubernetes.io/name=spark-operator"


@dataclass(frozen=True)
class ClusterExpect:
    bench_group: str | None
    """EKS name of the bench node group (None: only infra's NodeGroupType label is known)."""
    max_pods: int
    namespaces: tuple[str, ...]
    service_account: str | None
    workers: int | None = None
    controller_cpu: str | None = None
    webhook: bool | None = None


def bench_nodes(api: ApiClient, expect: ClusterExpect) -> list[Row]:
    check = "bench nodes"
    answer = inspect.items(api, "/api/v1/nodes")
    if answer.state != "found":
        return [cannot_check(check, answer.reason)]
    return bench_nodes_row(answer.body, expect)


def bench_nodes_row(nodes: list[dict[str, Any]], expect: ClusterExpect) -> list[Row]:
    """Every bench node (found by either label) has both labels and allocatable pods = maxPods."""
    check = "bench nodes"
    bench = [n for n in nodes if _is_bench(n, expect.bench_group)]
    if not bench:
        return [ok(check, "no bench nodes now (nothing to check until they are scaled up)")]
    for node in bench:
        node_labels = node["metadata"].get("labels") or {}
        name = node["metadata"]["name"]
        missing = [key for key in (NODEGROUP_LABEL, labels.NODE_GROUP_TYPE) if key not in node_labels]
        if missing:
            return [
                fail(
                    check,
                    f"{name} lacks label {', '.join(missing)}",
                    "bench nodes must join on the EKS AMI with the stack's launch template: run `pulumi up`",
                )
            ]
        pods = str(((node.get("status") or {}).get("allocatable") or {}).get("pods"))
        if pods != str(expect.max_pods):
            return [fail(check, f"{name}: allocatable pods {pods}, want maxPods {expect.max_pods}",
                         "the NodeConfig maxPods part did not reach the kubelet: check the bench launch template's "
                         "user data, then replace the nodes (scale to 0 and back)")]  # fmt: skip
    return [ok(check, f"{len(bench)} node(s): both labels, allocatable pods {expect.max_pods}")]


def _is_bench(node: dict[str, Any], group: str | None) -> bool:
    node_labels = (node.get("metadata") or {}).get("labels") or {}
    return node_labels.get(labels.NODE_GROUP_TYPE) == labels.BENCH_NODE_GROUP or (
        group is not None and node_labels.get(NODEGROUP_LABEL) == group
    )


def operator(api: ApiClient, expect: ClusterExpect) -> list[Row]:
    check = "spark operator"
    answer = inspect.items(api, "/apis/apps/v1/deployments", OPERATOR_SELECTOR)
    if answer.state != "found":
        return [cannot_check(check, f"Deployments: {answer.reason}")]
    return operator_row(answer.body, expect)


def operator_row(deployments: list[dict[str, Any]], expect: ClusterExpect) -> list[Row]:
    """The controller Deployment ready, with the stack's workers and CPU request; the webhook as configured."""
    check = "spark operator"
    controllers = [d for d in deployments if _component(d) == "controller"]
    if not controllers:
        return [fail(check, f"no Deployment labelled {OPERATOR_SELECTOR} with component controller",
                     "install the Spark Operator (`pulumi up` for the stack)")]  # fmt: skip
    dep = controllers[0]
    name = dep["metadata"]["name"]
    want = (dep.get("spec") or {}).get("replicas", 1)
    ready = (dep.get("status") or {}).get("readyReplicas", 0) or 0
    if ready < want or want < 1:
        return [fail(check, f"{name}: {ready}/{want} replicas ready", f"kubectl -n {dep['metadata'].get('namespace')} "
                     f"describe deployment {name}")]  # fmt: skip
    container = (((dep.get("spec") or {}).get("template") or {}).get("spec") or {}).get("containers", [{}])[0]
    workers = inspect.flag(container.get("args") or [], WORKER_FLAGS)
    cpu = ((container.get("resources") or {}).get("requests") or {}).get("cpu")
    problems = []
    if expect.workers is not None and workers != expect.workers:
        problems.append(f"workers {workers} (stack says {expect.workers})")
    if expect.controller_cpu is not None and (
        cpu is None or inspect.cpu_millicores(cpu) != inspect.cpu_millicores(expect.controller_cpu)
    ):
        problems.append(f"CPU request {cpu} (stack says {expect.controller_cpu})")
    webhook = any(_component(d) == "webhook" and (d.get("spec") or {}).get("replicas", 1) for d in deployments)
    if expect.webhook is not None and webhook != expect.webhook:
        problems.append(f"webhook {'on' if webhook else 'off'} (stack says {'on' if expect.webhook else 'off'})")
    detail = f"{name}: {ready}/{want} ready, workers {workers}, CPU request {cpu}, webhook {'on' if webhook else 'off'}"
    if problems:
        return [fail(check, f"{detail}; {'; '.join(problems)}", "run `pulumi up` (someone changed the release)")]
    return [ok(check, detail)]


def _component(dep: dict[str, Any]) -> str:
    meta = dep.get("metadata") or {}
    component = (meta.get("labels") or {}).get("app.kubernetes.io/component")
    return str(component or ("webhook" if str(meta.get("name", "")).endswith("webhook") else "controller"))


def namespaces(api: ApiClient, expect: ClusterExpect) -> list[Row]:
    rows = []
    sa_served = inspect.serves(api, "/api/v1", "serviceaccounts")
    for ns in expect.namespaces:
        check = f"namespace {ns}"
        answer = inspect.get(api, f"/api/v1/namespaces/{ns}")
        if answer.state == "missing":
            rows.append(fail(check, "does not exist", "run `pulumi up` (the stack creates the Spark namespaces)"))
            continue
        if answer.state == "unserved":
            rows.append(cannot_check(check, answer.reason))
            continue
        if expect.service_account is None:
            rows.append(ok(check, "exists"))
        elif sa_served.state != "found":
            rows.append(ok(check, f"exists; service account not checked ({sa_served.reason})"))
        else:
            sa = inspect.get(api, f"/api/v1/namespaces/{ns}/serviceaccounts/{expect.service_account}")
            if sa.state == "found":
                rows.append(ok(check, f"exists, service account {expect.service_account}"))
            elif sa.state == "missing":
                rows.append(fail(check, f"no service account {expect.service_account}",
                                 "run `pulumi up` (the operator chart creates it)"))  # fmt: skip
            else:
                rows.append(cannot_check(check, sa.reason))
    return rows


def crd(api: ApiClient) -> list[Row]:
    check = "SparkApplication API"
    answer = inspect.get(api, f"/apis/{SPARK_GROUP}")
    if answer.state == "unserved":
        return [cannot_check(check, answer.reason)]
    versions = [v.get("version") for v in (answer.body or {}).get("versions") or []]
    if SPARK_VERSION not in versions:
        return [fail(check, f"{SPARK_GROUP}/{SPARK_VERSION} not served (served: {versions or 'none'})",
                     "install the Spark Operator chart (its CRDs serve sparkoperator.k8s.io/v1beta2)")]  # fmt: skip
    return [ok(check, f"{SPARK_GROUP}/{SPARK_VERSION} served")]

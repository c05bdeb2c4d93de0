"""Driver and executor pods: the model's record of each, and the Kubernetes objects and statuses it emits."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from benchkit.kube import labels as L
from benchkit.twin.model.apps import AppSpec, PodShape
from benchkit.twin.model.quantity import format_bytes, format_cpu

if TYPE_CHECKING:
    from benchkit.twin.model.apps import App
    from benchkit.twin.model.nodes import Node

PENDING, RUNNING, SUCCEEDED, FAILED = "Pending", "Running", "Succeeded", "Failed"
CONTAINER = {"driver": "spark-kubernetes-driver", "executor": "spark-kubernetes-executor"}


class Pod:
    __slots__ = (
        "alive",
        "app",
        "container_id",
        "created_at",
        "exit_code",
        "finished_at",
        "holds",
        "index",
        "ip",
        "name",
        "namespace",
        "node",
        "phase",
        "role",
        "scheduled_at",
        "seq",
        "shape",
        "started_at",
        "unschedulable",
    )

    def __init__(self, app: App, role: str, name: str, index: int, *, seq: int, now: float) -> None:
        self.app = app
        self.role = role
        self.name = name
        self.namespace = app.spec.namespace
        self.index = index
        self.seq = seq
        self.shape: PodShape = app.spec.driver if role == "driver" else app.spec.executor
        self.created_at = now
        self.node: Node | None = None
        self.phase = PENDING
        self.alive = True
        self.holds = False  # bound and not terminated: its requests count against its node
        self.unschedulable = False
        self.scheduled_at = self.started_at = self.finished_at = 0.0
        self.exit_code = 0
        self.ip = f"100.65.{seq // 250 % 250}.{seq % 250 + 4}"
        self.container_id = f"containerd://{seq:064x}"

    @property
    def key(self) -> tuple[str, str]:
        return self.namespace, self.name


def pod_object(pod: Pod, spark_app_id: str, submission_id: str) -> dict[str, Any]:
    spec: AppSpec = pod.app.spec
    labels = {**spec.labels, **(spec.driver_labels if pod.role == "driver" else spec.executor_labels)}
    labels.update(
        {
            L.SPARK_ROLE: pod.role,
            L.SPARK_APP_NAME: spec.name,
            L.LAUNCHED_BY_OPERATOR: "true",
            "sparkoperator.k8s.io/submission-id": submission_id,
            "spark-app-selector": spark_app_id,
            "spark-app-name": spec.name,
            "spark-version": "3.5.3",
        }
    )
    if pod.role == "executor":
        labels.update({"spark-exec-id": str(pod.index), "spark-exec-resourceprofile-id": "0"})
    shape = pod.shape
    memory = format_bytes(shape.memory)
    container: dict[str, Any] = {
        "name": CONTAINER[pod.role],
        "image": spec.image,
        "imagePullPolicy": "IfNotPresent",
        "args": ["driver"] if pod.role == "driver" else ["executor"],
        "resources": {"requests": {"cpu": format_cpu(shape.cpu_m), "memory": memory}, "limits": {"memory": memory}},
    }
    mounted = spec.volumes.get(pod.role)  # the webhook's addVolumes, or the pod template's own (apps.parse_app)
    if mounted is not None and mounted.mounts:
        container["volumeMounts"] = [dict(m) for m in mounted.mounts]
    pod_spec: dict[str, Any] = {
        "containers": [container],
        "nodeSelector": dict(shape.node_selector),
        "tolerations": [_toleration(t) for t in shape.tolerations],
        "restartPolicy": "Never",
        "serviceAccountName": spec.service_account if pod.role == "driver" else "default",
        "schedulerName": "default-scheduler",
        "priority": 0,
    }
    if mounted is not None and mounted.volumes:
        pod_spec["volumes"] = [dict(v) for v in mounted.volumes]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": pod.name,
            "namespace": pod.namespace,
            "labels": labels,
            "ownerReferences": [
                {
                    "apiVersion": "sparkoperator.k8s.io/v1beta2",
                    "kind": "SparkApplication",
                    "name": spec.name,
                    "uid": spec.uid,
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        },
        "spec": pod_spec,
        "status": {"phase": PENDING, "qosClass": "Burstable"},
    }


def _toleration(t: tuple[str, str, str, str]) -> dict[str, str]:
    out = {"operator": t[1]}
    for field, value in (("key", t[0]), ("value", t[2]), ("effect", t[3])):
        if value:
            out[field] = value
    return out


def _condition(kind: str, ok: bool, ts: str, reason: str | None = None, message: str | None = None) -> dict[str, Any]:
    cond: dict[str, Any] = {
        "type": kind,
        "status": "True" if ok else "False",
        "lastProbeTime": None,
        "lastTransitionTime": ts,
    }
    if reason:
        cond["reason"] = reason
    if message:
        cond["message"] = message
    return cond


def unschedulable_status(ts: str, message: str) -> dict[str, Any]:
    cond = _condition("PodScheduled", False, ts, "Unschedulable", message)
    return {"phase": PENDING, "qosClass": "Burstable", "conditions": [cond]}


def scheduled_status(pod: Pod, fmt: Any) -> dict[str, Any]:
    return {
        "phase": PENDING,
        "qosClass": "Burstable",
        "conditions": [_condition("PodScheduled", True, fmt(pod.scheduled_at))],
    }


def running_status(pod: Pod, fmt: Any) -> dict[str, Any]:
    started = fmt(pod.started_at)
    return {
        **_placed(pod, fmt),
        "phase": RUNNING,
        "conditions": _conditions(pod, fmt, ready=True, ready_ts=started),
        "containerStatuses": [_container(pod, {"running": {"startedAt": started}}, ready=True)],
    }


def terminated_status(pod: Pod, fmt: Any) -> dict[str, Any]:
    finished = fmt(pod.finished_at)
    state = {
        "terminated": {
            "exitCode": pod.exit_code,
            "reason": "Completed" if pod.exit_code == 0 else "Error",
            "startedAt": fmt(pod.started_at),
            "finishedAt": finished,
            "containerID": pod.container_id,
        }
    }
    return {
        **_placed(pod, fmt),
        "phase": SUCCEEDED if pod.exit_code == 0 else FAILED,
        "conditions": _conditions(pod, fmt, ready=False, ready_ts=finished),
        "containerStatuses": [_container(pod, state, ready=False)],
    }


def _placed(pod: Pod, fmt: Any) -> dict[str, Any]:
    host_ip = pod.node.name.split(".")[0][3:].replace("-", ".") if pod.node else ""
    return {
        "qosClass": "Burstable",
        "hostIP": host_ip,
        "podIP": pod.ip,
        "podIPs": [{"ip": pod.ip}],
        "startTime": fmt(pod.scheduled_at),
    }


def _conditions(pod: Pod, fmt: Any, ready: bool, ready_ts: str) -> list[dict[str, Any]]:
    reason = None if ready else "PodCompleted"
    return [
        _condition("PodReadyToStartContainers", ready, ready_ts),
        _condition("Initialized", True, fmt(pod.scheduled_at)),
        _condition("Ready", ready, ready_ts, reason),
        _condition("ContainersReady", ready, ready_ts, reason),
        _condition("PodScheduled", True, fmt(pod.scheduled_at)),
    ]


def _container(pod: Pod, state: dict[str, Any], ready: bool) -> dict[str, Any]:
    return {
        "name": CONTAINER[pod.role],
        "image": pod.app.spec.image,
        "imageID": "",
        "containerID": pod.container_id,
        "ready": ready,
        "started": ready,
        "restartCount": 0,
        "state": state,
    }

"""Everyday kubectl verbs, as users type them, against the twin: the real kubectl binary runs each one and the
object on the server is checked afterwards through the Python client (not through kubectl's own output).

What kubectl 1.32 sends (measured with `kubectl -v=8`): `create namespace|configmap|serviceaccount` POST
protobuf (`application/vnd.kubernetes.protobuf`); `create -f` and `apply -f` of a new object POST JSON;
`label`, `annotate`, `patch` and re-`apply` send PATCH (strategic merge for built-in kinds, JSON merge for
SparkApplications, whose kind kubectl's scheme does not know); `apply --server-side` sends
`application/apply-patch+yaml`; `replace` GETs the object then PUTs it with its resourceVersion.
"""

from __future__ import annotations

import re
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client

from benchkit.twin.process import TwinProcess

from .helpers import GROUP, PLURAL, VERSION, Clients, app, find_kubectl, wait_until

KUBECTL = find_kubectl()
pytestmark = pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed (scripts/ensure-kubectl.sh)")


def kubectl(
    twin: TwinProcess, *args: str, check: bool = True, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    assert KUBECTL is not None
    proc = subprocess.run([KUBECTL, "--kubeconfig", str(twin.kubeconfig), *args], capture_output=True, text=True,
                          timeout=60, check=False, input=stdin)  # fmt: skip
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


@pytest.fixture(scope="module")
def ns(twin: TwinProcess) -> str:
    name = f"kv-{uuid.uuid4().hex[:8]}"
    assert kubectl(twin, "create", "namespace", name).stdout.strip() == f"namespace/{name} created"
    return name


def _cm(k8s: Clients, ns: str, name: str) -> Any:
    return k8s.core.read_namespaced_config_map(name, ns)


def test_create_namespace_configmap_serviceaccount(twin: TwinProcess, k8s: Clients, ns: str) -> None:
    assert k8s.core.read_namespace(ns).status.phase == "Active"
    kubectl(twin, "create", "configmap", "settings", "-n", ns, "--from-literal=a=1", "--from-literal=empty=")
    assert _cm(k8s, ns, "settings").data == {"a": "1", "empty": ""}
    kubectl(twin, "create", "serviceaccount", "runner", "-n", ns)
    assert k8s.core.read_namespaced_service_account("runner", ns).metadata.namespace == ns
    out = kubectl(twin, "get", "configmaps,serviceaccounts", "-n", ns).stdout
    assert "configmap/settings" in out and "serviceaccount/runner" in out
    assert kubectl(twin, "get", "cm", "settings", "-n", ns).stdout.split()[:5] == [
        "NAME",
        "DATA",
        "AGE",
        "settings",
        "2",
    ]
    again = kubectl(twin, "create", "configmap", "settings", "-n", ns, check=False)
    assert again.returncode == 1 and 'configmaps "settings" already exists' in again.stderr


def test_label_and_annotate(twin: TwinProcess, k8s: Clients, ns: str) -> None:
    kubectl(twin, "create", "configmap", "tagged", "-n", ns)
    kubectl(twin, "label", "configmap", "tagged", "-n", ns, "team=a", "tier=x")
    kubectl(twin, "annotate", "configmap", "tagged", "-n", ns, "note=hello")
    kubectl(twin, "label", "configmap", "tagged", "-n", ns, "tier-")
    meta = _cm(k8s, ns, "tagged").metadata
    assert meta.labels == {"team": "a"} and meta.annotations == {"note": "hello"}
    kubectl(twin, "label", "namespace", ns, "purpose=test")
    assert k8s.core.read_namespace(ns).metadata.labels["purpose"] == "test"
    node = k8s.core.list_node().items[0].metadata.name
    kubectl(twin, "label", "node", node, f"{ns}=yes")
    assert k8s.core.read_node(node).metadata.labels[ns] == "yes"
    existing = kubectl(twin, "label", "configmap", "tagged", "-n", ns, "team=b", check=False)
    assert existing.returncode == 1 and "already has a value" in existing.stderr  # kubectl's own check (no --overwrite)


def test_patch_merge_json_and_strategic(twin: TwinProcess, k8s: Clients, ns: str) -> None:
    kubectl(twin, "create", "configmap", "patched", "-n", ns, "--from-literal=a=1", "--from-literal=b=2")
    kubectl(twin, "patch", "configmap", "patched", "-n", ns, "--type", "merge", "-p", '{"data":{"c":"3","a":null}}')
    assert _cm(k8s, ns, "patched").data == {"b": "2", "c": "3"}
    kubectl(twin, "patch", "configmap", "patched", "-n", ns, "--type", "json",
            "-p", '[{"op":"replace","path":"/data/b","value":"20"}]')  # fmt: skip
    assert _cm(k8s, ns, "patched").data == {"b": "20", "c": "3"}
    kubectl(twin, "patch", "configmap", "patched", "-n", ns, "-p", '{"data":{"d":"4"}}')  # strategic (default)
    assert _cm(k8s, ns, "patched").data == {"b": "20", "c": "3", "d": "4"}
    failed = kubectl(twin, "patch", "configmap", "patched", "-n", ns, "--type", "json",
                     "-p", '[{"op":"test","path":"/data/b","value":"nope"}]', check=False)  # fmt: skip
    assert failed.returncode == 1 and _cm(k8s, ns, "patched").data["b"] == "20"


def test_patch_serviceaccount_merge_and_strategic(twin: TwinProcess, k8s: Clients, ns: str) -> None:
    """kubernetes/api v0.32.9 core/v1/types.go ServiceAccount: `secrets` has patchStrategy merge, patchMergeKey name;
    `imagePullSecrets` has no patch strategy (a strategic patch replaces it)."""
    name = f"sa-{uuid.uuid4().hex[:8]}"
    kubectl(twin, "create", "serviceaccount", name, "-n", ns)

    def sa() -> tuple[list[str], list[str], bool | None]:
        got = k8s.core.read_namespaced_service_account(name, ns)
        return ([s.name for s in got.secrets or []], [s.name for s in got.image_pull_secrets or []],
                got.automount_service_account_token)  # fmt: skip

    first = '{"automountServiceAccountToken":false,"secrets":[{"name":"a"}],"imagePullSecrets":[{"name":"r1"}]}'
    kubectl(twin, "patch", "serviceaccount", name, "-n", ns, "--type", "merge", "-p", first)
    assert sa() == (["a"], ["r1"], False)
    kubectl(twin, "patch", "sa", name, "-n", ns, "-p", '{"secrets":[{"name":"b"}],"imagePullSecrets":[{"name":"r2"}]}')
    assert sa() == (["a", "b"], ["r2"], False)  # strategic (the default): merged by name / replaced
    kubectl(twin, "patch", "sa", name, "-n", ns, "--type", "merge", "-p", '{"secrets":[{"name":"c"}]}')
    assert sa() == (["c"], ["r2"], False)  # a JSON merge patch replaces every list
    kubectl(twin, "patch", "sa", name, "-n", ns, "-p",
            '{"secrets":[{"$patch":"delete","name":"c"}],"automountServiceAccountToken":null}')  # fmt: skip
    assert sa() == ([], ["r2"], None)


def _manifest(tmp_path: Path, name: str, body: dict[str, Any]) -> str:
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(body))
    return str(path)


def test_apply_creates_then_configures(twin: TwinProcess, k8s: Clients, ns: str, tmp_path: Path) -> None:
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "applied", "namespace": ns},
            "data": {"a": "1", "b": "2"}}  # fmt: skip
    assert "configmap/applied created" in kubectl(twin, "apply", "-f", _manifest(tmp_path, "a1", body)).stdout
    body["data"] = {"a": "2"}
    assert "configmap/applied configured" in kubectl(twin, "apply", "-f", _manifest(tmp_path, "a2", body)).stdout
    cm = _cm(k8s, ns, "applied")
    assert cm.data == {"a": "2"}  # b was in the last applied configuration: the three-way patch removes it
    assert "kubectl.kubernetes.io/last-applied-configuration" in cm.metadata.annotations
    assert "unchanged" in kubectl(twin, "apply", "-f", _manifest(tmp_path, "a3", body)).stdout


def test_apply_server_side(twin: TwinProcess, k8s: Clients, ns: str, tmp_path: Path) -> None:
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ssa", "namespace": ns},
            "data": {"a": "1", "b": "2"}}  # fmt: skip
    out = kubectl(twin, "apply", "--server-side", "-f", _manifest(tmp_path, "s1", body)).stdout
    assert "configmap/ssa serverside-applied" in out
    body["data"] = {"a": "1"}
    kubectl(twin, "apply", "--server-side", "-f", _manifest(tmp_path, "s2", body))
    cm = _cm(k8s, ns, "ssa")
    assert cm.data == {"a": "1"}
    (entry,) = cm.metadata.managed_fields
    assert (entry.manager, entry.operation, entry.fields_v1) == ("kubectl", "Apply", {"f:data": {"f:a": {}}})
    body["data"] = {"a": "other"}
    conflict = kubectl(twin, "apply", "--server-side", "--field-manager", "someone", "-f",
                       _manifest(tmp_path, "s3", body), check=False)  # fmt: skip
    assert conflict.returncode == 1 and 'conflict with "kubectl"' in conflict.stderr
    kubectl(twin, "apply", "--server-side", "--field-manager", "someone", "--force-conflicts", "-f",
            _manifest(tmp_path, "s4", body))  # fmt: skip
    assert _cm(k8s, ns, "ssa").data == {"a": "other"}


def test_replace_and_its_conflict(twin: TwinProcess, k8s: Clients, ns: str, tmp_path: Path) -> None:
    kubectl(twin, "create", "configmap", "replaced", "-n", ns, "--from-literal=a=1")
    current = yaml.safe_load(kubectl(twin, "get", "configmap", "replaced", "-n", ns, "-o", "yaml").stdout)
    current["data"] = {"a": "2"}
    manifest = _manifest(tmp_path, "r1", current)
    assert "configmap/replaced replaced" in kubectl(twin, "replace", "-f", manifest).stdout
    assert _cm(k8s, ns, "replaced").data == {"a": "2"}
    stale = kubectl(twin, "replace", "-v=6", "-f", manifest, check=False)  # carries the resourceVersion read before
    assert stale.returncode == 1 and "the object has been modified" in stale.stderr
    # -v=6: kubectl logs each response's status line; the PUT itself was answered 409 Conflict
    put = rf"PUT https://\S+/api/v1/namespaces/{ns}/configmaps/replaced\?\S* 409 Conflict in \d+ milliseconds"
    assert re.search(put, stale.stderr), stale.stderr
    assert _cm(k8s, ns, "replaced").data == {"a": "2"}
    del current["metadata"]["resourceVersion"]
    current["data"] = {"a": "3"}
    kubectl(twin, "replace", "-f", _manifest(tmp_path, "r2", current))  # kubectl fetches the current version
    assert _cm(k8s, ns, "replaced").data == {"a": "3"}


def test_sparkapplication_verbs(twin: TwinProcess, k8s: Clients, ns: str, tmp_path: Path) -> None:
    run = uuid.uuid4().hex[:10]
    body = app("verbs", run, seconds=600)
    body["metadata"]["namespace"] = ns
    kubectl(twin, "apply", "-f", _manifest(tmp_path, "app1", body))
    kubectl(twin, "label", "sparkapplication", "verbs", "-n", ns, "owner=me")
    kubectl(
        twin, "patch", "sparkapp", "verbs", "-n", ns, "--type", "merge", "-p", '{"spec":{"executor":{"instances":2}}}'
    )
    got = k8s.get_app(ns, "verbs")
    assert got["metadata"]["labels"]["owner"] == "me" and got["spec"]["executor"]["instances"] == 2
    assert got["metadata"]["generation"] == 2
    strategic = kubectl(twin, "patch", "sparkapp", "verbs", "-n", ns, "-p", '{"metadata":{"labels":{"x":"y"}}}',
                        check=False)  # fmt: skip
    assert strategic.returncode == 1 and "not supported" in strategic.stderr
    body["spec"]["executor"]["instances"] = 3
    kubectl(twin, "apply", "-f", _manifest(tmp_path, "app2", body))
    assert k8s.get_app(ns, "verbs")["spec"]["executor"]["instances"] == 3
    kubectl(twin, "apply", "--server-side", "--force-conflicts", "-f", _manifest(tmp_path, "app3", body))
    fields = {e["manager"] for e in k8s.get_app(ns, "verbs")["metadata"]["managedFields"]}
    assert "kubectl" in fields
    invalid = kubectl(twin, "patch", "sparkapp", "verbs", "-n", ns, "--type", "merge",
                      "-p", '{"spec":{"executor":{"instances":"many"}}}', check=False)  # fmt: skip
    assert invalid.returncode == 1 and "spec.executor.instances" in invalid.stderr
    # The operator (the model) writes the app's status while it runs: a copy read before one of its writes is stale
    # and gets 409, as on a real cluster; read again and replace, as a user would.
    for _ in range(10):
        current = yaml.safe_load(kubectl(twin, "get", "sparkapp", "verbs", "-n", ns, "-o", "yaml").stdout)
        current["metadata"]["labels"]["replaced"] = "yes"
        replaced = kubectl(twin, "replace", "-f", _manifest(tmp_path, "app4", current), check=False)
        if replaced.returncode == 0:
            break
        assert "the object has been modified" in replaced.stderr, replaced.stderr
    assert replaced.returncode == 0, replaced.stderr
    assert k8s.get_app(ns, "verbs")["metadata"]["labels"]["replaced"] == "yes"


def test_pod_label_and_image_patch(twin: TwinProcess, k8s: Clients, ns: str) -> None:
    kubectl(twin, "run", "web", "-n", ns, "--image=nginx:1")
    kubectl(twin, "label", "pod", "web", "-n", ns, "role=web")
    kubectl(twin, "set", "image", "pod/web", "-n", ns, "web=nginx:2")
    pod = k8s.core.read_namespaced_pod("web", ns)
    assert pod.metadata.labels["role"] == "web" and pod.spec.containers[0].image == "nginx:2"
    assert pod.metadata.creation_timestamp is not None  # kubectl sends creationTimestamp: null
    moved = kubectl(twin, "patch", "pod", "web", "-n", ns, "-p", '{"spec":{"hostname":"h"}}', check=False)
    assert moved.returncode == 1 and "pod updates may not change fields" in moved.stderr


def test_each_change_is_a_watch_event(twin: TwinProcess, k8s: Clients, ns: str) -> None:
    watched = f"{ns}-w"
    kubectl(twin, "create", "namespace", watched)
    w = client.CoreV1Api(k8s.api)
    rv = w.list_namespaced_config_map(watched).metadata.resource_version
    kubectl(twin, "create", "configmap", "w", "-n", watched)
    kubectl(twin, "label", "configmap", "w", "-n", watched, "a=1")
    kubectl(twin, "patch", "configmap", "w", "-n", watched, "--type", "merge", "-p", '{"data":{"k":"v"}}')
    kubectl(twin, "delete", "configmap", "w", "-n", watched)
    resp = w.list_namespaced_config_map(watched, watch=True, resource_version=rv, timeout_seconds=1,
                                        _preload_content=False)  # fmt: skip
    events = [yaml.safe_load(line) for line in resp.read().decode().splitlines() if line.strip()]
    seen = [(e["type"], (e["object"]["metadata"].get("labels") or {}), e["object"].get("data")) for e in events]
    assert seen == [("ADDED", {}, None), ("MODIFIED", {"a": "1"}, None), ("MODIFIED", {"a": "1"}, {"k": "v"}),
                    ("DELETED", {"a": "1"}, {"k": "v"})]  # fmt: skip
    kubectl(twin, "delete", "namespace", watched)
    wait_until(lambda: watched not in {n.metadata.name for n in w.list_namespace().items}, what="namespace gone")


def test_sparkapplication_is_served_under_its_group(k8s: Clients, ns: str) -> None:
    assert k8s.custom.list_namespaced_custom_object(GROUP, VERSION, ns, PLURAL)["kind"] == "SparkApplicationList"


def test_a_kind_the_twin_does_not_serve_is_404(twin: TwinProcess, ns: str) -> None:
    out = kubectl(twin, "create", "deployment", "d", "-n", ns, "--image=nginx", check=False)
    assert out.returncode == 1 and "the server could not find the requested resource" in out.stderr

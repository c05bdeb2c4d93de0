"""The twin's Kubernetes API over real HTTPS with the real `kubernetes` client: CRUD, errors, selectors, pages."""

from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.request
import uuid

import pytest
from kubernetes import client

from benchkit.twin.process import TwinProcess

from .helpers import GROUP, PLURAL, VERSION, Clients, app, state, wait_until


def _run_id() -> str:
    return uuid.uuid4().hex[:10]


def _raw(twin: TwinProcess, path: str, token: str | None) -> tuple[int, dict[str, object] | str]:
    req = urllib.request.Request(twin.url + path)
    if token is not None:
        req.add_header("Authorization", f"Bearer {token}")
    ctx = ssl.create_default_context(cafile=str(twin.ca_file))
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=10) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@pytest.mark.parametrize("path", ["/api/v1/pods", "/apis", "/version", "/metrics", "/twin/v1/stats"])
def test_requests_without_the_token_get_401(twin: TwinProcess, path: str) -> None:
    for token in (None, "wrong-token"):
        code, body = _raw(twin, path, token)
        assert code == 401
        assert isinstance(body, dict) and body["reason"] == "Unauthorized" and body["kind"] == "Status"
    assert _raw(twin, path, twin.token)[0] == 200


def test_plain_http_is_refused(twin: TwinProcess) -> None:
    with pytest.raises((urllib.error.URLError, ConnectionError)):
        urllib.request.urlopen(twin.url.replace("https://", "http://") + "/version", timeout=5)


def test_discovery_and_version(k8s: Clients) -> None:
    assert k8s.core.get_api_resources().group_version == "v1"
    names = {r.name for r in k8s.core.get_api_resources().resources}
    assert {"pods", "nodes", "namespaces"} <= names
    groups = client.ApisApi(k8s.api).get_api_versions().groups
    assert [g.name for g in groups] == ["apps", GROUP]  # apps/v1: the cluster's DaemonSets (read-only)
    assert groups[1].preferred_version.group_version == f"{GROUP}/{VERSION}"
    assert client.VersionApi(k8s.api).get_code().major == "1"


def test_create_get_list_delete_an_app(k8s: Clients) -> None:
    run = _run_id()
    created = k8s.create_app("spark-team-a", app("crud-1", run))
    meta = created["metadata"]
    assert meta["namespace"] == "spark-team-a" and meta["uid"] and meta["creationTimestamp"].endswith("Z")
    assert int(meta["resourceVersion"]) > 0
    assert "status" not in created or not state(created)
    got = k8s.get_app("spark-team-a", "crud-1")
    assert got["metadata"]["uid"] == meta["uid"]
    assert [
        i["metadata"]["name"]
        for i in k8s.list_apps("spark-team-a", label_selector=f"benchkit.io/run-id={run}")["items"]
    ] == ["crud-1"]
    assert (
        k8s.list_apps(None, label_selector=f"benchkit.io/run-id={run}")["items"][0]["metadata"]["namespace"]
        == "spark-team-a"
    )
    deleted = k8s.delete_app("spark-team-a", "crud-1")
    assert deleted["metadata"]["name"] == "crud-1"
    with pytest.raises(client.ApiException) as exc:
        k8s.get_app("spark-team-a", "crud-1")
    assert exc.value.status == 404


def test_resource_versions_increase_monotonically(k8s: Clients) -> None:
    run = _run_id()
    rvs = [int(k8s.create_app("default", app(f"rv-{i}", run))["metadata"]["resourceVersion"]) for i in range(5)]
    assert rvs == sorted(rvs) and len(set(rvs)) == 5
    listed = int(k8s.list_apps("default")["metadata"]["resourceVersion"])
    assert listed >= rvs[-1]


def test_404_409_and_status_bodies(k8s: Clients) -> None:
    run = _run_id()
    with pytest.raises(client.ApiException) as exc:
        k8s.create_app("no-such-namespace", app("a", run))
    assert exc.value.status == 404
    assert json.loads(exc.value.body)["details"] == {"name": "no-such-namespace", "kind": "namespaces"}
    with pytest.raises(client.ApiException) as exc:
        k8s.get_app("default", "never-created")
    assert exc.value.status == 404 and json.loads(exc.value.body)["reason"] == "NotFound"
    with pytest.raises(client.ApiException) as exc:
        k8s.delete_app("default", "never-created")
    assert exc.value.status == 404
    with pytest.raises(client.ApiException) as exc:
        k8s.core.read_namespaced_pod("never-created", "default")
    assert exc.value.status == 404
    k8s.create_app("default", app("dup-1", run))
    with pytest.raises(client.ApiException) as exc:
        k8s.create_app("default", app("dup-1", run))
    body = json.loads(exc.value.body)
    assert exc.value.status == 409 and body["reason"] == "AlreadyExists" and body["kind"] == "Status"
    assert body["details"]["name"] == "dup-1"


def test_create_with_a_resource_version_is_refused(k8s: Clients) -> None:
    """kube-apiserver's storage refuses it with a plain error: 500, no reason (the Python client sees 500)."""
    run = _run_id()
    body = app("with-rv", run)
    body["metadata"]["resourceVersion"] = "12345"
    with pytest.raises(client.ApiException) as exc:
        k8s.create_app("default", body)
    status = json.loads(exc.value.body)
    assert exc.value.status == 500 and status["message"] == "resourceVersion should not be set on objects to be created"
    assert "reason" not in status
    with pytest.raises(client.ApiException):
        k8s.get_app("default", "with-rv")  # nothing was stored
    for ignored in ("0", "-1", "not-a-number"):  # what the versioner cannot parse (or 0) counts as unset
        body = app(f"with-rv-{ignored.strip('-')[:3]}", run)
        body["metadata"]["resourceVersion"] = ignored
        assert k8s.create_app("default", body)["metadata"]["resourceVersion"] != ignored


def test_delete_preconditions_are_checked(k8s: Clients) -> None:
    run = _run_id()
    created = k8s.create_app("default", app("pre-1", run, seconds=3600))
    wrong = client.V1DeleteOptions(preconditions=client.V1Preconditions(uid="00000000-0000-4000-8000-000000000000"))
    with pytest.raises(client.ApiException) as exc:
        k8s.custom.delete_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, "pre-1", body=wrong)
    status = json.loads(exc.value.body)
    assert exc.value.status == 409 and status["reason"] == "Conflict"
    assert "Precondition failed: UID in precondition: 00000000-0000-4000-8000-000000000000" in status["message"]
    stale = client.V1DeleteOptions(preconditions=client.V1Preconditions(resource_version="1"))
    with pytest.raises(client.ApiException) as exc:
        k8s.custom.delete_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, "pre-1", body=stale)
    assert exc.value.status == 409 and "ResourceVersion in precondition: 1" in json.loads(exc.value.body)["message"]
    assert k8s.get_app("default", "pre-1")["metadata"]["uid"] == created["metadata"]["uid"]  # still there
    right = client.V1DeleteOptions(preconditions=client.V1Preconditions(uid=created["metadata"]["uid"]))
    k8s.custom.delete_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, "pre-1", body=right)
    with pytest.raises(client.ApiException) as exc:
        k8s.get_app("default", "pre-1")
    assert exc.value.status == 404


def _causes(exc: client.ApiException) -> dict[str, str]:
    body = json.loads(exc.body)
    assert exc.status == 422 and body["reason"] == "Invalid" and body["code"] == 422
    return {c["field"]: c["reason"] for c in body["details"]["causes"]}


@pytest.mark.parametrize(
    ("name", "mutate", "expected"),
    [
        ("Bad_Name", None, {"metadata.name": "FieldValueInvalid"}),
        ("a" * 57, None, {"metadata.name": "FieldValueInvalid"}),  # a*57 + "-ui-svc" is 64 > 63
        ("dotted.name", None, {"metadata.name": "FieldValueInvalid"}),
        ("no-driver", lambda s: s.pop("driver"), {"spec.driver": "FieldValueRequired"}),
        ("no-type", lambda s: s.pop("type"), {"spec.type": "FieldValueRequired"}),
        ("bad-type", lambda s: s.update(type="Cobol"), {"spec.type": "FieldValueNotSupported"}),
        (
            "bad-inst",
            lambda s: s["executor"].update(instances="five"),
            {"spec.executor.instances": "FieldValueTypeInvalid"},
        ),
        (
            "bad-tol",
            lambda s: s["driver"].update(tolerations="x"),
            {"spec.driver.tolerations": "FieldValueTypeInvalid"},
        ),
    ],
)
def test_invalid_apps_get_422_with_the_field_path(
    k8s: Clients, name: str, mutate: object, expected: dict[str, str]
) -> None:
    body = app(name, _run_id())
    if callable(mutate):
        mutate(body["spec"])
    with pytest.raises(client.ApiException) as exc:
        k8s.create_app("default", body)
    assert _causes(exc.value) == expected
    assert k8s.list_apps("default", field_selector=f"metadata.name={name}")["items"] == []


def test_longest_valid_name_is_accepted(k8s: Clients) -> None:
    name = "b" * 56
    assert k8s.create_app("default", app(name, _run_id()))["metadata"]["name"] == name


def test_unknown_fields_are_pruned_or_rejected_when_strict(k8s: Clients) -> None:
    body = app("pruned-1", _run_id())
    body["spec"]["driver"]["colour"] = "blue"
    created = k8s.create_app("default", body)
    assert "colour" not in created["spec"]["driver"] and created["spec"]["driver"]["cores"] == 1
    body["metadata"]["name"] = "strict-1"
    with pytest.raises(client.ApiException) as exc:
        k8s.custom.create_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, body, field_validation="Strict")
    assert exc.value.status == 400 and "spec.driver.colour" in exc.value.body


def test_label_selectors(k8s: Clients) -> None:
    run = _run_id()
    for name, tier in (("ls-a", "gold"), ("ls-b", "silver"), ("ls-c", "bronze")):
        k8s.create_app("spark-team-b", app(name, run, tier=tier))
    k8s.create_app("spark-team-b", app("ls-d", run))

    def names(selector: str) -> list[str]:
        items = k8s.list_apps("spark-team-b", label_selector=f"benchkit.io/run-id={run},{selector}")["items"]
        return [i["metadata"]["name"] for i in items]

    assert names("tier=gold") == ["ls-a"]
    assert names("tier==gold") == ["ls-a"]
    assert names("tier!=gold") == ["ls-b", "ls-c", "ls-d"]
    assert names("tier in (gold, silver)") == ["ls-a", "ls-b"]
    assert names("tier notin (gold,silver)") == ["ls-c", "ls-d"]
    assert names("tier") == ["ls-a", "ls-b", "ls-c"]
    assert names("!tier") == ["ls-d"]
    assert names("tier,tier!=bronze") == ["ls-a", "ls-b"]
    with pytest.raises(client.ApiException) as exc:
        k8s.list_apps("spark-team-b", label_selector="tier in (gold")
    assert exc.value.status == 400


def test_field_selectors(k8s: Clients) -> None:
    run = _run_id()
    k8s.create_app("spark-team-c", app("fs-a", run))
    k8s.create_app("default", app("fs-a", run))
    items = k8s.list_apps(None, field_selector="metadata.name=fs-a")["items"]
    assert sorted(i["metadata"]["namespace"] for i in items) == ["default", "spark-team-c"]
    items = k8s.list_apps(None, field_selector="metadata.name=fs-a,metadata.namespace=spark-team-c")["items"]
    assert [i["metadata"]["namespace"] for i in items] == ["spark-team-c"]
    items = k8s.list_apps(
        None, field_selector="metadata.namespace!=default", label_selector=f"benchkit.io/run-id={run}"
    )
    assert [i["metadata"]["namespace"] for i in items["items"]] == ["spark-team-c"]
    with pytest.raises(client.ApiException) as exc:
        k8s.list_apps(None, field_selector="spec.type=Scala")
    assert exc.value.status == 400


def test_pagination_with_limit_and_continue(k8s: Clients) -> None:
    run = _run_id()
    for i in range(23):
        k8s.create_app("spark-team-a", app(f"page-{i:02d}", run))
    seen: list[str] = []
    pages, token = 0, None
    first_rv = None
    while True:
        page = k8s.list_apps("spark-team-a", label_selector=f"benchkit.io/run-id={run}", limit=10, _continue=token)
        first_rv = first_rv or page["metadata"]["resourceVersion"]
        assert page["metadata"]["resourceVersion"] == first_rv  # every page reports the first page's version
        seen += [i["metadata"]["name"] for i in page["items"]]
        pages += 1
        token = page["metadata"].get("continue")
        if not token:
            break
    assert pages == 3 and seen == [f"page-{i:02d}" for i in range(23)]
    unfiltered = k8s.list_apps("spark-team-a", limit=5)
    assert unfiltered["metadata"]["remainingItemCount"] == len(k8s.list_apps("spark-team-a")["items"]) - 5
    with pytest.raises(client.ApiException) as exc:
        k8s.list_apps("spark-team-a", limit=5, _continue="not-a-token")
    assert exc.value.status == 400


def test_pods_follow_apps_and_delete_cascades(k8s: Clients) -> None:
    run = _run_id()
    k8s.create_app("spark-team-a", app("casc-1", run, seconds=30, executors=2))
    selector = f"benchkit.io/run-id={run}"
    pods = wait_until(lambda: k8s.core.list_namespaced_pod("spark-team-a", label_selector=selector).items, what="pods")
    assert pods[0].metadata.labels["sparkoperator.k8s.io/app-name"] == "casc-1"
    assert k8s.core.list_pod_for_all_namespaces(label_selector=selector).items
    got = k8s.core.read_namespaced_pod(pods[0].metadata.name, "spark-team-a")
    assert got.metadata.uid == pods[0].metadata.uid
    k8s.delete_app("spark-team-a", "casc-1")
    assert k8s.core.list_namespaced_pod("spark-team-a", label_selector=selector).items == []


def test_status_subresource_get(k8s: Clients) -> None:
    run = _run_id()
    k8s.create_app("default", app("status-1", run, seconds=0.2))
    done = wait_until(lambda: state(k8s.get_app("default", "status-1")) == "COMPLETED", what="COMPLETED")
    assert done
    got = k8s.custom.get_namespaced_custom_object_status(GROUP, VERSION, "default", PLURAL, "status-1")
    assert state(got) == "COMPLETED" and got["status"]["driverInfo"]["podName"]


def test_deletecollection_by_label(k8s: Clients) -> None:
    run, other = _run_id(), _run_id()
    for i in range(4):
        k8s.create_app("spark-team-c", app(f"dc-{i}", run, seconds=30))
    k8s.create_app("spark-team-c", app("dc-keep", other, seconds=30))
    selector = f"benchkit.io/run-id={run}"
    wait_until(lambda: len(k8s.core.list_namespaced_pod("spark-team-c", label_selector=selector).items) >= 4)
    out = k8s.custom.delete_collection_namespaced_custom_object(
        GROUP, VERSION, "spark-team-c", PLURAL, label_selector=f"benchkit.io/run-id={run}"
    )
    assert sorted(i["metadata"]["name"] for i in out["items"]) == [f"dc-{i}" for i in range(4)]
    assert k8s.list_apps("spark-team-c", label_selector=f"benchkit.io/run-id={run}")["items"] == []
    assert k8s.core.list_namespaced_pod("spark-team-c", label_selector=f"benchkit.io/run-id={run}").items == []
    assert [
        i["metadata"]["name"]
        for i in k8s.list_apps("spark-team-c", label_selector=f"benchkit.io/run-id={other}")["items"]
    ] == ["dc-keep"]
    wait_until(lambda: k8s.core.list_namespaced_pod("spark-team-c", label_selector=f"benchkit.io/run-id={other}").items)
    k8s.core.delete_collection_namespaced_pod("spark-team-c", label_selector=f"benchkit.io/run-id={other}")
    assert k8s.core.list_namespaced_pod("spark-team-c", label_selector=f"benchkit.io/run-id={other}").items == []


def test_nodes_and_namespaces(k8s: Clients) -> None:
    nodes = k8s.core.list_node().items
    assert len(nodes) >= 1
    assert {n.metadata.name for n in nodes} == {n.metadata.name for n in k8s.core.list_node(limit=500).items}
    names = {n.metadata.name for n in k8s.core.list_namespace().items}
    assert {"default", "spark-team-a", "spark-team-b", "spark-team-c"} <= names
    k8s.core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name="tmp-ns")))
    k8s.create_app("tmp-ns", app("in-tmp", _run_id()))
    k8s.core.delete_namespace("tmp-ns")
    with pytest.raises(client.ApiException) as exc:
        k8s.get_app("tmp-ns", "in-tmp")
    assert exc.value.status == 404


def test_pods_wait_pending_until_the_node_group_grows() -> None:
    from .conftest import make_twin

    with make_twin(nodes=1, max_pods=6) as small:
        k8s = Clients(small)
        run = _run_id()
        for i in range(3):
            k8s.create_app("default", app(f"full-{i}", run, seconds=60, executors=2))

        def phases() -> list[str]:
            return [
                p.status.phase
                for p in k8s.core.list_namespaced_pod("default", label_selector=f"benchkit.io/run-id={run}").items
            ]

        pending = wait_until(
            lambda: (ph := phases()) and "Pending" in ph and "Running" in ph and ph, what="a full node"
        )
        assert pending.count("Running") <= 6
        small.admin("POST", "nodegroups/bench/scale", {"count": 3})
        wait_until(lambda: (ph := phases()) and len(ph) == 9 and set(ph) == {"Running"}, timeout=30, what="all Running")


def test_big_lists_are_streamed_whole(k8s: Clients) -> None:
    run = _run_id()
    for i in range(600):  # > 1 MB of apps: the list is written in pieces
        k8s.create_app("spark-team-b", app(f"big-{i:03d}", run, seconds=60))
    items = k8s.list_apps(None, label_selector=f"benchkit.io/run-id={run}")["items"]
    assert [i["metadata"]["name"] for i in items] == [f"big-{i:03d}" for i in range(600)]
    k8s.custom.delete_collection_namespaced_custom_object(
        GROUP, VERSION, "spark-team-b", PLURAL, label_selector=f"benchkit.io/run-id={run}"
    )


def test_an_app_the_model_cannot_run_fails_instead_of_500(k8s: Clients, twin: TwinProcess) -> None:
    run = _run_id()
    body = app("unrunnable-1", run)
    body["spec"]["driver"]["memory"] = "lots"  # a string to the CRD, not a quantity to spark-submit
    assert k8s.create_app("default", body)["metadata"]["name"] == "unrunnable-1"
    got = wait_until(lambda: (a := k8s.get_app("default", "unrunnable-1")) and state(a) == "FAILED" and a)
    assert "lots" in got["status"]["applicationState"]["errorMessage"]
    states = [t["state"] for t in twin.admin("GET", f"history?labelSelector=benchkit.io/run-id%3D{run}")["items"]]
    assert states == ["NEW", "SUBMISSION_FAILED", "FAILED"]
    k8s.delete_app("default", "unrunnable-1")

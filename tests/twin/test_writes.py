"""The API's write semantics without a server: `Writer` on a `Store`, requests as plain data."""

from __future__ import annotations

from typing import Any, cast

import orjson
import pytest

from benchkit.twin.driver import Driver
from benchkit.twin.resources import CONFIGMAPS, NAMESPACES, NODES, PODS, SPARK_APPS, ResourceType
from benchkit.twin.routes import Reply, Route, WriteRequest
from benchkit.twin.status import ApiFailure
from benchkit.twin.store import MODIFIED, Store
from benchkit.twin.writes import APPLY_PATCH, JSON_PATCH, MERGE_PATCH, STRATEGIC_PATCH, Writer

from .helpers import app


class _Driver:
    """Records what the writer tells the model."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def app_created(self, rec: Any, _obj: Any, _now: float) -> None:
        self.calls.append(("app_created", rec.name))

    def app_deleted(self, _ns: str, name: str, _now: float) -> None:
        self.calls.append(("app_deleted", name))

    def pod_deleted(self, _ns: str, name: str, _now: float) -> None:
        self.calls.append(("pod_deleted", name))


@pytest.fixture
def writer() -> Writer:
    store = Store(1000)
    store.create(NAMESPACES, {"metadata": {"name": "ns"}})
    return Writer(store, cast(Driver, _Driver()))


def _send(writer: Writer, verb: str, resource: ResourceType, name: str | None, body: Any, *args: str,
          **query: str) -> dict[str, Any]:  # fmt: skip
    content_type = args[0] if args else ""
    ns = "ns" if resource.namespaced else None
    raw = body if isinstance(body, bytes) else orjson.dumps(body)
    reply: Reply = writer.handle(WriteRequest(verb, Route(resource, ns, name, ""), raw,
                                              content_type or "application/json", query))  # fmt: skip
    out: dict[str, Any] = orjson.loads(reply.body)
    out["_code"] = reply.status
    return out


def _configmap(name: str = "c", **data: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data}


def _code(call: Any) -> int:
    with pytest.raises(ApiFailure) as caught:
        call()
    return caught.value.code


def test_put_replaces_and_a_stale_resource_version_is_409(writer: Writer) -> None:
    created = _send(writer, "POST", CONFIGMAPS, None, _configmap(a="1"))
    current = {
        **_configmap(a="2"),
        "metadata": {"name": "c", "resourceVersion": created["metadata"]["resourceVersion"]},
    }
    updated = _send(writer, "PUT", CONFIGMAPS, "c", current)
    assert updated["_code"] == 200 and updated["data"] == {"a": "2"}
    assert updated["metadata"]["uid"] == created["metadata"]["uid"]
    assert int(updated["metadata"]["resourceVersion"]) > int(created["metadata"]["resourceVersion"])
    with pytest.raises(ApiFailure) as caught:
        _send(writer, "PUT", CONFIGMAPS, "c", current)  # the version it read is no longer the latest
    assert caught.value.code == 409 and caught.value.reason == "Conflict"
    assert "the object has been modified" in caught.value.message
    assert _send(writer, "PUT", CONFIGMAPS, "c", _configmap(a="3"))["data"] == {"a": "3"}  # built-in: unconditional


def test_put_of_a_custom_resource_needs_a_resource_version(writer: Writer) -> None:
    body = app("pi", "r")
    _send(writer, "POST", SPARK_APPS, None, body)
    with pytest.raises(ApiFailure) as caught:
        _send(writer, "PUT", SPARK_APPS, "pi", body)
    assert caught.value.code == 422 and "metadata.resourceVersion" in caught.value.message


def test_every_change_is_one_modified_event_and_a_no_op_is_none(writer: Writer) -> None:
    _send(writer, "POST", CONFIGMAPS, None, _configmap(a="1"))
    coll = writer.store.coll(CONFIGMAPS)
    before = len(coll.history)
    labels = {"metadata": {"labels": {"benchkit.io/run-id": "r"}}}
    _send(writer, "PATCH", CONFIGMAPS, "c", labels, MERGE_PATCH)
    assert [e.type for e in list(coll.history)[before:]] == [MODIFIED]
    assert coll.candidates("benchkit.io/run-id", "r") == {"ns/c"}  # the label index follows the change
    _send(writer, "PATCH", CONFIGMAPS, "c", labels, MERGE_PATCH)
    assert len(coll.history) == before + 1


def test_patch_types(writer: Writer) -> None:
    _send(writer, "POST", CONFIGMAPS, None, _configmap(a="1", b="2"))
    assert _send(writer, "PATCH", CONFIGMAPS, "c", {"data": {"a": None}}, MERGE_PATCH)["data"] == {"b": "2"}
    ops = [{"op": "add", "path": "/data/c", "value": "3"}]
    assert _send(writer, "PATCH", CONFIGMAPS, "c", ops, JSON_PATCH)["data"] == {"b": "2", "c": "3"}
    out = _send(writer, "PATCH", CONFIGMAPS, "c", {"data": {"b": None}}, STRATEGIC_PATCH)
    assert out["data"] == {"c": "3"}
    failed = [{"op": "test", "path": "/data/c", "value": "nope"}]
    assert _code(lambda: _send(writer, "PATCH", CONFIGMAPS, "c", failed, JSON_PATCH)) == 422
    assert _code(lambda: _send(writer, "PATCH", CONFIGMAPS, "c", {}, "text/plain")) == 415
    stale = {"metadata": {"resourceVersion": "1"}, "data": {"z": "1"}}
    assert _code(lambda: _send(writer, "PATCH", CONFIGMAPS, "c", stale, MERGE_PATCH)) == 409
    renamed = {"metadata": {"name": "other"}}
    assert _code(lambda: _send(writer, "PATCH", CONFIGMAPS, "c", renamed, MERGE_PATCH)) == 400


def test_strategic_merge_is_refused_for_custom_resources(writer: Writer) -> None:
    _send(writer, "POST", SPARK_APPS, None, app("pi", "r"))
    with pytest.raises(ApiFailure) as caught:
        _send(writer, "PATCH", SPARK_APPS, "pi", {"metadata": {"labels": {"a": "b"}}}, STRATEGIC_PATCH)
    assert caught.value.code == 415


def test_app_spec_change_is_validated_and_bumps_generation_status_is_kept(writer: Writer) -> None:
    _send(writer, "POST", SPARK_APPS, None, app("pi", "r"))
    writer.store.update(SPARK_APPS, "ns", "pi", {"applicationState": {"state": "RUNNING"}})
    out = _send(writer, "PATCH", SPARK_APPS, "pi", {"spec": {"executor": {"instances": 3}},
                                                     "status": {"applicationState": {"state": "FAILED"}}},
                MERGE_PATCH)  # fmt: skip
    assert out["metadata"]["generation"] == 2 and out["spec"]["executor"]["instances"] == 3
    assert out["status"]["applicationState"]["state"] == "RUNNING"
    bad = {"spec": {"executor": {"instances": "many"}}}
    with pytest.raises(ApiFailure) as caught:
        _send(writer, "PATCH", SPARK_APPS, "pi", bad, MERGE_PATCH)
    assert caught.value.code == 422 and "spec.executor.instances" in caught.value.message
    labelled = _send(writer, "PATCH", SPARK_APPS, "pi", {"metadata": {"labels": {"k": "v"}}}, MERGE_PATCH)
    assert labelled["metadata"]["generation"] == 2  # metadata only: same generation


def test_pod_spec_and_node_spec_do_not_change(writer: Writer) -> None:
    pod = {"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "i:1"}]}}
    _send(writer, "POST", PODS, None, pod)
    image = {"spec": {"containers": [{"name": "c", "image": "i:2"}]}}
    assert _send(writer, "PATCH", PODS, "p", image, STRATEGIC_PATCH)["spec"]["containers"][0]["image"] == "i:2"
    assert _code(lambda: _send(writer, "PATCH", PODS, "p", {"spec": {"nodeName": "n"}}, MERGE_PATCH)) == 422
    writer.store.create(NODES, {"metadata": {"name": "n1"}, "spec": {}})
    assert _send(writer, "PATCH", NODES, "n1", {"metadata": {"labels": {"k": "v"}}}, STRATEGIC_PATCH)["_code"] == 200
    assert _code(lambda: _send(writer, "PATCH", NODES, "n1", {"spec": {"unschedulable": True}}, MERGE_PATCH)) == 422


def _apply(writer: Writer, body: dict[str, Any], manager: str = "kubectl", **query: str) -> dict[str, Any]:
    return _send(writer, "PATCH", CONFIGMAPS, "c", body, APPLY_PATCH, fieldManager=manager, **query)


def test_server_side_apply_creates_merges_and_removes_what_it_stopped_applying(writer: Writer) -> None:
    created = _apply(writer, _configmap(a="1", b="2"))
    assert created["_code"] == 201 and created["data"] == {"a": "1", "b": "2"}
    (entry,) = created["metadata"]["managedFields"]
    assert entry["manager"] == "kubectl" and entry["operation"] == "Apply"
    assert entry["fieldsV1"] == {"f:data": {"f:a": {}, "f:b": {}}}
    _send(writer, "PATCH", CONFIGMAPS, "c", {"data": {"other": "x"}}, MERGE_PATCH)  # not an Apply manager's field
    out = _apply(writer, _configmap(a="1"))
    assert out["_code"] == 200 and out["data"] == {"a": "1", "other": "x"}  # b dropped, other kept
    assert out["metadata"]["managedFields"][0]["fieldsV1"] == {"f:data": {"f:a": {}}}


def test_server_side_apply_conflicts_and_force(writer: Writer) -> None:
    _apply(writer, _configmap(a="1"), "first")
    with pytest.raises(ApiFailure) as caught:
        _apply(writer, _configmap(a="2"), "second")
    assert caught.value.code == 409 and 'conflict with "first": .data.a' in caught.value.message
    assert _apply(writer, _configmap(a="1"), "second")["data"] == {"a": "1"}  # same value: shared, no conflict
    forced = _apply(writer, _configmap(a="3"), "second", force="true")
    assert forced["data"] == {"a": "3"}
    managers = {e["manager"]: e["fieldsV1"] for e in forced["metadata"]["managedFields"]}
    assert managers == {"second": {"f:data": {"f:a": {}}}}  # the field moved to the forcing manager
    assert _code(lambda: _send(writer, "PATCH", CONFIGMAPS, "c", _configmap(), APPLY_PATCH)) == 422  # no manager


def test_deleting_a_namespace_deletes_its_configmaps(writer: Writer) -> None:
    _send(writer, "POST", CONFIGMAPS, None, _configmap())
    writer.handle(WriteRequest("DELETE", Route(NAMESPACES, None, "ns", "")))
    assert writer.store.count(CONFIGMAPS) == 0

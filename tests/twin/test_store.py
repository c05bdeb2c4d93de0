"""In-process units: the record byte layout, selectors, list pages. (Everything else is tested over HTTPS.)"""

from __future__ import annotations

import orjson
import pytest

from benchkit.twin import listing
from benchkit.twin.record import Record
from benchkit.twin.resources import NAMESPACES, PODS
from benchkit.twin.selectors import parse_fields, parse_labels
from benchkit.twin.status import ApiFailure
from benchkit.twin.store import Store


def _obj(**extra: object) -> dict[str, object]:
    meta = {"name": "p", "namespace": "n", "labels": {"a": "b"}, "resourceVersion": "999"}
    return {"spec": {"containers": [{"name": "c"}]}, "apiVersion": "v1", "kind": "Pod", "metadata": meta, **extra}


@pytest.mark.parametrize("status", [None, {"phase": "Pending"}])
def test_record_splices_status_rv_and_deletion(status: object) -> None:
    obj = _obj() if status is None else _obj(status=status)
    rec = Record("n/p", "n", "p", {}, None)
    rec.build(obj, 9)
    first = rec.obj()
    assert first["metadata"]["resourceVersion"] == "9" and first.get("status") == status
    assert list(first) == ["apiVersion", "kind", "metadata", "spec", *(["status"] if status else [])]
    rec.set_status({"phase": "Running", "hostIP": "1.2.3.4"}, 10)
    assert rec.obj() == {**first, "metadata": {**first["metadata"], "resourceVersion": "10"},
                         "status": {"phase": "Running", "hostIP": "1.2.3.4"}}  # fmt: skip
    rec.set_status({"phase": "Succeeded"}, 12345)
    rec.mark_deleted("2026-01-01T00:00:00Z", 12346)
    gone = rec.obj()
    assert gone["metadata"]["deletionTimestamp"] == "2026-01-01T00:00:00Z"
    assert gone["metadata"]["resourceVersion"] == "12346" and gone["status"] == {"phase": "Succeeded"}
    rec.set_status({"phase": "Failed"}, 7)
    assert rec.obj()["status"] == {"phase": "Failed"} and rec.obj()["metadata"]["resourceVersion"] == "7"
    assert orjson.loads(rec.raw) == rec.obj()


def test_store_versions_indexes_and_pages() -> None:
    store = Store(history=100)
    store.create(NAMESPACES, {"metadata": {"name": "n"}})
    store.create(NAMESPACES, {"metadata": {"name": "n-2"}})
    for ns in ("n", "n-2"):
        for i in range(5):
            labels = {"benchkit.io/run-id": "r1" if i % 2 else "r2"}
            store.create(PODS, {"metadata": {"name": f"p{i}", "namespace": ns, "labels": labels}, "spec": {}})
    assert [r.key for r in store.records(PODS, "n")] == [f"n/p{i}" for i in range(5)]
    assert store.rv == 12
    recs, last, _ = listing.select(store, PODS, None, parse_labels("benchkit.io/run-id=r1"), parse_fields(None, ()), 3)
    assert [r.key for r in recs] == ["n-2/p1", "n-2/p3", "n/p1"] and last == "n/p1"
    rest, last, _ = listing.select(store, PODS, None, parse_labels("benchkit.io/run-id=r1"), parse_fields(None, ()), 3,
                                   last + "\x00")  # fmt: skip
    assert [r.key for r in rest] == ["n/p3"] and last is None
    assert store.update(PODS, "n", "p1", {"phase": "Running"}, "node-a") is not None
    selected = listing.select(store, PODS, None, parse_labels(None),
                              parse_fields("spec.nodeName=node-a", ("spec.nodeName",)))[0]  # fmt: skip
    assert [r.key for r in selected] == ["n/p1"]
    store.delete(PODS, "n", "p1")
    assert store.coll(PODS).candidates("benchkit.io/run-id", "r1") == {"n/p3", "n-2/p1", "n-2/p3"}
    events = store.coll(PODS).since(12)
    assert [e.type for e in events] == [b"MODIFIED", b"DELETED"] and [e.rv for e in events] == [13, 14]


def test_replace_moves_the_label_index_with_the_labels() -> None:
    store = Store(history=100)
    store.create(NAMESPACES, {"metadata": {"name": "n"}})
    store.create(PODS, {"metadata": {"name": "p", "namespace": "n", "labels": {"benchkit.io/run-id": "old"}}})
    store.replace(PODS, {"metadata": {"name": "p", "namespace": "n", "labels": {"benchkit.io/run-id": "new"}}})
    coll = store.coll(PODS)
    assert coll.candidates("benchkit.io/run-id", "old") == set()
    assert coll.candidates("benchkit.io/run-id", "new") == {"n/p"}
    old_version = coll.versions_at(2)["n/p"]
    assert old_version is not None and old_version.labels == {"benchkit.io/run-id": "old"}  # what lists at rv 2 see


@pytest.mark.parametrize(
    ("selector", "labels", "expected"),
    [
        ("a=b", {"a": "b"}, True),
        ("a!=b", {}, True),
        ("a in (b, c),x", {"a": "c", "x": ""}, True),
        ("a notin (b,c)", {"a": "c"}, False),
        ("!a", {"a": "1"}, False),
        ("a>3", {"a": "4"}, True),
        ("example.com/a=b,c", {"example.com/a": "b"}, False),
    ],
)
def test_label_selector_semantics(selector: str, labels: dict[str, str], expected: bool) -> None:
    assert parse_labels(selector).matches(labels) is expected


@pytest.mark.parametrize("bad", ["a in (b", "=b", "a=b=c=", "a b", "a in (b c)"])
def test_bad_label_selectors_are_400(bad: str) -> None:
    with pytest.raises(ApiFailure) as exc:
        parse_labels(bad)
    assert exc.value.code == 400


def test_collection_size_follows_every_write() -> None:
    store = Store(history=100)
    for ns in ("n", "m"):
        store.create(NAMESPACES, {"metadata": {"name": ns}})
    for i in range(4):
        store.create(PODS, {"metadata": {"name": f"p{i}", "namespace": "n" if i % 2 else "m"}, "spec": {}})
    store.update(PODS, "n", "p1", {"phase": "Running", "podIP": "10.0.0.1"}, "node-a")  # rebuilt (spec changes)
    store.update(PODS, "m", "p0", {"phase": "Running"})  # spliced
    store.replace(PODS, {"metadata": {"name": "p2", "namespace": "m", "labels": {"x": "y" * 50}}, "spec": {}})
    store.delete(PODS, "n", "p3")
    coll = store.coll(PODS)
    expected: dict[str, int] = {}
    for rec in coll.objects.values():
        expected[rec.ns] = expected.get(rec.ns, 0) + len(rec.raw)
    assert {ns: n for ns, n in coll.size.items() if n} == expected

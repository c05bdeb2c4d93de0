"""The API's read semantics without a server: `reads.parse` on a route and a query, `Reader` on a `Store`.

Upstream, for the list checks asserted here: kubernetes/kubernetes `staging/src/k8s.io/apiserver/pkg/storage/etcd3/
store.go` `GetList` (the stored copy read: commit 00319881a809400fd88feac10e724a9e4afae4d9): a continue token
with a resourceVersion other than "" or "0" is a 400 BadRequest "specifying resource version is not allowed when
using continue"; a token that does not decode is a 400 BadRequest; `remainingItemCount` is set only without a
selector. List options that parse but do not go together are a 422 Invalid `ListOptions.meta.k8s.io ""` with
one cause per reason: kubernetes/apimachinery v0.31.0 `pkg/apis/meta/internalversion/validation/validation.go`
(ValidateListOptions, validateWatchOptions; unchanged at v0.33.0), `pkg/api/errors/errors.go` NewInvalid and
`pkg/util/validation/field/errors.go` (the messages), as kubernetes/apiserver v0.31.0
`pkg/endpoints/handlers/get.go` answers them.
A watch from a compacted version is 200 and one ERROR event holding a 410 Expired Status, as
kube-apiserver's watch cache answers it (tests/twin/test_watch.py drives the same through the real client).
"""

from __future__ import annotations

import asyncio
import random
from typing import Any

import orjson
import pytest

from benchkit.twin import listing, reads, watch
from benchkit.twin.reads import ListPieces, Reader, ReadRequest
from benchkit.twin.resources import CONFIGMAPS, NAMESPACES, PODS, ResourceType
from benchkit.twin.routes import Reply, Route
from benchkit.twin.status import ApiFailure
from benchkit.twin.store import Store

NS = "ns"


def _route(resource: ResourceType = CONFIGMAPS, name: str | None = None, ns: str | None = NS) -> Route:
    return Route(resource, ns if resource.namespaced else None, name, "")


def _store(*names: str, history: int = 1000) -> Store:
    store = Store(history)
    store.create(NAMESPACES, {"metadata": {"name": NS}})
    for name in names:
        store.create(CONFIGMAPS, {"metadata": {"name": name, "namespace": NS, "labels": {"tier": name[0]}}})
    return store


def _failure(call: Any, *args: Any) -> ApiFailure:
    with pytest.raises(ApiFailure) as caught:
        result = call(*args)
        if asyncio.iscoroutine(result):
            asyncio.run(result)
    return caught.value


def _list(reader: Reader, accept: str = "", **query: str) -> dict[str, Any]:
    reply = asyncio.run(reader.list(reads.parse("LIST", _route(), query, accept)))
    assert isinstance(reply, Reply) and reply.status == 200
    out: dict[str, Any] = orjson.loads(reply.body)
    return out


def _names(body: dict[str, Any]) -> list[str]:
    return [item["metadata"]["name"] for item in body["items"]]


# ---- parse: query parameters into a ReadRequest ----------------------------------------------------------------


def test_parse_reads_every_list_parameter() -> None:
    query = {"labelSelector": "tier in (a,b),!gone", "fieldSelector": "metadata.name=x", "limit": "2",
             "resourceVersion": "7", "resourceVersionMatch": "Exact"}  # fmt: skip
    req = reads.parse("LIST", _route(), query)
    assert (req.verb, req.limit, req.resource_version, req.exact, req.cont) == ("LIST", 2, 7, True, None)
    assert req.labels.matches({"tier": "a"}) and not req.labels.matches({"tier": "c"})
    assert not req.labels.matches({"tier": "a", "gone": "1"})
    assert req.fields.equality("metadata.name") == "x"
    assert not req.table and req.include_object == "Metadata"
    plain = reads.parse("LIST", _route(), {})
    assert plain == ReadRequest("LIST", _route()) and plain.labels.empty and plain.fields.empty
    assert reads.parse("LIST", _route(), {"resourceVersion": "7"}).exact is False  # NotOlderThan by default


def test_parse_reads_every_watch_parameter() -> None:
    req = reads.parse("WATCH", _route(), {"resourceVersion": "12", "allowWatchBookmarks": "true",
                                          "sendInitialEvents": "1", "resourceVersionMatch": "NotOlderThan",
                                          "timeoutSeconds": "30"})  # fmt: skip
    assert (req.verb, req.resource_version, req.bookmarks, req.initial, req.timeout) == ("WATCH", 12, True, True, 30.0)
    quiet = reads.parse("WATCH", _route(), {"allowWatchBookmarks": "false", "resourceVersion": ""})
    assert (quiet.resource_version, quiet.bookmarks, quiet.initial, quiet.timeout) == (None, False, False, None)


def test_accept_as_table_and_include_object() -> None:
    accept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"
    for verb in ("GET", "LIST", "WATCH"):
        req = reads.parse(verb, _route(name="a" if verb == "GET" else None), {"includeObject": "Object"}, accept)
        assert req.table and req.include_object == "Object"
        assert not reads.parse(verb, _route(name="a" if verb == "GET" else None), {}, "application/json").table


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"labelSelector": "tier in (a"}, "unable to parse requirement"),
        ({"labelSelector": "-bad-=x"}, "invalid label key '-bad-'"),
        ({"fieldSelector": "spec.nodeName=n1"}, "field label not supported: spec.nodeName"),
        ({"limit": "ten"}, "limit: invalid value 'ten': must be an integer"),
        ({"limit": "-1"}, "limit: invalid value '-1': must be >= 0"),
        ({"resourceVersion": "x"}, "resourceVersion: invalid value 'x': must be an integer"),
        ({"continue": "not-a-token"}, "continue key is not valid"),
        ({"continue": listing.encode_continue(3, "ns/a"), "resourceVersion": "5"},
         "specifying resource version is not allowed when using continue"),
    ],
)  # fmt: skip
def test_a_bad_list_parameter_is_a_400_bad_request(query: dict[str, str], message: str) -> None:
    failure = _failure(reads.parse, "LIST", _route(), query)
    assert (failure.code, failure.reason) == (400, "BadRequest")
    assert message in failure.message
    body = orjson.loads(failure.to_bytes())
    assert body["kind"] == "Status" and body["status"] == "Failure" and body["code"] == 400


FORBIDDEN_NO_RV = "Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided"
FORBIDDEN_CONTINUE = "Forbidden: resourceVersionMatch is forbidden when continue is provided"
WATCH_NEEDS_INITIAL = "Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided"


@pytest.mark.parametrize(
    ("verb", "query", "causes"),
    [
        ("LIST", {"resourceVersionMatch": "Exact"}, [("resourceVersionMatch", FORBIDDEN_NO_RV)]),
        ("LIST", {"resourceVersionMatch": "Latest", "resourceVersion": "5"},
         [("resourceVersionMatch", 'Unsupported value: "Latest": supported values: "Exact", "NotOlderThan", ""')]),
        ("LIST", {"resourceVersionMatch": "NotOlderThan", "continue": listing.encode_continue(3, "ns/a")},
         [("resourceVersionMatch", FORBIDDEN_NO_RV), ("resourceVersionMatch", FORBIDDEN_CONTINUE)]),
        ("LIST", {"resourceVersionMatch": "Exact", "resourceVersion": "0"},
         [("resourceVersionMatch", 'Forbidden: resourceVersionMatch "exact" is forbidden for resourceVersion "0"')]),
        ("LIST", {"sendInitialEvents": "false"},
         [("sendInitialEvents", "Forbidden: sendInitialEvents is forbidden for list")]),
        ("WATCH", {"sendInitialEvents": "true"}, [("resourceVersionMatch",
         "Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan")]),
        ("WATCH", {"resourceVersionMatch": "Exact", "resourceVersion": "5"},
         [("resourceVersionMatch", WATCH_NEEDS_INITIAL),
          ("resourceVersionMatch", 'Unsupported value: "Exact": supported values: "NotOlderThan"')]),
    ],
)  # fmt: skip
def test_list_options_that_do_not_go_together_are_a_422_invalid_list_options(
    verb: str, query: dict[str, str], causes: list[tuple[str, str]]
) -> None:
    failure = _failure(reads.parse, verb, _route(), query)
    body = orjson.loads(failure.to_bytes())
    assert (body["code"], body["reason"], body["status"]) == (422, "Invalid", "Failure")
    details = body["details"]
    assert (details["kind"], details["group"], details["name"]) == ("ListOptions", "meta.k8s.io", "")
    assert [(c["field"], c["message"]) for c in details["causes"]] == causes
    assert {c["reason"] for c in details["causes"]} <= {"FieldValueForbidden", "FieldValueNotSupported"}
    listed = [f"{field}: {message}" for field, message in causes]
    expected = listed[0] if len(listed) == 1 else "[" + ", ".join(listed) + "]"
    assert body["message"] == f'ListOptions.meta.k8s.io "" is invalid: {expected}'


def test_options_that_go_together_are_served() -> None:
    """A continue with resourceVersion "0" (etcd3 store.go resolveGetListRev at apiserver v0.31.0 lets "0" pass);
    a watch list's sendInitialEvents with resourceVersionMatch=NotOlderThan."""
    token = listing.encode_continue(3, "ns/a")
    assert reads.parse("LIST", _route(), {"continue": token, "resourceVersion": "0"}).cont == listing.parse_continue(
        token
    )
    watch_list = reads.parse("WATCH", _route(), {"sendInitialEvents": "true", "resourceVersionMatch": "NotOlderThan"})
    assert watch_list.initial
    bad = _failure(reads.parse, "WATCH", _route(), {"timeoutSeconds": "soon"})  # a parameter that does not parse
    assert (bad.code, bad.reason) == (400, "BadRequest") and "timeoutSeconds" in bad.message


def test_a_watch_checks_its_selectors_and_version_too() -> None:
    assert _failure(reads.parse, "WATCH", _route(), {"labelSelector": "a b"}).code == 400
    assert _failure(reads.parse, "WATCH", _route(), {"fieldSelector": "status.phase=Running"}).code == 400
    assert _failure(reads.parse, "WATCH", _route(), {"resourceVersion": "-3"}).code == 400
    # Pods support status.phase: the same selector is fine there.
    pods = reads.parse("WATCH", Route(PODS, NS, None, ""), {"fieldSelector": "status.phase=Running"})
    assert pods.fields.equality("status.phase") == "Running"


def test_a_get_ignores_list_parameters() -> None:
    req = reads.parse("GET", _route(name="a"), {"labelSelector": "a b", "limit": "x"})
    assert req.labels.empty and req.limit == 0


# ---- Reader: served from the store -----------------------------------------------------------------------------


def test_get_answers_the_stored_object_or_404() -> None:
    store = _store("a")
    reader = Reader(store, 1.0, 0)
    reply = reader.get(reads.parse("GET", _route(name="a"), {}))
    assert reply.status == 200 and reply.body == store.get(CONFIGMAPS, NS, "a").raw  # type: ignore[union-attr]
    table = orjson.loads(reader.get(reads.parse("GET", _route(name="a"), {}, "application/json;as=Table")).body)
    assert table["kind"] == "Table" and [r["cells"][0] for r in table["rows"]] == ["a"]
    missing = _failure(reader.get, reads.parse("GET", _route(name="b"), {}))
    assert (missing.code, missing.reason, missing.message) == (404, "NotFound", 'configmaps "b" not found')
    no_ns = _failure(reader.get, reads.parse("GET", _route(name="a", ns="other"), {}))
    assert no_ns.message == 'namespaces "other" not found'


def test_limit_and_continue_page_through_a_list() -> None:
    reader = Reader(_store("a1", "b1", "c1", "d1", "e1"), 1.0, 0)
    first = _list(reader, limit="2")
    assert _names(first) == ["a1", "b1"] and first["metadata"]["remainingItemCount"] == 3
    second = _list(reader, limit="2", **{"continue": first["metadata"]["continue"]})
    assert _names(second) == ["c1", "d1"]
    assert second["metadata"]["resourceVersion"] == first["metadata"]["resourceVersion"]
    last = _list(reader, limit="2", **{"continue": second["metadata"]["continue"]})
    assert _names(last) == ["e1"] and "continue" not in last["metadata"]
    selected = _list(reader, limit="1", labelSelector="tier in (a,b)")
    assert _names(selected) == ["a1"] and "remainingItemCount" not in selected["metadata"]  # not known with a selector


def test_a_continue_page_stays_at_the_first_pages_version() -> None:
    store = _store("a1", "b1", "c1")
    reader = Reader(store, 1.0, 0)
    first = _list(reader, limit="1")
    store.delete(CONFIGMAPS, NS, "b1")
    store.create(CONFIGMAPS, {"metadata": {"name": "bb", "namespace": NS}})
    rest = _list(reader, **{"continue": first["metadata"]["continue"]})
    assert _names(rest) == ["b1", "c1"]  # as it was: b1 not yet deleted, bb not yet created
    assert _names(_list(reader)) == ["a1", "bb", "c1"]


def test_continue_and_exact_past_the_history_are_410() -> None:
    store = _store("a1", "b1")
    reader = Reader(store, 1.0, 0)
    token = _list(reader, limit="1")["metadata"]["continue"]
    old = store.rv
    store.create(CONFIGMAPS, {"metadata": {"name": "c1", "namespace": NS}})
    exact = _list(reader, resourceVersion=str(old), resourceVersionMatch="Exact")
    assert _names(exact) == ["a1", "b1"] and exact["metadata"]["resourceVersion"] == str(old)
    store.compact()
    expired = _failure(reader.list, reads.parse("LIST", _route(), {"continue": token}))
    assert (expired.code, expired.reason, expired.message) == (410, "Expired", listing.CONTINUE_EXPIRED)
    too_old = _failure(reader.list, reads.parse("LIST", _route(), {"resourceVersion": str(old),
                                                                    "resourceVersionMatch": "Exact"}))  # fmt: skip
    assert (too_old.code, too_old.reason) == (410, "Expired")
    assert too_old.message == f"too old resource version: {old} ({store.rv + 1})"
    # Not older than: the current list, whatever the history holds.
    assert _names(_list(reader, resourceVersion=str(old))) == ["a1", "b1", "c1"]


def test_a_version_ahead_of_the_store_is_waited_for_then_504(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reads, "TOO_LARGE_WAIT_S", 0.05)
    store = _store("a1")
    reader = Reader(store, 1.0, 0)
    ahead = store.rv + 5
    failure = _failure(reader.list, reads.parse("LIST", _route(), {"resourceVersion": str(ahead)}))
    assert (failure.code, failure.reason) == (504, "Timeout")
    assert failure.message == f"Too large resource version: {ahead}, current: {store.rv}"

    async def caught_up_meanwhile() -> list[str]:
        async def write_later() -> None:
            await asyncio.sleep(0.01)
            store.create(CONFIGMAPS, {"metadata": {"name": "b1", "namespace": NS}})

        monkeypatch.setattr(reads, "TOO_LARGE_WAIT_S", 2.0)
        writer = asyncio.create_task(write_later())
        reply = await reader.list(reads.parse("LIST", _route(), {"resourceVersion": str(store.rv + 1)}))
        await writer
        assert isinstance(reply, Reply)
        return _names(orjson.loads(reply.body))

    assert asyncio.run(caught_up_meanwhile()) == ["a1", "b1"]


def test_a_list_of_a_missing_namespace_is_empty_and_a_big_one_comes_in_pieces(monkeypatch: pytest.MonkeyPatch) -> None:
    reader = Reader(_store("a1", "b1", "c1"), 1.0, 0)
    reply = asyncio.run(reader.list(reads.parse("LIST", _route(ns="nowhere"), {})))
    assert isinstance(reply, Reply) and orjson.loads(reply.body)["items"] == []
    monkeypatch.setattr(reads, "STREAM_LISTS_OVER", 3 * 2048)
    pieces = asyncio.run(reader.list(reads.parse("LIST", _route(), {})))
    assert isinstance(pieces, ListPieces) and len(pieces.raws) == 3
    whole = orjson.loads(pieces.head + b",".join(pieces.raws) + b"]}")
    assert whole["kind"] == "ConfigMapList" and _names(whole) == ["a1", "b1", "c1"]


def _lines(opened: reads.OpenWatch) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in opened.watcher.take().splitlines() if line]


def test_a_watch_starts_with_the_objects_or_the_events_since_its_version() -> None:
    store = _store("a1")
    reader = Reader(store, 1.0, 0)
    since = store.rv
    store.create(CONFIGMAPS, {"metadata": {"name": "b1", "namespace": NS}})
    store.delete(CONFIGMAPS, NS, "a1")
    opened = asyncio.run(reader.watch(reads.parse("WATCH", _route(), {"resourceVersion": str(since)})))
    seen = [(e["type"], e["object"]["metadata"]["name"]) for e in _lines(opened)]
    assert seen == [("ADDED", "b1"), ("DELETED", "a1")]
    assert opened.watcher in store.coll(CONFIGMAPS).watchers and opened.bookmark_every is None
    opened.close()
    assert opened.watcher not in store.coll(CONFIGMAPS).watchers
    initial = asyncio.run(reader.watch(reads.parse("WATCH", _route(), {"sendInitialEvents": "true",
                                                                       "resourceVersionMatch": "NotOlderThan",
                                                                       "allowWatchBookmarks": "true",
                                                                       "timeoutSeconds": "9"})))  # fmt: skip
    events = _lines(initial)
    assert [e["type"] for e in events] == ["ADDED", "BOOKMARK"] and events[0]["object"]["metadata"]["name"] == "b1"
    assert events[1]["object"]["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}
    assert (initial.timeout, initial.bookmark_every) == (9.0, 1.0)
    initial.close()


def test_a_watch_from_a_compacted_version_is_one_error_event_with_410() -> None:
    store = _store("a1")
    reader = Reader(store, 1.0, 0)
    old = store.rv
    store.create(CONFIGMAPS, {"metadata": {"name": "b1", "namespace": NS}})
    store.compact()
    opened = asyncio.run(reader.watch(reads.parse("WATCH", _route(), {"resourceVersion": str(old)})))
    (event,) = _lines(opened)
    assert event["type"] == "ERROR"
    assert (event["object"]["code"], event["object"]["reason"]) == (410, "Expired")
    assert event["object"]["message"] == f"too old resource version: {old} ({store.rv + 1})"
    assert opened.watcher.ending == "graceful" and opened.timeout == 0.0
    assert opened.watcher not in store.coll(CONFIGMAPS).watchers


def test_a_watch_ahead_of_the_store_sends_only_what_comes_after() -> None:
    store = _store("a1")
    reader = Reader(store, 1.0, 0)
    ahead = store.rv + 2
    opened = asyncio.run(reader.watch(reads.parse("WATCH", _route(), {"resourceVersion": str(ahead)})))
    assert opened.watcher.after == ahead and _lines(opened) == []
    for name in ("b1", "c1", "d1"):
        store.create(CONFIGMAPS, {"metadata": {"name": name, "namespace": NS}})
    assert [e["object"]["metadata"]["name"] for e in _lines(opened)] == ["d1"]  # rv ahead+1 only
    opened.close()


def test_a_watch_timeout_is_the_one_asked_or_the_randomised_default() -> None:
    assert watch.timeout_for(-5.0, random.Random(0)) == 0.0
    assert watch.timeout_for(0.0, random.Random(0)) == 0.0
    low, high = watch.DEFAULT_TIMEOUT
    drawn = {watch.timeout_for(None, random.Random(seed)) for seed in range(5)}
    assert all(low <= t <= high for t in drawn) and len(drawn) == 5

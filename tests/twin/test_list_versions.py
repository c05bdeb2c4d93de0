"""Lists at a resourceVersion, through the kubernetes client: continue pages and `Exact` lists are snapshots
at their version (as etcd serves them), too old ones get 410, versions ahead of the store are waited for."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from kubernetes import client

from benchkit.twin.process import TwinProcess

from .conftest import make_twin
from .helpers import GROUP, PLURAL, VERSION, Clients, app, state, wait_until


@pytest.fixture(scope="module")
def own() -> Iterator[Clients]:
    """A twin of its own: a small watch history, and no other test's writes in the way."""
    with make_twin(nodes=4, watch_history=100) as twin:
        yield Clients(twin)


def _events(k8s: Clients, ns: str, since: str, selector: str | None) -> list[dict[str, Any]]:
    """Every event after `since` (the watch replays the history), as the objects the store held."""
    resp = k8s.custom.list_namespaced_custom_object(GROUP, VERSION, ns, PLURAL, watch=True, resource_version=since,
                                                    label_selector=selector or "", timeout_seconds=1,
                                                    _preload_content=False)  # fmt: skip
    return [json.loads(line) for line in resp.read().decode().splitlines() if line]


def _at(events: list[dict[str, Any]], rv: int) -> list[dict[str, Any]]:
    """The objects as they were at `rv`, in key order, replayed from the events."""
    objects: dict[str, dict[str, Any]] = {}
    for ev in events:
        obj = ev["object"]
        if int(obj["metadata"]["resourceVersion"]) > rv:
            break
        if ev["type"] == "DELETED":
            objects.pop(obj["metadata"]["name"], None)
        else:
            objects[obj["metadata"]["name"]] = obj
    return [objects[name] for name in sorted(objects)]


@pytest.mark.parametrize("scope", ["label index", "namespace range"])
def test_continue_pages_show_the_first_pages_version(own: Clients, scope: str) -> None:
    run = uuid.uuid4().hex[:10]
    ns = f"snap-{run}"
    own.core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=ns)))
    selector = f"benchkit.io/run-id={run}" if scope == "label index" else None
    kwargs = {"label_selector": selector} if selector else {}
    since = own.list_apps(ns)["metadata"]["resourceVersion"]
    for name in ("a", "b", "c"):
        own.create_app(ns, app(name, run, seconds=3))
    wait_until(lambda: all(state(own.get_app(ns, n)) == "RUNNING" for n in "abc"), timeout=30, what="RUNNING")
    first = own.list_apps(ns, limit=1, **kwargs)
    rv = int(first["metadata"]["resourceVersion"])
    # After the first page: one app created (sorting after every other), one deleted, the others completing.
    own.create_app(ns, app("zz", run, seconds=3))
    own.delete_app(ns, "c")
    wait_until(lambda: all(state(own.get_app(ns, n)) == "COMPLETED" for n in "ab"), timeout=30, what="COMPLETED")

    pages, token = [first], first["metadata"]["continue"]
    while token:
        page = own.list_apps(ns, limit=1, _continue=token, **kwargs)
        assert page["metadata"]["resourceVersion"] == str(rv)
        pages.append(page)
        token = page["metadata"].get("continue")
    items = [i for p in pages for i in p["items"]]

    assert [i["metadata"]["name"] for i in items] == ["a", "b", "c"]  # zz is newer than the list, c was there
    assert all(int(i["metadata"]["resourceVersion"]) <= rv for i in items)
    assert [state(i) for i in items] == ["RUNNING"] * 3  # the versions of then, not the COMPLETED of now
    assert items == _at(_events(own, ns, since, selector), rv)  # exactly what the store held at rv
    if selector is None:
        assert [p["metadata"].get("remainingItemCount") for p in pages] == [2, 1, None]  # c counted at rv
    exact = own.list_apps(ns, resource_version=str(rv), resource_version_match="Exact", **kwargs)
    assert exact["metadata"]["resourceVersion"] == str(rv) and exact["items"] == items


def test_a_continue_the_history_no_longer_reaches_gets_410(own: Clients) -> None:
    run = uuid.uuid4().hex[:10]
    selector = f"benchkit.io/run-id={run}"
    for i in range(2):
        own.create_app("default", app(f"old-{i}", run, seconds=3600))
    first = own.list_apps("default", label_selector=selector, limit=1)
    for i in range(101):  # more app writes than the watch history (100) holds
        own.create_app("default", app(f"churn-{run}-{i}", run, seconds=3600))
    with pytest.raises(client.ApiException) as exc:
        own.list_apps("default", label_selector=selector, limit=1, _continue=first["metadata"]["continue"])
    assert exc.value.status == 410 and json.loads(exc.value.body)["reason"] == "Expired"
    with pytest.raises(client.ApiException) as exc:
        own.list_apps("default", resource_version=first["metadata"]["resourceVersion"],
                      resource_version_match="Exact")  # fmt: skip
    assert exc.value.status == 410


def test_a_version_ahead_of_the_store(own: Clients) -> None:
    twin: TwinProcess = own.twin
    ahead = int(own.list_apps("default")["metadata"]["resourceVersion"]) + 1_000_000
    started = time.monotonic()
    with pytest.raises(client.ApiException) as exc:
        own.list_apps("default", resource_version=str(ahead))
    waited = time.monotonic() - started
    body = json.loads(exc.value.body)
    assert exc.value.status == 504 and body["reason"] == "Timeout" and waited >= 2.9
    assert body["details"]["causes"][0]["reason"] == "ResourceVersionTooLarge"
    assert body["message"].startswith(f"Too large resource version: {ahead}, current: ")
    # A watch from it is accepted and sends nothing at or below it (kube-apiserver's cacher).
    run = uuid.uuid4().hex[:10]
    rv = int(own.list_apps("default")["metadata"]["resourceVersion"])
    resp = own.custom.list_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, watch=True,
                                                    resource_version=str(rv + 1000), timeout_seconds=2,
                                                    _preload_content=False)  # fmt: skip
    own.create_app("default", app(f"ahead-{run}", run, seconds=3600))
    assert resp.status == 200 and resp.read() == b""
    # With sendInitialEvents it waits like a list, then ends with an ERROR event holding the 504.
    status, body = twin.request("GET", f"/apis/{GROUP}/{VERSION}/namespaces/default/{PLURAL}?watch=1&"
                                       f"sendInitialEvents=true&resourceVersion={ahead}&"
                                       "resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true")  # fmt: skip
    event = json.loads(body.splitlines()[0]) if isinstance(body, str) else body
    assert status == 200 and event["type"] == "ERROR" and event["object"]["code"] == 504

"""Watches through `kubernetes.watch.Watch().stream`, unchanged: resume from a resourceVersion, 410, bookmarks."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest
from kubernetes import client, watch

from benchkit.twin.process import TwinProcess

from .helpers import GROUP, PLURAL, VERSION, Clients, app, state, wait_until


def _collect(func: Any, *args: Any, stop_when: Any = None, **kwargs: Any) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    w = watch.Watch()
    for ev in w.stream(func, *args, **kwargs):
        events.append(ev)
        if stop_when is not None and stop_when(events):
            w.stop()
    return events


def test_watch_from_a_listed_version_sees_every_transition(k8s: Clients) -> None:
    run = uuid.uuid4().hex[:10]
    selector = f"benchkit.io/run-id={run}"
    rv = k8s.list_apps(None, label_selector=selector)["metadata"]["resourceVersion"]
    k8s.create_app("spark-team-a", app("w-1", run, seconds=0.3))
    events = _collect(k8s.custom.list_cluster_custom_object, GROUP, VERSION, PLURAL, label_selector=selector,
                      resource_version=rv, timeout_seconds=20,
                      stop_when=lambda evs: state(evs[-1]["object"]) == "COMPLETED")  # fmt: skip
    assert events[0]["type"] == "ADDED" and events[0]["object"]["metadata"]["name"] == "w-1"
    states = [state(e["object"]) for e in events]
    assert states[0] == "" and states[-1] == "COMPLETED" and "RUNNING" in states
    rvs = [int(e["object"]["metadata"]["resourceVersion"]) for e in events]
    assert rvs == sorted(rvs) and rvs[0] > int(rv)


def test_watch_without_version_starts_with_the_current_state(k8s: Clients) -> None:
    run = uuid.uuid4().hex[:10]
    for i in range(3):
        k8s.create_app("spark-team-b", app(f"ws-{i}", run, seconds=30))
    events = _collect(k8s.custom.list_namespaced_custom_object, GROUP, VERSION, "spark-team-b", PLURAL,
                      label_selector=f"benchkit.io/run-id={run}", timeout_seconds=1)  # fmt: skip
    added = [e["object"]["metadata"]["name"] for e in events if e["type"] == "ADDED"]
    assert added == ["ws-0", "ws-1", "ws-2"]


def test_pod_watch_with_a_label_selector_and_field_selector(k8s: Clients) -> None:
    run = uuid.uuid4().hex[:10]
    selector = f"benchkit.io/run-id={run}"
    rv = k8s.core.list_pod_for_all_namespaces(label_selector=selector).metadata.resource_version
    k8s.create_app("spark-team-c", app("wp-1", run, seconds=0.2))
    k8s.create_app("spark-team-c", app("wp-2", run, seconds=0.2))
    events = _collect(k8s.core.list_pod_for_all_namespaces, label_selector=selector, resource_version=rv,
                      field_selector="metadata.name=wp-1-driver", timeout_seconds=15,
                      stop_when=lambda evs: evs[-1]["object"].status.phase == "Succeeded")  # fmt: skip
    assert {e["object"].metadata.name for e in events} == {"wp-1-driver"}
    assert events[0]["type"] == "ADDED" and events[-1]["object"].status.phase == "Succeeded"


def test_bookmarks_carry_the_latest_version(k8s: Clients, twin: TwinProcess) -> None:
    rv = k8s.list_apps(None)["metadata"]["resourceVersion"]
    resp = k8s.custom.list_cluster_custom_object(GROUP, VERSION, PLURAL, watch=True, allow_watch_bookmarks=True,
                                                 resource_version=rv, label_selector="nothing=matches",
                                                 timeout_seconds=3, _preload_content=False)  # fmt: skip
    lines = [line for line in resp.read().decode().splitlines() if line]
    bookmarks = [json_line for json_line in map(__import__("json").loads, lines) if json_line["type"] == "BOOKMARK"]
    assert bookmarks, "twin fixture sends a bookmark every second"
    assert bookmarks[0]["object"]["kind"] == "SparkApplication"
    assert int(bookmarks[-1]["object"]["metadata"]["resourceVersion"]) >= int(rv)


def test_too_old_version_gets_410_after_compaction(k8s: Clients, twin: TwinProcess) -> None:
    run = uuid.uuid4().hex[:10]
    rv = k8s.list_apps(None)["metadata"]["resourceVersion"]
    k8s.create_app("default", app("old-1", run))
    twin.admin("POST", "faults", {"compact": True})
    # Raw stream: HTTP 200, then one ERROR event holding a 410 Expired Status (as kube-apiserver's watch cache).
    resp = k8s.custom.list_cluster_custom_object(GROUP, VERSION, PLURAL, watch=True, resource_version=rv,
                                                 _preload_content=False)  # fmt: skip
    assert resp.status == 200
    event = __import__("json").loads(resp.read().decode().splitlines()[0])
    assert event["type"] == "ERROR" and event["object"]["code"] == 410 and event["object"]["reason"] == "Expired"
    # The client: Watch.stream retries once from the same version, then raises ApiException(410).
    with pytest.raises(client.ApiException) as exc:
        _collect(k8s.custom.list_cluster_custom_object, GROUP, VERSION, PLURAL, resource_version=rv)
    assert exc.value.status == 410
    # A continue token from before the compaction is too old as well.
    with pytest.raises(client.ApiException) as exc:
        token = (
            __import__("base64")
            .urlsafe_b64encode(f'{{"v":"meta.k8s.io/v1","rv":{rv},"start":"a\\u0000"}}'.encode())
            .decode()
        )
        k8s.list_apps(None, limit=1, _continue=token)
    assert exc.value.status == 410


def test_watch_stream_resumes_from_its_last_version_when_the_server_ends_it(k8s: Clients, twin: TwinProcess) -> None:
    run = uuid.uuid4().hex[:10]
    selector = f"benchkit.io/run-id={run}"
    rv = k8s.list_apps(None, label_selector=selector)["metadata"]["resourceVersion"]
    w = watch.Watch()
    seen: list[tuple[str, str, int]] = []

    def run_watch() -> None:
        # No timeout_seconds: Watch.stream reconnects from its last version whenever the server ends a stream.
        for ev in w.stream(k8s.custom.list_cluster_custom_object, GROUP, VERSION, PLURAL, label_selector=selector,
                           resource_version=rv):  # fmt: skip
            meta = ev["object"]["metadata"]
            seen.append((ev["type"], meta["name"], int(meta["resourceVersion"])))
            if ev["type"] == "ADDED" and meta["name"] == "resume-2":
                w.stop()

    thread = threading.Thread(target=run_watch, daemon=True)
    thread.start()
    k8s.create_app("default", app("resume-1", run, seconds=30))
    wait_until(lambda: seen, what="the first event")
    cut = twin.admin("POST", "faults", {"cut_watches": True, "graceful": True})
    assert cut["watchesCut"] >= 1
    k8s.create_app("default", app("resume-2", run, seconds=30))
    thread.join(15)
    assert not thread.is_alive()
    assert [(t, n) for t, n, _ in seen if t == "ADDED"] == [("ADDED", "resume-1"), ("ADDED", "resume-2")]
    rvs = [v for _, _, v in seen]
    assert rvs == sorted(set(rvs)), "no event twice, none out of order across the reconnect"

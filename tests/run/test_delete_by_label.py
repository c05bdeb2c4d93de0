"""The one delete-by-label (benchkit.kube.cleanup) against the twin over HTTPS: deletecollection by the run's
label, the per-object fallback when the collection DELETE is not served (404/405, via a forwarding proxy),
pods left behind, a missing CRD, and the verify timeout."""

from __future__ import annotations

import time
from typing import Any

import pytest

from benchkit.kube import cleanup, labels
from benchkit.kube.connect import connect
from benchkit.spark import template
from benchkit.twin.process import TwinProcess

from . import scripted_http
from .conftest import NAMESPACES, run_objects

RUN, OTHER = "del-run", "other-run"
APPS = f"/apis/{template.GROUP}/{template.VERSION}"


def _create_apps(twin: TwinProcess, run_id: str, count: int) -> None:
    for seq in range(count):
        ns = template.namespace_for(seq, NAMESPACES)
        body = template.render(template.load(), run_id=run_id, scenario="keep", seq=seq, namespace=ns,
                               app_seconds=600)  # fmt: skip
        status, answer = twin.request("POST", f"{APPS}/namespaces/{ns}/{template.PLURAL}", body)
        assert status == 201, answer


def _wait_for_pods(twin: TwinProcess, run_id: str, count: int) -> None:
    deadline = time.monotonic() + 30
    while len(run_objects(twin, run_id)["pods"]) < count:
        assert time.monotonic() < deadline, "the twin did not start the drivers"
        time.sleep(0.1)


def _is_collection(method: str, path: str) -> bool:
    return method == "DELETE" and path.split("?", maxsplit=1)[0].rsplit("/", 1)[-1] in (template.PLURAL, "pods")


def test_deletecollection_by_label_removes_the_run_and_nothing_else(make_twin: Any) -> None:
    twin = make_twin()
    _create_apps(twin, RUN, 6)
    _create_apps(twin, OTHER, 2)
    _wait_for_pods(twin, RUN, 6)
    before = twin.admin("GET", "stats")["requests"]
    done = cleanup.delete_by_label(connect(twin.kubeconfig).api, labels.run_selector(RUN), NAMESPACES, verify_s=30)
    after = twin.admin("GET", "stats")["requests"]
    assert (done.apps, done.remaining, done.namespaces, done.crd_missing) == (6, 0, NAMESPACES, False)
    assert done.describe() == f"deleted 6 in {', '.join(NAMESPACES)}; none remain"
    assert run_objects(twin, RUN) == {"sparkapplications": [], "pods": []}
    assert len(run_objects(twin, OTHER)["sparkapplications"]) == 2
    grew = {k: v - before.get(k, 0) for k, v in after.items() if v != before.get(k, 0)}
    assert grew.get("DELETECOLLECTION sparkapplications") == 3, grew  # one per namespace
    assert "DELETE sparkapplications" not in grew, grew  # no per-object deletes


@pytest.mark.parametrize("refusal", [405, 404])
def test_per_object_fallback_when_the_collection_delete_is_not_served(make_twin: Any, refusal: int) -> None:
    twin = make_twin()
    _create_apps(twin, RUN, 6)
    _create_apps(twin, OTHER, 1)

    def proxy(method: str, path: str, body: Any) -> scripted_http.Answer:
        if _is_collection(method, path):
            return scripted_http.status(refusal, "MethodNotAllowed" if refusal == 405 else "NotFound")
        return scripted_http.forward(twin, method, path, body)

    with scripted_http.serve(proxy) as (api, seen):
        done = cleanup.delete_by_label(api, labels.run_selector(RUN), NAMESPACES, verify_s=30)
    assert (done.apps, done.remaining) == (6, 0)
    collection = [s for s in seen if _is_collection(s.method, s.path)]
    one_by_one = [s for s in seen if s.method == "DELETE" and s not in collection]
    assert len(collection) == 3 and all("labelSelector=benchkit.io%2Frun-id%3Ddel-run" in s.path for s in collection)
    assert len(one_by_one) == 6 and all(s.path.split("/")[-2] == template.PLURAL for s in one_by_one)
    assert run_objects(twin, RUN) == {"sparkapplications": [], "pods": []}
    assert len(run_objects(twin, OTHER)["sparkapplications"]) == 1


def test_pods_left_without_their_apps_are_deleted_by_label(make_twin: Any) -> None:
    twin = make_twin()
    pod = {"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": "orphan-driver", "labels": {labels.RUN_ID: RUN}},
           "spec": {"containers": [{"name": "spark", "image": "spark:3.5.3"}]}}  # fmt: skip
    status, answer = twin.request("POST", f"/api/v1/namespaces/{NAMESPACES[1]}/pods", pod)
    assert status == 201, answer
    done = cleanup.delete_by_label(connect(twin.kubeconfig).api, labels.run_selector(RUN), verify_s=30)
    assert (done.apps, done.pods, done.remaining) == (0, 1, 0)
    assert done.describe() == "deleted 0 in -; none remain; deleted 1 leftover pod(s)"
    assert run_objects(twin, RUN) == {"sparkapplications": [], "pods": []}


def test_a_missing_crd_means_nothing_to_delete(make_twin: Any) -> None:
    twin = make_twin()

    def proxy(method: str, path: str, body: Any) -> scripted_http.Answer:
        if path.startswith(APPS):
            return scripted_http.status(404, "NotFound")
        return scripted_http.forward(twin, method, path, body)

    with scripted_http.serve(proxy) as (api, seen):
        done = cleanup.delete_by_label(api, cleanup.selector(None))
    assert done.crd_missing and done.describe() == "the SparkApplication CRD is not installed: nothing to delete"
    assert [s.method for s in seen] == ["GET"]


def test_verify_gives_up_after_its_timeout_and_says_what_remains(make_twin: Any) -> None:
    twin = make_twin()
    _create_apps(twin, RUN, 3)
    _wait_for_pods(twin, RUN, 3)

    def proxy(method: str, path: str, body: Any) -> scripted_http.Answer:
        if method == "DELETE":  # accepted, never carried out (a stuck finalizer, a dead operator)
            return 200, {}, {"kind": "Status", "apiVersion": "v1", "status": "Success"}
        return scripted_http.forward(twin, method, path, body)

    start = time.monotonic()
    with scripted_http.serve(proxy) as (api, seen):
        done = cleanup.delete_by_label(api, labels.run_selector(RUN), NAMESPACES, verify_s=2.0, poll=0.2)
    elapsed = time.monotonic() - start
    assert 2.0 <= elapsed < 15, elapsed
    assert (done.apps, done.remaining_apps) == (3, 3)
    # at half time the live pods (drivers and executors) were deleted directly, by label, and stayed
    assert 3 <= done.pods <= done.remaining_pods == len(run_objects(twin, RUN)["pods"])
    assert done.describe().endswith(f"; {3 + done.remaining_pods} STILL PRESENT; deleted {done.pods} leftover pod(s)")
    pod_deletes = [s for s in seen if s.method == "DELETE" and "/pods?" in s.path]
    assert len(pod_deletes) == 3  # once per namespace: the sweep is not repeated every poll

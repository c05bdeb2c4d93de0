"""Table rows (`kubectl get`): the columns kube-apiserver prints for the built-in kinds, wide ones included.

kubernetes/kubernetes pkg/printers/internalversion/printers.go (not read at a tag: see benchkit/twin/tables.py):
daemonSetColumnDefinitions ends with the priority-1 Containers, Images and Selector, which printDaemonSet fills
(layoutContainerCells: names and images comma-joined; metav1.FormatLabelSelector) because the apiserver always
generates wide rows. kubernetes/apimachinery v0.32.0: labels.FormatLabels sorts `k=v`; FormatLabelSelector sorts
requirements by key and writes `k in (a,b)`, `k notin (a)`, `k`, `!k`; `<none>` for an empty one. printPod: Restarts
a string, "N (age ago)" after a restart; "Terminating" only for a pod that is not Succeeded or Failed.
"""

from __future__ import annotations

from typing import Any

import pytest

from benchkit.twin import tables
from benchkit.twin.resources import CONFIGMAPS, DAEMONSETS, PODS, SERVICEACCOUNTS

NOW = 1_700_000_000.0


def _ds(**spec: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": "aws-node", "creationTimestamp": "2023-11-14T22:12:20Z"},
        "spec": spec,
        "status": {"desiredNumberScheduled": 3, "currentNumberScheduled": 3, "numberReady": 2,
                   "updatedNumberScheduled": 3, "numberAvailable": 2},
    }  # fmt: skip


def test_daemonset_columns_are_printers_go_with_the_wide_ones() -> None:
    columns = [(c["name"], c["type"], c["priority"]) for c in tables.COLUMNS["daemonsets"]]
    assert columns == [
        ("Name", "string", 0), ("Desired", "integer", 0), ("Current", "integer", 0), ("Ready", "integer", 0),
        ("Up-to-date", "integer", 0), ("Available", "integer", 0), ("Node Selector", "string", 0),
        ("Age", "string", 0), ("Containers", "string", 1), ("Images", "string", 1), ("Selector", "string", 1),
    ]  # fmt: skip


def test_daemonset_cells_fill_every_column_sorted_as_apimachinery_formats_them() -> None:
    ds = _ds(
        selector={"matchLabels": {"k8s-app": "aws-node"},
                  "matchExpressions": [{"key": "tier", "operator": "In", "values": ["b", "a"]},
                                       {"key": "gone", "operator": "DoesNotExist"}]},
        template={"spec": {"nodeSelector": {"zone": "a", "arch": "amd64"},
                           "containers": [{"name": "aws-node", "image": "cni:1"}, {"name": "agent", "image": "np:2"}]}},
    )  # fmt: skip
    cells = tables.cells(DAEMONSETS, ds, NOW)
    assert len(cells) == len(tables.COLUMNS["daemonsets"])
    assert cells[:7] == ["aws-node", 3, 3, 2, 3, 2, "arch=amd64,zone=a"]
    assert cells[8:] == ["aws-node,agent", "cni:1,np:2", "!gone,k8s-app=aws-node,tier in (a,b)"]


def test_an_empty_daemonset_spec_prints_none() -> None:
    cells = tables.cells(DAEMONSETS, _ds(), NOW)
    assert (cells[6], cells[8], cells[9], cells[10]) == ("<none>", "", "", "<none>")


@pytest.mark.parametrize(
    ("selector", "text"),
    [
        (None, "<none>"),
        ({}, "<none>"),
        ({"matchLabels": {"b": "2", "a": "1"}}, "a=1,b=2"),
        ({"matchExpressions": [{"key": "x", "operator": "NotIn", "values": ["z"]}]}, "x notin (z)"),
        ({"matchExpressions": [{"key": "x", "operator": "Exists"}]}, "x"),
        ({"matchExpressions": [{"key": "x", "operator": "Near"}]}, "<error>"),
    ],
)
def test_format_label_selector(selector: dict[str, Any] | None, text: str) -> None:
    assert tables.format_label_selector(selector) == text


def test_format_labels() -> None:
    assert tables.format_labels({}) == "<none>"
    assert tables.format_labels({"zone": "a", "arch": "amd64"}) == "arch=amd64,zone=a"


def test_count_columns_are_typed_string_as_upstream_with_integer_cells() -> None:
    # printers.go configMapColumnDefinitions / serviceAccountColumnDefinitions: Type "string"; the cells are int64
    assert [c["type"] for c in tables.COLUMNS["configmaps"]] == ["string", "string", "string"]
    assert [c["type"] for c in tables.COLUMNS["serviceaccounts"]] == ["string", "string", "string"]
    cm = {"metadata": {"name": "c"}, "data": {"a": "1"}, "binaryData": {"b": "AA=="}}
    assert tables.cells(CONFIGMAPS, cm, NOW)[1] == 2
    assert tables.cells(SERVICEACCOUNTS, {"metadata": {"name": "s"}, "secrets": [{"name": "t"}]}, NOW)[1] == 1


def _pod(phase: str, restarts: int, finished: str | None, deleting: bool = False) -> dict[str, Any]:
    last = {"terminated": {"finishedAt": finished}} if finished else {}
    meta: dict[str, Any] = {"name": "p", "creationTimestamp": "2023-11-14T20:00:00Z"}
    if deleting:
        meta["deletionTimestamp"] = "2023-11-14T22:13:00Z"
    return {"metadata": meta, "spec": {"containers": [{"name": "c"}]},
            "status": {"phase": phase, "containerStatuses": [
                {"ready": phase == "Running", "restartCount": restarts, "state": {}, "lastState": last}]}}  # fmt: skip


def test_pod_restarts_is_a_string_with_the_last_restart_age() -> None:
    # printPod: restartsStr = strconv.Itoa(restarts), "%d (%s ago)" when restarted and a last termination is known
    assert tables.cells(PODS, _pod("Running", 0, None), NOW)[3] == "0"
    assert tables.cells(PODS, _pod("Running", 2, "2023-11-14T22:08:20Z"), NOW)[3] == "2 (5m ago)"
    assert tables.cells(PODS, _pod("Running", 0, "2023-11-14T22:08:20Z"), NOW)[3] == "0"


def test_a_deleted_pod_is_terminating_unless_its_phase_is_terminal() -> None:
    assert tables.cells(PODS, _pod("Running", 0, None, deleting=True), NOW)[2] == "Terminating"
    assert tables.cells(PODS, _pod("Succeeded", 0, None, deleting=True), NOW)[2] == "Succeeded"

"""Table rows (`kubectl get`): the columns kube-apiserver prints for the built-in kinds, wide ones included.

kubernetes/kubernetes pkg/printers/internalversion/printers.go (not read at a tag: see benchkit/twin/tables.py):
daemonSetColumnDefinitions ends with the priority-1 Containers, Images and Selector, which printDaemonSet fills
(layoutContainerCells: names and images comma-joined; metav1.FormatLabelSelector) because the apiserver always
generates wide rows. kubernetes/apimachinery v0.32.0: labels.FormatLabels sorts `k=v`; FormatLabelSelector sorts
requirements by key and writes `k in (a,b)`, `k notin (a)`, `k`, `!k`; `<none>` for an empty one.
"""

from __future__ import annotations

from typing import Any

import pytest

from benchkit.twin import tables
from benchkit.twin.resources import DAEMONSETS

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

"""The PATCH formats, as pure functions: RFC 7386 merge patch, RFC 6902 JSON patch, strategic merge patch."""

from __future__ import annotations

from typing import Any

import pytest

from benchkit.twin.patch import PatchError, json_patch, merge_patch, strategic_merge_patch

# RFC 7386 appendix A: (original, patch, result)
RFC7386 = [
    ({"a": "b"}, {"a": "c"}, {"a": "c"}),
    ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
    ({"a": "b"}, {"a": None}, {}),
    ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
    ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
    ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
    ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
    ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
    (["a", "b"], ["c", "d"], ["c", "d"]),
    ({"a": "b"}, ["c"], ["c"]),
    ({"a": "foo"}, None, None),
    ({"a": "foo"}, "bar", "bar"),
    ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
    ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
    ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
]


@pytest.mark.parametrize(("original", "patch", "result"), RFC7386)
def test_merge_patch_rfc7386_examples(original: Any, patch: Any, result: Any) -> None:
    assert merge_patch(original, patch) == result


def test_merge_patch_does_not_modify_its_input() -> None:
    original = {"a": {"b": 1}}
    merge_patch(original, {"a": {"b": 2}})
    assert original == {"a": {"b": 1}}


DOC = {"foo": "bar", "baz": ["a", "b"], "m": {"x~y": 1, "p/q": 2}}
JSON_PATCHES = [
    [{"op": "add", "path": "/qux", "value": 1}],
    [{"op": "add", "path": "/baz/1", "value": "z"}],
    [{"op": "add", "path": "/baz/-", "value": "c"}],
    [{"op": "remove", "path": "/baz/0"}],
    [{"op": "replace", "path": "/foo", "value": {"n": 1}}],
    [{"op": "move", "from": "/foo", "path": "/m/foo"}],
    [{"op": "copy", "from": "/baz", "path": "/copy"}],
    [{"op": "test", "path": "/foo", "value": "bar"}, {"op": "remove", "path": "/foo"}],
    [{"op": "remove", "path": "/m/x~0y"}, {"op": "replace", "path": "/m/p~1q", "value": 3}],
    [{"op": "replace", "path": "", "value": [1]}],
]


@pytest.mark.parametrize("ops", JSON_PATCHES)
def test_json_patch_agrees_with_the_jsonpatch_library(ops: list[dict[str, Any]]) -> None:
    jsonpatch = pytest.importorskip("jsonpatch")  # python-json-patch, an RFC 6902 implementation (dev environment)
    assert json_patch(DOC, ops) == jsonpatch.apply_patch(DOC, ops)


@pytest.mark.parametrize(
    "ops",
    [
        [{"op": "test", "path": "/foo", "value": "other"}],
        [{"op": "remove", "path": "/nope"}],
        [{"op": "replace", "path": "/baz/5", "value": 1}],
        [{"op": "add", "path": "/a/b", "value": 1}],
        [{"op": "move", "from": "/m", "path": "/m/inner"}],
        [{"op": "frobnicate", "path": "/foo"}],
        [{"op": "add", "path": "/x"}],
        [{"op": "add", "path": "foo", "value": 1}],
        {"op": "add"},
    ],
)
def test_json_patch_errors(ops: Any) -> None:
    with pytest.raises(PatchError):
        json_patch(DOC, ops)


def test_json_patch_is_all_or_nothing() -> None:
    doc = {"a": 1}
    with pytest.raises(PatchError):
        json_patch(doc, [{"op": "add", "path": "/b", "value": 2}, {"op": "test", "path": "/a", "value": 0}])
    assert doc == {"a": 1}


POD = {
    "metadata": {"name": "p", "labels": {"a": "1", "b": "2"}, "finalizers": ["f1"]},
    "spec": {
        "containers": [
            {"name": "main", "image": "i:1", "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]},
            {"name": "side", "image": "s:1"},
        ],
        "tolerations": [{"key": "t1"}, {"key": "t2"}],
    },
}


def test_strategic_merge_of_labels_like_kubectl_label() -> None:
    out = strategic_merge_patch(POD, {"metadata": {"labels": {"a": None, "c": "3"}}}, "Pod")
    assert out["metadata"]["labels"] == {"b": "2", "c": "3"}
    assert POD["metadata"]["labels"] == {"a": "1", "b": "2"}  # the input is left alone


def test_strategic_merge_merges_containers_and_env_by_name() -> None:
    patch = {"spec": {"containers": [{"name": "main", "image": "i:2", "env": [{"name": "B", "value": "3"}]}]}}
    out = strategic_merge_patch(POD, patch, "Pod")
    main, side = out["spec"]["containers"]
    assert main["image"] == "i:2" and main["env"] == [{"name": "A", "value": "1"}, {"name": "B", "value": "3"}]
    assert side == {"name": "side", "image": "s:1"}


def test_lists_without_a_merge_key_are_replaced() -> None:
    out = strategic_merge_patch(POD, {"spec": {"tolerations": [{"key": "t3"}]}}, "Pod")
    assert out["spec"]["tolerations"] == [{"key": "t3"}]


def test_directives() -> None:
    delete_item = {"spec": {"containers": [{"name": "side", "$patch": "delete"}]}}
    assert [c["name"] for c in strategic_merge_patch(POD, delete_item, "Pod")["spec"]["containers"]] == ["main"]
    replace_map = {"metadata": {"labels": {"$patch": "replace", "only": "x"}}}
    assert strategic_merge_patch(POD, replace_map, "Pod")["metadata"]["labels"] == {"only": "x"}
    replace_list = {"spec": {"containers": [{"$patch": "replace"}, {"name": "new", "image": "n"}]}}
    assert strategic_merge_patch(POD, replace_list, "Pod")["spec"]["containers"] == [{"name": "new", "image": "n"}]
    finalizers = {"metadata": {"finalizers": ["f2", "f1"], "$deleteFromPrimitiveList/finalizers": ["f1"]}}
    assert strategic_merge_patch(POD, finalizers, "Pod")["metadata"]["finalizers"] == ["f2", "f1"]
    removed = {"metadata": {"$deleteFromPrimitiveList/finalizers": ["f1"]}}
    assert strategic_merge_patch(POD, removed, "Pod")["metadata"]["finalizers"] == []
    order = {"spec": {"$setElementOrder/containers": [{"name": "side"}, {"name": "main"}],
                      "containers": [{"name": "main", "image": "i:3"}]}}  # fmt: skip
    assert [c["name"] for c in strategic_merge_patch(POD, order, "Pod")["spec"]["containers"]] == ["side", "main"]
    with pytest.raises(PatchError):
        strategic_merge_patch(POD, {"metadata": {"$patch": "explode"}}, "Pod")
    with pytest.raises(PatchError):
        strategic_merge_patch(POD, {"spec": {"containers": [{"image": "no-name"}]}}, "Pod")


def test_primitive_merge_list_is_a_union() -> None:
    out = strategic_merge_patch(POD, {"metadata": {"finalizers": ["f2", "f1", "f2"]}}, "Pod")
    assert out["metadata"]["finalizers"] == ["f1", "f2"]


def test_serviceaccount_secrets_merge_by_name_and_configmap_data_by_key() -> None:
    sa = {"metadata": {"name": "s"}, "secrets": [{"name": "a"}]}
    assert strategic_merge_patch(sa, {"secrets": [{"name": "b"}]}, "ServiceAccount")["secrets"] == [
        {"name": "a"},
        {"name": "b"},
    ]
    cm = {"metadata": {"name": "c"}, "data": {"a": "1", "b": "2"}}
    assert strategic_merge_patch(cm, {"data": {"a": None, "c": "3"}}, "ConfigMap")["data"] == {"b": "2", "c": "3"}

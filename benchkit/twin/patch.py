"""The PATCH body formats kubectl sends: JSON merge patch, JSON patch, and strategic merge patch.

- `application/merge-patch+json`: RFC 7386.
- `application/json-patch+json`: RFC 6902 (add, remove, replace, move, copy, test; RFC 6901 pointers).
- `application/strategic-merge-patch+json` (built-in kinds only): the subset of
  kubernetes/apimachinery v0.32.9 `pkg/util/strategicpatch/patch.go` that kubectl's patches for the
  twin's kinds use: maps merge key by key (`null` deletes), lists named in `MERGE_KEYS` merge by their
  `patchMergeKey` (primitive lists with `patchStrategy: merge` as a union), every other list is replaced;
  the directives `$patch: replace|delete` (in maps and in merge lists), `$deleteFromPrimitiveList/<list>`,
  `$setElementOrder/<list>` and `$retainKeys`. The merge keys are the `patchStrategy:"merge"` struct tags of
  kubernetes/api v0.32.9 `core/v1/types.go` and apimachinery `pkg/apis/meta/v1/types.go`.

Pure functions on JSON values: no I/O, no server. Errors are `PatchError` (the API answers 422).
"""

from __future__ import annotations

import copy
from typing import Any

Obj = dict[str, Any]
Path = tuple[str, ...]
PRIMITIVE = ""
"""The merge key of a primitive list merged as a set (e.g. metadata.finalizers)."""

_CONTAINER_LISTS: dict[Path, str] = {
    ("env",): "name",
    ("ports",): "containerPort",
    ("volumeMounts",): "mountPath",
    ("volumeDevices",): "devicePath",
}
_POD_SPEC: dict[Path, str] = {
    ("containers",): "name",
    ("initContainers",): "name",
    ("ephemeralContainers",): "name",
    ("volumes",): "name",
    ("imagePullSecrets",): "name",
    ("hostAliases",): "ip",
    ("resourceClaims",): "name",
    **{(lst, *sub): key for lst in ("containers", "initContainers", "ephemeralContainers")
       for sub, key in _CONTAINER_LISTS.items()},
}  # fmt: skip
_METADATA: dict[Path, str] = {("metadata", "finalizers"): PRIMITIVE, ("metadata", "ownerReferences"): "uid"}
MERGE_KEYS: dict[str, dict[Path, str]] = {
    "Pod": {**_METADATA, **{("spec", *p): k for p, k in _POD_SPEC.items()}, ("status", "conditions"): "type"},
    "Node": {**_METADATA, ("status", "conditions"): "type", ("status", "addresses"): "type"},
    "Namespace": {**_METADATA, ("status", "conditions"): "type"},
    "ServiceAccount": {**_METADATA, ("secrets",): "name"},
    "ConfigMap": dict(_METADATA),
}
"""Per kind: the path of each merge list (list items do not add to the path) and its merge key."""
_ORDER, _DELETE_FROM, _RETAIN, _PATCH = "$setElementOrder/", "$deleteFromPrimitiveList/", "$retainKeys", "$patch"


class PatchError(ValueError):
    """The patch cannot be applied to the object (RFC 6902 `test` failed, a missing path, a bad directive)."""


# ---- RFC 7386 -------------------------------------------------------------------------------------------


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 section 2: a new value; `target` is not modified."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


# ---- RFC 6902 -------------------------------------------------------------------------------------------


def _pointer(text: Any) -> list[str]:
    if not isinstance(text, str) or (text and not text.startswith("/")):
        raise PatchError(f"invalid JSON pointer {text!r}")
    return [p.replace("~1", "/").replace("~0", "~") for p in text.split("/")[1:]] if text else []


def _index(container: list[Any], token: str, size: int) -> int:
    if token == "-" or not token.isdigit() or (len(token) > 1 and token[0] == "0"):
        raise PatchError(f"invalid array index {token!r}")
    index = int(token)
    if index >= size:
        raise PatchError(f"array index {index} out of range")
    return index


def _parent(doc: Any, tokens: list[str]) -> Any:
    node = doc
    for token in tokens[:-1]:
        if isinstance(node, dict):
            if token not in node:
                raise PatchError(f"path /{'/'.join(tokens)}: {token!r} not found")
            node = node[token]
        elif isinstance(node, list):
            node = node[_index(node, token, len(node))]
        else:
            raise PatchError(f"path /{'/'.join(tokens)}: cannot descend into a {type(node).__name__}")
    return node


def _get(doc: Any, tokens: list[str]) -> Any:
    if not tokens:
        return doc
    parent, last = _parent(doc, tokens), tokens[-1]
    if isinstance(parent, dict):
        if last not in parent:
            raise PatchError(f"path /{'/'.join(tokens)} not found")
        return parent[last]
    if isinstance(parent, list):
        return parent[_index(parent, last, len(parent))]
    raise PatchError(f"path /{'/'.join(tokens)} not found")


def _add(doc: Any, tokens: list[str], value: Any) -> Any:
    if not tokens:
        return value
    parent, last = _parent(doc, tokens), tokens[-1]
    if isinstance(parent, dict):
        parent[last] = value
    elif isinstance(parent, list):
        parent.insert(len(parent) if last == "-" else _index(parent, last, len(parent) + 1), value)
    else:
        raise PatchError(f"path /{'/'.join(tokens)}: cannot add to a {type(parent).__name__}")
    return doc


def _remove(doc: Any, tokens: list[str]) -> Any:
    if not tokens:
        raise PatchError("cannot remove the whole document")
    _get(doc, tokens)  # must exist
    parent, last = _parent(doc, tokens), tokens[-1]
    if isinstance(parent, dict):
        del parent[last]
    else:
        del parent[int(last)]
    return doc


def json_patch(doc: Any, operations: Any) -> Any:
    """RFC 6902 section 4: apply the operations in order to a copy of `doc`; all or nothing."""
    if not isinstance(operations, list):
        raise PatchError("a JSON patch must be an array of operations")
    out = copy.deepcopy(doc)
    for op in operations:
        if not isinstance(op, dict) or "op" not in op or "path" not in op:
            raise PatchError(f"invalid operation {op!r}: needs op and path")
        out = _operation(out, op)
    return out


def _operation(out: Any, op: Obj) -> Any:
    name, tokens = op["op"], _pointer(op["path"])
    if name in ("add", "replace", "test") and "value" not in op:
        raise PatchError(f"{name} {op['path']}: missing value")
    if name == "add":
        return _add(out, tokens, copy.deepcopy(op["value"]))
    if name == "remove":
        return _remove(out, tokens)
    if name == "replace":
        _get(out, tokens)
        return _add(_remove(out, tokens), tokens, copy.deepcopy(op["value"])) if tokens else op["value"]
    if name in ("move", "copy"):
        source = _pointer(op.get("from"))
        if name == "move" and tokens[: len(source)] == source and tokens != source:
            raise PatchError(f"move {op.get('from')} into its own child {op['path']}")
        value = copy.deepcopy(_get(out, source))
        if name == "move":
            out = _remove(out, source)
        return _add(out, tokens, value)
    if name == "test":
        if _get(out, tokens) != op["value"]:
            raise PatchError(f"test {op['path']}: the value differs")
        return out
    raise PatchError(f"unknown operation {name!r}")


# ---- strategic merge patch ----------------------------------------------------------------------------


def strategic_merge_patch(original: Obj, patch: Any, kind: str) -> Obj:
    """Apply a strategic merge patch to a built-in kind's object (a new object; `original` is not modified)."""
    if not isinstance(patch, dict):
        raise PatchError("a strategic merge patch must be a JSON object")
    merged = _merge_map(copy.deepcopy(original), patch, (), MERGE_KEYS.get(kind, {}))
    if not isinstance(merged, dict):
        raise PatchError("a strategic merge patch cannot delete the whole object")
    return merged


def _merge_map(original: Obj, patch: Obj, path: Path, keys: dict[Path, str]) -> Obj:
    directive = patch.get(_PATCH)
    if directive == "delete":
        return {}
    if directive == "replace":
        return _merge_map({}, {k: v for k, v in patch.items() if k != _PATCH}, path, keys)
    if directive is not None:
        raise PatchError(f"unknown patch directive {directive!r}")
    out = original
    for key, value in patch.items():
        if key.startswith(_DELETE_FROM):
            if not isinstance(value, list):
                raise PatchError(f"{key} must be a list")
            name = key[len(_DELETE_FROM) :]
            out[name] = [v for v in out.get(name) or [] if v not in value]
    for key, value in patch.items():
        if not key.startswith((_ORDER, _DELETE_FROM)) and key != _RETAIN:
            _merge_key(out, key, value, (*path, key), keys)
    for key, value in patch.items():
        if key.startswith(_ORDER) and isinstance(out.get(name := key[len(_ORDER) :]), list):
            out[name] = _order(out[name], value, keys.get((*path, name), PRIMITIVE))
    retain = patch.get(_RETAIN)
    return {k: v for k, v in out.items() if k in retain} if isinstance(retain, list) else out


def _merge_key(out: Obj, key: str, value: Any, sub: Path, keys: dict[Path, str]) -> None:
    if value is None:
        out.pop(key, None)
    elif isinstance(value, dict):
        current = out.get(key)
        out[key] = _merge_map(current if isinstance(current, dict) else {}, value, sub, keys)
    elif isinstance(value, list) and sub in keys:
        current = out.get(key)
        out[key] = _merge_list(current if isinstance(current, list) else [], value, sub, keys)
    else:
        out[key] = _strip(value, sub, keys)


def _merge_list(original: list[Any], patch: list[Any], path: Path, keys: dict[Path, str]) -> list[Any]:
    merge_key = keys[path]
    if merge_key == PRIMITIVE:
        return original + [v for i, v in enumerate(patch) if v not in original and v not in patch[:i]]
    if any(isinstance(p, dict) and p.get(_PATCH) == "replace" for p in patch):
        return [_strip(p, path, keys) for p in patch if not (isinstance(p, dict) and p.get(_PATCH) == "replace")]
    out = list(original)
    for item in patch:
        if not isinstance(item, dict) or merge_key not in item:
            raise PatchError(f"{'.'.join(path)}: every item needs the merge key {merge_key!r}")
        at = next((i for i, o in enumerate(out) if isinstance(o, dict) and o.get(merge_key) == item[merge_key]), None)
        if item.get(_PATCH) == "delete":
            if at is not None:
                del out[at]
        elif at is None:
            out.append(_strip(item, path, keys))
        else:
            out[at] = _merge_map(out[at], item, path, keys)
    return out


def _order(items: list[Any], order: Any, merge_key: str) -> list[Any]:
    """`$setElementOrder`: the listed items first, in that order; the others after, as they were."""
    if not isinstance(order, list):
        return items
    wanted = [o.get(merge_key) if isinstance(o, dict) else o for o in order]

    def key_of(item: Any) -> Any:
        return item.get(merge_key) if isinstance(item, dict) and merge_key else item

    listed = sorted((i for i in items if key_of(i) in wanted), key=lambda i: wanted.index(key_of(i)))
    return listed + [i for i in items if key_of(i) not in wanted]


def _strip(value: Any, path: Path, keys: dict[Path, str]) -> Any:
    """A patch value added where nothing was: its directives applied against an empty original."""
    if isinstance(value, dict):
        return _merge_map({}, value, path, keys)
    if isinstance(value, list) and path in keys:
        return _merge_list([], value, path, keys)
    return copy.deepcopy(value)

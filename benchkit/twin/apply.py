"""Server-side apply (`PATCH` with `application/apply-patch+yaml`), as far as `kubectl apply --server-side` needs.

What kube-apiserver does (kubernetes/apiserver v0.32.0, the staging mirror of kubernetes/kubernetes 1.32,
pkg/endpoints/handlers/patch.go `applyPatcher`, and sigs.k8s.io/structured-merge-diff v4.4.2, its go.mod's, for
the field sets): the applied configuration is merged into the live object (or creates it), and the manager named
by `fieldManager` owns exactly the fields it applied, recorded in `metadata.managedFields` as an entry with
`operation: Apply` and a `fieldsV1` set (`f:<field>` for map keys, `k:{"<key>":<value>}` for items of
lists with a merge key). A field the manager applied before and leaves out now is removed, unless another
manager owns it too.

The twin's subset: field sets are computed from the applied object (lists without a merge key are
owned whole); only Apply managers are tracked (creates, updates and other patches do not add Update
entries); a field owned by another Apply manager with a different value is a 409 conflict unless
`force=true` (then it moves to the applier), as kube-apiserver answers.
"""

from __future__ import annotations

import copy
from typing import Any

import orjson

from benchkit.twin.patch import MERGE_KEYS, PRIMITIVE, Path

Obj = dict[str, Any]
FieldSet = dict[str, Any]
_IGNORED_META = ("name", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp",
                 "deletionTimestamp", "managedFields", "selfLink")  # fmt: skip


class ApplyConflict(Exception):
    """Fields the applier would change are owned by other managers: [(manager, ".path")]."""

    def __init__(self, conflicts: list[tuple[str, str]]) -> None:
        super().__init__(conflicts)
        self.conflicts = conflicts

    def message(self) -> str:
        lines = [f'conflict with "{m}": {p}' for m, p in self.conflicts]
        n = len(lines)
        return f"Apply failed with {n} conflict{'s' if n != 1 else ''}: " + "\n".join(lines)


def field_set(obj: Obj, kind: str) -> FieldSet:
    """The fieldsV1 set of what `obj` (an applied configuration) sets."""
    top = {k: v for k, v in obj.items() if k not in ("apiVersion", "kind", "status")}
    meta = {k: v for k, v in (top.pop("metadata", None) or {}).items() if k not in _IGNORED_META}
    if meta:
        top["metadata"] = meta
    return _fields(top, (), MERGE_KEYS.get(kind, {}))


def _fields(value: Any, path: Path, keys: dict[Path, str]) -> FieldSet:
    if isinstance(value, dict):
        return {f"f:{k}": _fields(v, (*path, k), keys) for k, v in value.items()}
    if isinstance(value, list) and path in keys:
        if keys[path] == PRIMITIVE:
            return {f"v:{orjson.dumps(v).decode()}": {} for v in value}
        merge_key = keys[path]
        out: FieldSet = {}
        for item in value:
            if isinstance(item, dict) and merge_key in item:
                out[f"k:{orjson.dumps({merge_key: item[merge_key]}).decode()}"] = _fields(item, path, keys)
        return out
    return {}


def leaves(fields: FieldSet, prefix: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    out: set[tuple[str, ...]] = set()
    for key, sub in fields.items():
        here = (*prefix, key)
        out |= leaves(sub, here) if sub else {here}
    return out


def _dotted(path: tuple[str, ...]) -> str:
    return "".join(f".{p[2:]}" if p.startswith("f:") else f"[{p[2:]}]" for p in path)


def _value_at(obj: Any, path: tuple[str, ...], keys: dict[Path, str], names: Path = ()) -> tuple[bool, Any]:
    """(found, value) of a field-set path within an object."""
    node = obj
    for part in path:
        if part.startswith("f:") and isinstance(node, dict) and part[2:] in node:
            names = (*names, part[2:])
            node = node[part[2:]]
        elif part.startswith("k:") and isinstance(node, list):
            wanted = orjson.loads(part[2:])
            node = next((i for i in node if isinstance(i, dict) and all(i.get(k) == v for k, v in wanted.items())),
                        None)  # fmt: skip
            if node is None:
                return False, None
        elif part.startswith("v:") and isinstance(node, list):
            value = orjson.loads(part[2:])
            return value in node, value
        else:
            return False, None
    return True, node


def _remove_at(obj: Any, path: tuple[str, ...]) -> None:
    found, parent = _value_at(obj, path[:-1], {})
    last = path[-1]
    if not found:
        return
    if last.startswith("f:") and isinstance(parent, dict):
        parent.pop(last[2:], None)
    elif last.startswith("k:") and isinstance(parent, list):
        wanted = orjson.loads(last[2:])
        parent[:] = [i for i in parent if not (isinstance(i, dict) and all(i.get(k) == v for k, v in wanted.items()))]
    elif last.startswith("v:") and isinstance(parent, list):
        value = orjson.loads(last[2:])
        parent[:] = [i for i in parent if i != value]


def _merge(live: Any, applied: Any, path: Path, keys: dict[Path, str]) -> Any:
    if isinstance(applied, dict) and isinstance(live, dict):
        out = dict(live)
        for k, v in applied.items():
            out[k] = _merge(live.get(k), v, (*path, k), keys)
        return out
    if isinstance(applied, list) and isinstance(live, list) and path in keys:
        merge_key = keys[path]
        if merge_key == PRIMITIVE:
            return live + [v for v in applied if v not in live]
        out_list = list(live)
        for item in applied:
            at = next((i for i, o in enumerate(out_list) if isinstance(o, dict) and isinstance(item, dict)
                       and o.get(merge_key) == item.get(merge_key)), None)  # fmt: skip
            if at is None:
                out_list.append(copy.deepcopy(item))
            else:
                out_list[at] = _merge(out_list[at], item, path, keys)
        return out_list
    return copy.deepcopy(applied)


def _entries(obj: Obj) -> list[Obj]:
    return [e for e in (obj.get("metadata") or {}).get("managedFields") or [] if isinstance(e, dict)]


def apply(live: Obj | None, applied: Obj, manager: str, *, force: bool, kind: str, now: str) -> Obj:
    """The object after `manager` applies `applied` to `live` (None: it does not exist yet)."""
    keys = MERGE_KEYS.get(kind, {})
    new_set = field_set(applied, kind)
    new_leaves = leaves(new_set)
    entries = _entries(live) if live is not None else []
    mine = next((e for e in entries if e.get("manager") == manager and e.get("operation") == "Apply"), None)
    others = [e for e in entries if e is not mine]
    if live is not None and not force:
        conflicts = []
        for entry in others:
            if entry.get("operation") != "Apply":
                continue
            for leaf in sorted(leaves(entry.get("fieldsV1") or {}) & new_leaves):
                theirs, ours = _value_at(live, leaf, keys), _value_at(applied, leaf, keys)
                if theirs != ours:
                    conflicts.append((str(entry.get("manager")), _dotted(leaf)))
        if conflicts:
            raise ApplyConflict(conflicts)
    result: Obj = copy.deepcopy(live) if live is not None else {}
    owned_by_others = set().union(*(leaves(e.get("fieldsV1") or {}) for e in others)) if others else set()
    if mine is not None:
        for leaf in sorted(leaves(mine.get("fieldsV1") or {}) - new_leaves - owned_by_others, key=len, reverse=True):
            _remove_at(result, leaf)
    body = {k: v for k, v in applied.items() if k != "status"}
    body["metadata"] = {k: v for k, v in (applied.get("metadata") or {}).items() if k != "managedFields"}
    result = dict(_merge(result, body, (), keys))
    kept = []
    for entry in others:
        rest = _without(entry.get("fieldsV1") or {}, new_leaves)
        if rest:
            kept.append({**entry, "fieldsV1": rest})
    api_version = applied.get("apiVersion")
    entry = {"manager": manager, "operation": "Apply", "apiVersion": api_version, "time": now,
             "fieldsType": "FieldsV1", "fieldsV1": new_set}  # fmt: skip
    result.setdefault("metadata", {})["managedFields"] = [*kept, entry]
    return result


def _without(fields: FieldSet, taken: set[tuple[str, ...]], prefix: tuple[str, ...] = ()) -> FieldSet:
    """A field set minus the leaves another manager took over."""
    out: FieldSet = {}
    for key, sub in fields.items():
        here = (*prefix, key)
        if not sub:
            if here not in taken:
                out[key] = {}
        elif rest := _without(sub, taken, here):
            out[key] = rest
    return out

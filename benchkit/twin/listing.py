"""List semantics: selectors over the sorted keys (or a label index), `limit` + `continue`, list envelopes."""

from __future__ import annotations

import base64
import bisect
import heapq
from collections.abc import Iterator, Sequence
from typing import cast

import orjson

from benchkit.twin.record import Record, Version
from benchkit.twin.resources import ResourceType
from benchkit.twin.selectors import FieldSelector, LabelSelector
from benchkit.twin.status import bad_request
from benchkit.twin.store import INDEXED_LABELS, Collection, Store

_INDEX_WORTH_IT = 4  # use a label index when it narrows the scan at least this much
CONTINUE_EXPIRED = ("The provided continue parameter is too old to display a consistent list result. You can start "
                     "a new list without the continue parameter.")  # fmt: skip


def encode_continue(rv: int, key: str) -> str:
    token = orjson.dumps({"v": "meta.k8s.io/v1", "rv": rv, "start": key + "\x00"})
    return base64.urlsafe_b64encode(token).decode().rstrip("=")


def parse_continue(token: str) -> tuple[int, str]:
    """(the list's resourceVersion, the key to go on from); 400 for a token this server did not write. Whether
    the history still reaches back to that version is the reader's check (410 `CONTINUE_EXPIRED`)."""
    try:
        data = orjson.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        return int(data["rv"]), str(data["start"])
    except (ValueError, KeyError, TypeError, orjson.JSONDecodeError):
        raise bad_request(
            "continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)"
        ) from None


def servable(store: Store, resource: ResourceType, rv: int) -> bool:
    """Whether a list can be served as it was at `rv`: the history holds every write since (as etcd before a
    compaction), and `rv` is not in the future."""
    return max(store.compacted, store.coll(resource).floor) <= rv <= store.rv


def _field_values(rec: Version) -> dict[str, str]:
    return {"metadata.name": rec.name, "metadata.namespace": rec.ns, **(rec.fields or {})}


def matching(store: Store, resource: ResourceType, ns: str | None, labels: LabelSelector,
             fields: FieldSelector) -> list[Record]:  # fmt: skip
    """Every object that matches now (a watch's initial events, deletecollection)."""
    return cast("list[Record]", select(store, resource, ns, labels, fields)[0])


def select(  # noqa: PLR0917 - the list parameters, in the order the API names them
    store: Store,
    resource: ResourceType,
    ns: str | None,
    labels: LabelSelector,
    fields: FieldSelector,
    limit: int = 0,
    start: str = "",
    at: int | None = None,
) -> tuple[list[Version], str | None, int | None]:
    """Matching objects in key order from `start`, as they were at resourceVersion `at` (default: now; the
    caller checks `servable`); (versions, last key if more may follow, remaining count when known).

    A page at an older version is the current objects with the writes since `at` undone: objects created
    since are skipped, objects modified or deleted since are replaced by the version they had then.
    """
    coll = store.coll(resource)
    ns = fields.equality("metadata.namespace") if ns is None and resource.namespaced else ns
    lo, hi = coll.key_range(ns)
    if start:
        lo = max(lo, bisect.bisect_left(coll.keys, start))
    past: dict[str, Version | None] = {}
    if at is not None and at < store.rv:
        low, high = (max(start, ns + "/"), ns + "0") if ns is not None and resource.namespaced else (start, None)
        past = coll.versions_at(at, low, high)
    keys, exact = _live_keys(store, coll, resource, ns, labels, fields, lo, hi)
    stream = _merged(keys, sorted(k for k, v in past.items() if v is not None)) if past else iter(keys)
    objects = coll.objects
    check_labels = not labels.empty
    check_fields = not fields.empty
    out: list[Version] = []
    for i, key in enumerate(stream):
        rec = past[key] if key in past else objects[key]
        if rec is None:  # created after `at`
            continue
        if check_labels and not labels.matches(rec.labels):
            continue
        if check_fields and not fields.matches(_field_values(rec)):
            continue
        out.append(rec)
        if limit and len(out) == limit:
            if not any(k not in past or past[k] is not None for k in stream):  # a key that existed at `at`
                return out, None, None
            if past:
                remaining = None if check_labels or check_fields else _remaining_at(keys, key, past, objects)
            else:
                remaining = len(keys) - i - 1 if exact or not (check_labels or check_fields) else None
            return out, key, remaining
    return out, None, None


def _live_keys(  # noqa: PLR0917 - the scan bounds and the terms an index can serve
    store: Store, coll: Collection, resource: ResourceType, ns: str | None, labels: LabelSelector,
    fields: FieldSelector, lo: int, hi: int,
) -> tuple[list[str], bool]:  # fmt: skip
    """The current keys to scan within [lo, hi): all of them, or fewer through the name or a label index;
    and whether they all match the indexed terms (then the remaining count is exact)."""
    name = fields.equality("metadata.name")
    candidates: set[str] | None = None
    if name is not None and (ns is not None or not resource.namespaced):
        candidates = {store.key(resource, ns or "", name)}
    for label_key in INDEXED_LABELS:
        value = labels.equality(label_key)
        if value is not None:
            found = coll.candidates(label_key, value)
            candidates = found if candidates is None else candidates & found
    if candidates is None or len(candidates) * _INDEX_WORTH_IT >= hi - lo:
        return coll.keys[lo:hi], False
    low_key = coll.keys[lo] if lo < len(coll.keys) else None
    high_key = coll.keys[hi] if hi < len(coll.keys) else None
    in_range = (k for k in candidates if low_key is not None and k >= low_key and (high_key is None or k < high_key))
    return sorted(k for k in in_range if k in coll.objects), True


def _merged(live: list[str], past: list[str]) -> Iterator[str]:
    """Two sorted key lists as one, without duplicates."""
    last = None
    for key in heapq.merge(live, past):
        if key != last:
            yield key
            last = key


def _remaining_at(live: list[str], after: str, past: dict[str, Version | None], objects: dict[str, Record]) -> int:
    """How many objects followed `after` at the list's version: those there now, less the ones created since,
    plus the ones deleted since."""
    count = len(live) - bisect.bisect_right(live, after)
    for key, version in past.items():
        if key > after:
            if version is None and key in objects:
                count -= 1
            elif version is not None and key not in objects:
                count += 1
    return count


def list_head(resource: ResourceType, rv: int, cont: str | None, remaining: int | None) -> bytes:
    meta: dict[str, object] = {"resourceVersion": str(rv)}
    if cont:
        meta["continue"] = cont
        if remaining is not None:
            meta["remainingItemCount"] = remaining
    head = b'{"kind":"' + resource.list_kind.encode() + b'","apiVersion":"' + resource.api_version.encode() + b'",'
    return head + b'"metadata":' + orjson.dumps(meta) + b',"items":['


def list_bytes(
    resource: ResourceType, records: Sequence[Version], rv: int, cont: str | None, remaining: int | None
) -> bytes:
    return list_head(resource, rv, cont, remaining) + b",".join(r.raw for r in records) + b"]}"


def chunks(raws: list[bytes], size: int) -> Iterator[bytes]:
    """The items part of a list body, `size` bytes at a time (a 36,000-pod list is ~85 MB)."""
    batch: list[bytes] = []
    total = 0
    for i, raw in enumerate(raws):
        if i:
            batch.append(b",")
        batch.append(raw)
        total += len(raw)
        if total >= size:
            yield b"".join(batch)
            batch, total = [], 0
    if batch:
        yield b"".join(batch)

"""List semantics: selectors over the sorted keys (or a label index), `limit` + `continue`, list envelopes."""

from __future__ import annotations

import base64
import bisect
from collections.abc import Iterator
from dataclasses import dataclass

import orjson

from benchkit.twin.record import Record
from benchkit.twin.resources import ResourceType
from benchkit.twin.selectors import FieldSelector, LabelSelector
from benchkit.twin.status import bad_request, gone
from benchkit.twin.store import INDEXED_LABELS, Store

_INDEX_WORTH_IT = 4  # use a label index when it narrows the scan at least this much


@dataclass(frozen=True)
class Page:
    records: list[Record]
    rv: int
    next_key: str | None
    remaining: int | None


def encode_continue(rv: int, key: str) -> str:
    token = orjson.dumps({"v": "meta.k8s.io/v1", "rv": rv, "start": key + "\x00"})
    return base64.urlsafe_b64encode(token).decode().rstrip("=")


def decode_continue(token: str, store: Store) -> tuple[int, str]:
    try:
        data = orjson.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        rv, start = int(data["rv"]), str(data["start"])
    except (ValueError, KeyError, TypeError, orjson.JSONDecodeError):
        raise bad_request(
            "continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)"
        ) from None
    if rv < store.compacted:
        raise gone(
            "The provided continue parameter is too old to display a consistent list result. You can start a new "
            "list without the continue parameter."
        )
    return rv, start


def _field_values(rec: Record) -> dict[str, str]:
    return {"metadata.name": rec.name, "metadata.namespace": rec.ns, **(rec.fields or {})}


def select(  # noqa: PLR0917 - the list parameters, in the order the API names them
    store: Store,
    resource: ResourceType,
    ns: str | None,
    labels: LabelSelector,
    fields: FieldSelector,
    limit: int = 0,
    start: str = "",
) -> tuple[list[Record], str | None, int | None]:
    """Matching records in key order from `start`; (records, last key if more may follow, remaining count)."""
    coll = store.coll(resource)
    ns = fields.equality("metadata.namespace") if ns is None and resource.namespaced else ns
    lo, hi = coll.key_range(ns)
    if start:
        lo = max(lo, bisect.bisect_left(coll.keys, start))
    name = fields.equality("metadata.name")
    candidates: set[str] | None = None
    if name is not None and (ns is not None or not resource.namespaced):
        candidates = {store.key(resource, ns or "", name)}
    for label_key in INDEXED_LABELS:
        value = labels.equality(label_key)
        if value is not None:
            found = coll.candidates(label_key, value)
            candidates = found if candidates is None else candidates & found
    if candidates is not None and len(candidates) * _INDEX_WORTH_IT < hi - lo:
        low_key = coll.keys[lo] if lo < len(coll.keys) else None
        high_key = coll.keys[hi] if hi < len(coll.keys) else None
        in_range = (
            k for k in candidates if low_key is not None and k >= low_key and (high_key is None or k < high_key)
        )
        keys = sorted(k for k in in_range if k in coll.objects)
        exact = True
    else:
        keys = coll.keys[lo:hi]
        exact = False
    objects = coll.objects
    check_labels = not labels.empty
    check_fields = not fields.empty
    out: list[Record] = []
    for i, key in enumerate(keys):
        rec = objects[key]
        if check_labels and not labels.matches(rec.labels):
            continue
        if check_fields and not fields.matches(_field_values(rec)):
            continue
        out.append(rec)
        if limit and len(out) == limit:
            more = i + 1 < len(keys)
            remaining = len(keys) - i - 1 if (exact or not (check_labels or check_fields)) and more else None
            return out, key if more else None, remaining
    return out, None, None


def list_head(resource: ResourceType, rv: int, cont: str | None, remaining: int | None) -> bytes:
    meta: dict[str, object] = {"resourceVersion": str(rv)}
    if cont:
        meta["continue"] = cont
        if remaining is not None:
            meta["remainingItemCount"] = remaining
    head = b'{"kind":"' + resource.list_kind.encode() + b'","apiVersion":"' + resource.api_version.encode() + b'",'
    return head + b'"metadata":' + orjson.dumps(meta) + b',"items":['


def list_bytes(
    resource: ResourceType, records: list[Record], rv: int, cont: str | None, remaining: int | None
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

"""A stored object as the bytes clients receive, laid out so that status and resourceVersion can be
replaced by splicing instead of parse + re-serialize:

    {"apiVersion":..,"kind":..,"metadata":{...,"resourceVersion":"<rv>"}[,<other fields>][,"status":<status>]}
                                                                  ^rv_at                  ^status_at

Bytes are built by concatenation, which also sizes them exactly (orjson's output buffers are
over-allocated: kept as they are, 36,000 pods would cost ~280 MB instead of ~80 MB).
"""

from __future__ import annotations

from typing import Any

import orjson

Obj = dict[str, Any]
_RV_KEY = b'"resourceVersion":"'
_STATUS_KEY = b',"status":'


class Version:
    """One version of an object: its bytes (what lists and watches send) and what selectors need."""

    __slots__ = ("fields", "key", "labels", "name", "ns", "raw", "rv")

    def __init__(self, key: str, ns: str, name: str, labels: dict[str, str], fields: dict[str, str] | None) -> None:
        self.key = key
        self.ns = ns
        self.name = name
        self.labels = labels
        self.fields = fields
        self.raw = b""
        self.rv = 0

    def obj(self) -> Obj:
        loaded: Obj = orjson.loads(self.raw)
        return loaded


class Record(Version):
    """A stored object's current version, which writes change in place by splicing its bytes."""

    __slots__ = ("rv_at", "status_at")

    def __init__(self, key: str, ns: str, name: str, labels: dict[str, str], fields: dict[str, str] | None) -> None:
        super().__init__(key, ns, name, labels, fields)
        self.rv_at = 0
        self.status_at = 0

    def version(self) -> Version:
        """A copy of this version (sharing its bytes), taken before a write replaces it."""
        old = Version(self.key, self.ns, self.name, self.labels, self.fields)
        old.raw, old.rv = self.raw, self.rv
        return old

    def build(self, obj: Obj, rv: int) -> None:
        """Serialize a whole object (its metadata.resourceVersion is replaced by `rv`)."""
        meta = dict(obj.get("metadata") or {})
        meta.pop("resourceVersion", None)
        rest = {k: v for k, v in obj.items() if k not in ("apiVersion", "kind", "metadata", "status")}
        meta_json = orjson.dumps(meta)
        head = (b'{"apiVersion":' + orjson.dumps(obj.get("apiVersion")) + b',"kind":' + orjson.dumps(obj.get("kind"))
                + b',"metadata":' + meta_json[:-1] + (b"," if len(meta_json) > 2 else b"") + _RV_KEY)  # fmt: skip
        body = head + str(rv).encode() + b'"}'
        if rest:
            body += b"," + orjson.dumps(rest)[1:-1]
        self.rv_at = len(head)
        self.status_at = len(body)
        status = obj.get("status")
        self.raw = body + (_STATUS_KEY + orjson.dumps(status) if status is not None else b"") + b"}"
        self.rv = rv

    def _rv_end(self) -> int:
        return self.rv_at + len(str(self.rv))

    def set_status(self, status: Obj, rv: int) -> None:
        """Replace `status` and the resourceVersion."""
        raw, new = self.raw, str(rv).encode()
        middle = raw[self._rv_end() : self.status_at]
        self.raw = raw[: self.rv_at] + new + middle + _STATUS_KEY + orjson.dumps(status) + b"}"
        self.status_at = self.rv_at + len(new) + len(middle)
        self.rv = rv

    def mark_deleted(self, timestamp: str, rv: int) -> None:
        """Add metadata.deletionTimestamp (unless present) and set the resourceVersion."""
        raw, new = self.raw, str(rv).encode()
        key_at = self.rv_at - len(_RV_KEY)
        present = b'"deletionTimestamp":' in raw[:key_at]
        insert = b"" if present else b'"deletionTimestamp":"' + timestamp.encode() + b'",'
        rv_end = self._rv_end()
        self.raw = raw[:key_at] + insert + _RV_KEY + new + raw[rv_end:]
        shift = len(insert) + len(new) - (rv_end - self.rv_at)
        self.rv_at += len(insert)
        self.status_at += shift
        self.rv = rv


class Event(Version):
    """One change of one object, kept in the watch history: the new version and the one it replaced
    (`prev`, None for ADDED), so a paginated list can be served at an older resourceVersion."""

    __slots__ = ("prev", "type")

    def __init__(self, etype: bytes, rec: Version, prev: Version | None = None) -> None:
        self.type = etype
        self.key = rec.key
        self.rv = rec.rv
        self.ns = rec.ns
        self.name = rec.name
        self.labels = rec.labels
        self.fields = rec.fields
        self.raw = rec.raw
        self.prev = prev

    def prefix(self) -> bytes:
        return _PREFIXES[self.type]


_PREFIXES = {t: b'{"type":"' + t + b'","object":' for t in (b"ADDED", b"MODIFIED", b"DELETED")}

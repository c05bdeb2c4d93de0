"""The object store: one `Collection` per resource type, a global monotonic resourceVersion, watch fan-out.

Objects are kept as serialized JSON (`Record.raw`), which is what lists and watches send, so each
version of an object is serialized once and shared by every reader. Keys are `namespace/name` (or
`name`) kept sorted, as etcd orders them, for pagination and per-namespace ranges; a few label keys
(the run id, the app name) are indexed so selector lists and cascades do not scan everything.
"""

from __future__ import annotations

import bisect
import random
import sys
from collections import Counter, deque
from collections.abc import Iterable, Iterator
from typing import Any, Protocol

import orjson

from benchkit import clock
from benchkit.twin.record import Event, Record, Version
from benchkit.twin.resources import ALL, NAMESPACES, PODS, SPARK_APPS, ResourceType

Obj = dict[str, Any]
INDEXED_LABELS = ("benchkit.io/run-id", "sparkoperator.k8s.io/app-name")
ADDED, MODIFIED, DELETED = b"ADDED", b"MODIFIED", b"DELETED"


class StorageError(Exception):
    """A write the store refuses; the API answers it with a Kubernetes `Status` (status.from_storage)."""

    def __init__(self, resource: ResourceType, ns: str, name: str) -> None:
        super().__init__(f"{resource.plural} {ns}/{name}")
        self.resource = resource
        self.ns = ns
        self.name = name


class NamespaceNotFound(StorageError):
    """The object's namespace does not exist (`name` is the namespace)."""


class AlreadyExists(StorageError):
    """An object with that key is stored already."""


class Subscriber(Protocol):
    def accepts(self, ev: Event) -> bool: ...

    def push_event(self, ev: Event) -> None: ...


def extra_fields(resource: ResourceType, obj: Obj) -> dict[str, str] | None:
    """Field-selector values beyond metadata.name/namespace (pods: node and phase; apps: state)."""
    return _fields(resource, obj.get("status") or {}, (obj.get("spec") or {}).get("nodeName") or "")


def _fields(resource: ResourceType, status: Obj, node_name: str) -> dict[str, str] | None:
    if resource is PODS:
        return {"spec.nodeName": node_name, "status.phase": status.get("phase") or ""}
    if resource is SPARK_APPS:
        return {"status.applicationState.state": (status.get("applicationState") or {}).get("state") or ""}
    return None


class Collection:
    """The objects of one resource type, their sorted keys, label indexes, watch history and watchers."""

    def __init__(self, resource: ResourceType, history: int) -> None:
        self.resource = resource
        self.objects: dict[str, Record] = {}
        self.keys: list[str] = []
        self.index: dict[str, dict[str, set[str]]] = {k: {} for k in INDEXED_LABELS}
        self.history: deque[Event] = deque(maxlen=history)
        self.floor = 0  # every event with rv > floor is in history
        self.watchers: set[Subscriber] = set()
        self.delivered = 0  # watch events sent (apiserver_watch_events_total)
        self.size: Counter[str] = Counter()  # serialized bytes of the stored objects, by namespace

    def key_range(self, ns: str | None) -> tuple[int, int]:
        if ns is None or not self.resource.namespaced:
            return 0, len(self.keys)
        return bisect.bisect_left(self.keys, ns + "/"), bisect.bisect_left(self.keys, ns + "0")

    def candidates(self, label_key: str, value: str) -> set[str]:
        return self.index[label_key].get(value) or set()

    def _index(self, rec: Record) -> None:
        for label_key, by_value in self.index.items():
            value = rec.labels.get(label_key)
            if value is not None:
                by_value.setdefault(value, set()).add(rec.key)

    def _unindex(self, rec: Record) -> None:
        for label_key, by_value in self.index.items():
            value = rec.labels.get(label_key)
            if value is not None:
                keys = by_value.get(value)
                if keys is not None:
                    keys.discard(rec.key)
                    if not keys:
                        del by_value[value]

    def insert(self, rec: Record) -> None:
        self.objects[rec.key] = rec
        bisect.insort(self.keys, rec.key)
        self._index(rec)
        self.size[rec.ns] += len(rec.raw)

    def remove(self, rec: Record) -> None:
        del self.objects[rec.key]
        i = bisect.bisect_left(self.keys, rec.key)
        del self.keys[i]
        self._unindex(rec)
        self.size[rec.ns] -= len(rec.raw)

    def emit(self, etype: bytes, rec: Record, prev: Version | None = None) -> None:
        ev = Event(etype, rec, prev)
        history = self.history
        if len(history) == history.maxlen:
            dropped = history[0]
            self.floor = dropped.rv
            dropped.prev = None  # no list is served below the floor: free the version it replaced
        history.append(ev)
        for w in self.watchers:
            if w.accepts(ev):
                w.push_event(ev)
                self.delivered += 1

    def versions_at(self, rv: int, lo: str = "", hi: str | None = None) -> dict[str, Version | None]:
        """For each key in [lo, hi) written after `rv` (which must be >= floor): its version at `rv`, None if it
        did not exist then."""
        out: dict[str, Version | None] = {}
        for ev in reversed(self.history):
            if ev.rv <= rv:
                break
            key = ev.key
            if key >= lo and (hi is None or key < hi):
                out[key] = ev.prev  # walking back in time: the first write after rv has the last word
        return out

    def since(self, rv: int) -> list[Event]:
        """Events after rv, oldest first (rv must be >= floor)."""
        out = []
        for ev in reversed(self.history):
            if ev.rv <= rv:
                break
            out.append(ev)
        out.reverse()
        return out


def _labels(meta: Obj) -> dict[str, str]:
    labels = meta.get("labels") or {}
    return {sys.intern(k): sys.intern(v) for k, v in labels.items()}


class Store:
    """All collections and the resourceVersion counter. Synchronous: the server calls it from one event loop."""

    def __init__(self, history: int = 10_000, rv: int = 0) -> None:
        self.rv = rv
        self.collections = {r.plural: Collection(r, history) for r in ALL}
        self.compacted = rv
        self.superseded = 0
        """Serialized bytes of every version a write replaced or a delete removed (cumulative): the history an
        etcd behind the API server keeps until it compacts (etcd.py)."""
        for coll in self.collections.values():
            coll.floor = rv

    def coll(self, resource: ResourceType) -> Collection:
        return self.collections[resource.plural]

    @staticmethod
    def key(resource: ResourceType, ns: str, name: str) -> str:
        return f"{ns}/{name}" if resource.namespaced else name

    def get(self, resource: ResourceType, ns: str, name: str) -> Record | None:
        return self.collections[resource.plural].objects.get(self.key(resource, ns, name))

    def namespace_exists(self, ns: str) -> bool:
        return ns in self.collections["namespaces"].objects

    def _serialize(self, rec: Record, obj: Obj) -> None:
        self.rv += 1
        rec.build(obj, self.rv)

    def create(self, resource: ResourceType, obj: Obj, now: float | None = None) -> Record:
        """Store a new object (metadata.name/namespace already set); assigns uid, rv, creationTimestamp."""
        meta = obj["metadata"]
        ns = meta.get("namespace", "") if resource.namespaced else ""
        name = meta["name"]
        if resource.namespaced and not self.namespace_exists(ns):
            raise NamespaceNotFound(NAMESPACES, "", ns)
        coll = self.collections[resource.plural]
        key = self.key(resource, ns, name)
        if key in coll.objects:
            raise AlreadyExists(resource, ns, name)
        if not meta.get("uid"):
            meta["uid"] = _uid()
        if not meta.get("creationTimestamp"):  # clients send null (metav1.Time's zero value)
            meta["creationTimestamp"] = _timestamp(now)
        if resource.group:
            meta.setdefault("generation", 1)
        obj["apiVersion"] = resource.api_version
        obj["kind"] = resource.kind
        rec = Record(key, ns, name, _labels(meta), extra_fields(resource, obj))
        self._serialize(rec, obj)
        coll.insert(rec)
        coll.emit(ADDED, rec)
        return rec

    def update(
        self, resource: ResourceType, ns: str, name: str, status: Obj, node_name: str | None = None
    ) -> Record | None:
        """Replace an object's status (and a pod's spec.nodeName); None if it is gone."""
        rec = self.get(resource, ns, name)
        if rec is None:
            return None
        prev = rec.version()
        coll = self.collections[resource.plural]
        old_node = (rec.fields or {}).get("spec.nodeName", "")
        if node_name is not None and node_name != old_node:
            obj = rec.obj()  # the spec changes too: rebuild (once per pod, when it is scheduled)
            obj["status"] = status
            obj.setdefault("spec", {})["nodeName"] = node_name
            self._serialize(rec, obj)
        else:
            self.rv += 1
            rec.set_status(status, self.rv)
        rec.fields = _fields(resource, status, node_name or old_node)
        coll.size[rec.ns] += len(rec.raw) - len(prev.raw)
        self.superseded += len(prev.raw)
        coll.emit(MODIFIED, rec, prev)
        return rec

    def replace(self, resource: ResourceType, obj: Obj) -> Record:
        """Create or overwrite an object wholesale, keeping uid and creationTimestamp (model-owned objects)."""
        meta = obj["metadata"]
        rec = self.get(resource, meta.get("namespace", ""), meta["name"])
        if rec is None:
            return self.create(resource, obj)
        old = rec.obj()["metadata"]
        meta["uid"] = old["uid"]
        meta["creationTimestamp"] = old["creationTimestamp"]
        return self.modify(resource, rec, obj)

    def modify(self, resource: ResourceType, rec: Record, obj: Obj) -> Record:
        """Store `obj` as the next version of `rec` (same key); watchers get MODIFIED."""
        prev = rec.version()
        obj["apiVersion"], obj["kind"] = resource.api_version, resource.kind
        coll = self.collections[resource.plural]
        coll._unindex(rec)  # under the old labels
        rec.labels = _labels(obj["metadata"])
        rec.fields = extra_fields(resource, obj)
        self._serialize(rec, obj)
        coll._index(rec)
        coll.size[rec.ns] += len(rec.raw) - len(prev.raw)
        self.superseded += len(prev.raw)
        coll.emit(MODIFIED, rec, prev)
        return rec

    def delete(self, resource: ResourceType, ns: str, name: str, now: float | None = None) -> Record | None:
        """Remove an object; watchers get DELETED with a new resourceVersion. None if it was not there."""
        rec = self.get(resource, ns, name)
        if rec is None:
            return None
        coll = self.collections[resource.plural]
        prev = rec.version()
        coll.remove(rec)
        self.superseded += len(prev.raw)
        self.rv += 1
        if resource is NAMESPACES:
            obj = rec.obj()
            obj.setdefault("status", {})["phase"] = "Terminating"
            obj["metadata"].setdefault("deletionTimestamp", _timestamp(now))
            rec.build(obj, self.rv)
        else:
            rec.mark_deleted(_timestamp(now), self.rv)
        coll.emit(DELETED, rec, prev)
        return rec

    def records(self, resource: ResourceType, ns: str | None = None) -> Iterator[Record]:
        """Records in key order, optionally within one namespace."""
        coll = self.collections[resource.plural]
        start, end = coll.key_range(ns)
        objects = coll.objects
        for key in coll.keys[start:end]:
            yield objects[key]

    def by_label(self, resource: ResourceType, label_key: str, value: str, ns: str | None = None) -> list[Record]:
        coll = self.collections[resource.plural]
        keys = coll.candidates(label_key, value)
        recs = [coll.objects[k] for k in keys]
        return [r for r in recs if ns is None or r.ns == ns]

    def compact(self) -> int:
        """Forget the watch history: watches and continue tokens from older versions now get 410."""
        self.compacted = self.rv
        for coll in self.collections.values():
            coll.history.clear()
            coll.floor = self.rv
        return self.rv

    def namespaced_types(self) -> list[ResourceType]:
        """The namespaced resource types, SparkApplications first (deleting an app deletes its pods)."""
        return sorted((c.resource for c in self.collections.values() if c.resource.namespaced),
                      key=lambda r: r is not SPARK_APPS)  # fmt: skip

    def count(self, resource: ResourceType) -> int:
        return len(self.collections[resource.plural].objects)

    def live_bytes(self) -> int:
        """Serialized bytes of every stored object's current version."""
        return sum(sum(coll.size.values()) for coll in self.collections.values())

    def load(self, resource: ResourceType, raws: Iterable[bytes]) -> None:
        """Restore saved objects as they were (no events, no new versions)."""
        coll = self.collections[resource.plural]
        for raw in raws:
            obj = orjson.loads(raw)
            meta = obj["metadata"]
            ns = meta.get("namespace", "") if resource.namespaced else ""
            rec = Record(
                self.key(resource, ns, meta["name"]), ns, meta["name"], _labels(meta), extra_fields(resource, obj)
            )
            rec.build(obj, int(meta["resourceVersion"]))
            coll.insert(rec)


def _uid() -> str:
    """A random (version 4) UUID string; uuid.uuid4() costs a syscall and an object per create."""
    h = f"{random.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"


_last_second: list[Any] = [None, ""]


def _timestamp(now: float | None) -> str:
    """RFC 3339 at second resolution (metav1.Time), formatted once per second."""
    second = int(clock.wall() if now is None else now)
    if second != _last_second[0]:
        _last_second[:] = [second, clock.iso(second)[:19] + "Z"]
    return str(_last_second[1])

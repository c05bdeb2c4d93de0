"""Watchers: a `Watcher` per open watch, fed by the store's fan-out, buffering newline-delimited JSON events
(`streams.watch` writes them; no web server here).

Each watcher buffers the (shared) event lines it accepts and its stream task writes them in one chunk
per wake-up, so a burst of changes costs one write per watcher. Bookmarks carry the store's latest
resourceVersion; a watcher whose buffer grows past a limit is closed, as kube-apiserver drops
unresponsive watchers.
"""

from __future__ import annotations

import asyncio
import random
from typing import Any

import orjson

from benchkit.twin import tables
from benchkit.twin.record import Event
from benchkit.twin.resources import ResourceType
from benchkit.twin.selectors import FieldSelector, LabelSelector

MAX_BUFFER = 16 * 1024 * 1024
DEFAULT_TIMEOUT = (1800.0, 3600.0)  # kube-apiserver's --min-request-timeout, randomised up to twice


class Watcher:
    """One open watch: its filter, its pending bytes and how it should end."""

    def __init__(self, resource: ResourceType, ns: str | None, labels: LabelSelector, fields: FieldSelector) -> None:
        self.resource = resource
        self.ns = ns
        self.labels = None if labels.empty else labels
        self.fields = None if fields.empty else fields
        self.buf: list[bytes] = []
        self.size = 0
        self.wake = asyncio.Event()
        self.ending: str | None = None  # "graceful" (end the response) or "abort" (drop the connection)
        self.after = 0  # nothing at or below this version is sent (a watch from a version not reached yet)

    def accepts(self, ev: Event) -> bool:
        if ev.rv <= self.after:
            return False
        if self.ns is not None and ev.ns != self.ns:
            return False
        if self.labels is not None and not self.labels.matches(ev.labels):
            return False
        if self.fields is not None:
            values = {"metadata.name": ev.name, "metadata.namespace": ev.ns, **(ev.fields or {})}
            return self.fields.matches(values)
        return True

    def push(self, line: bytes) -> None:
        if self.ending is not None:
            return
        self.buf.append(line)
        self.size += len(line)
        if self.size > MAX_BUFFER:
            self.end("abort")
        self.wake.set()

    def push_event(self, ev: Event) -> None:
        """Buffer an event without building its line: the parts are joined once per write."""
        if self.ending is not None:
            return
        self.buf += (ev.prefix(), ev.raw, b"}\n")
        self.size += len(ev.raw) + 32
        if self.size > MAX_BUFFER:
            self.end("abort")
        self.wake.set()

    def end(self, how: str) -> None:
        if self.ending is None:
            self.ending = how
            if how == "abort":  # a graceful end still flushes what is buffered
                self.buf.clear()
                self.size = 0
        self.wake.set()

    def take(self) -> bytes:
        data = b"".join(self.buf)
        self.buf.clear()
        self.size = 0
        return data


class TableWatcher(Watcher):
    """A watch asked for `as=Table` (kubectl get -w): each event's object is a one-row Table."""

    def __init__(self, *args: Any, include: str = "Metadata") -> None:
        super().__init__(*args)
        self.include = include
        self.columns_sent = False

    def push_event(self, ev: Event) -> None:
        obj = orjson.loads(ev.raw)
        table = tables.table(self.resource, [obj], {"resourceVersion": str(ev.rv)}, self.include)
        if self.columns_sent:
            table["columnDefinitions"] = []  # as kube-apiserver: column definitions with the first event only
        self.columns_sent = True
        self.push(ev.prefix() + orjson.dumps(table) + b"}\n")


def bookmark_line(resource: ResourceType, rv: int, initial_end: bool = False) -> bytes:
    meta: dict[str, Any] = {"resourceVersion": str(rv)}
    if initial_end:
        meta["annotations"] = {"k8s.io/initial-events-end": "true"}
    obj = {"kind": resource.kind, "apiVersion": resource.api_version, "metadata": meta}
    return b'{"type":"BOOKMARK","object":' + orjson.dumps(obj) + b"}\n"


def timeout_for(seconds: float | None, rng: random.Random) -> float:
    """A watch's timeoutSeconds (negative: 0), or kube-apiserver's randomised default when none was given."""
    if seconds is not None:
        return max(0.0, seconds)
    return rng.uniform(*DEFAULT_TIMEOUT)

"""Watch streams: a `Watcher` per open watch, fed by the store's fan-out, written as newline-delimited JSON.

Each watcher buffers the (shared) event lines it accepts and its stream task writes them in one chunk
per wake-up, so a burst of changes costs one write per watcher. Bookmarks carry the store's latest
resourceVersion; a watcher whose buffer grows past a limit is closed, as kube-apiserver drops
unresponsive watchers.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from typing import Any

import orjson
from aiohttp import web

from benchkit.twin import tables
from benchkit.twin.record import Event
from benchkit.twin.resources import ResourceType
from benchkit.twin.selectors import FieldSelector, LabelSelector

MAX_BUFFER = 16 * 1024 * 1024
LIVENESS_CHECK = 5.0  # seconds between checks that an idle watch's client is still connected
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


def timeout_for(seconds: str | None, rng: random.Random) -> float:
    if seconds:
        return max(0.0, float(seconds))
    return rng.uniform(*DEFAULT_TIMEOUT)


async def stream(
    request: web.Request,
    watcher: Watcher,
    current_rv: Any,
    timeout: float,
    bookmark_every: float | None,
) -> web.StreamResponse:
    """Send the watcher's events until timeout (graceful end), a cut (abort) or the client leaves."""
    try:
        return await _stream(request, watcher, current_rv, timeout, bookmark_every)
    except ConnectionError:  # the client went away mid-write
        return web.StreamResponse()


async def _stream(
    request: web.Request,
    watcher: Watcher,
    current_rv: Any,
    timeout: float,
    bookmark_every: float | None,
) -> web.StreamResponse:
    resp = web.StreamResponse(headers={"Content-Type": "application/json", "Cache-Control": "no-cache, private"})
    resp.enable_chunked_encoding()
    await resp.prepare(request)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    next_bookmark = loop.time() + bookmark_every if bookmark_every else None
    while True:
        if watcher.buf:
            data = watcher.take()
            await resp.write(data)
        if watcher.ending == "abort":
            if request.transport is not None:
                request.transport.abort()
            return resp
        now = loop.time()
        if watcher.ending == "graceful" or now >= deadline:
            break
        if next_bookmark is not None and now >= next_bookmark:
            if current_rv() > watcher.after:
                await resp.write(bookmark_line(watcher.resource, current_rv()))
            next_bookmark = now + (bookmark_every or 0)
            continue
        if request.transport is None or request.transport.is_closing():
            return resp  # the client went away
        wait = deadline - now if next_bookmark is None else min(deadline, next_bookmark) - now
        wait = min(wait, LIVENESS_CHECK)
        watcher.wake.clear()
        if not watcher.buf and watcher.ending is None:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait):  # not wait_for, which can swallow a cancel (see driver.py)
                    await watcher.wake.wait()
    await resp.write_eof()
    return resp

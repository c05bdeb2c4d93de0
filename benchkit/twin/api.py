"""The Kubernetes resource endpoints over HTTP: get, list and watch here; writes (create, update, patch,
delete, deletecollection) are parsed into a `WriteRequest` and handled by `writes.Writer`.

Paths: `/api/v1[/namespaces/NS]/PLURAL[/NAME[/status]]` and the same under `/apis/<group>/<version>`.
"""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any

import orjson
from aiohttp import web

from benchkit.twin import bodies, listing, tables, watch
from benchkit.twin.driver import Driver
from benchkit.twin.record import Event
from benchkit.twin.resources import ResourceType
from benchkit.twin.routes import TRUE, Route, WriteRequest, parse_path, verb_of
from benchkit.twin.selectors import parse_fields, parse_labels
from benchkit.twin.status import ApiFailure, bad_request, expired_status, too_large
from benchkit.twin.store import ADDED, Store
from benchkit.twin.watch import Watcher
from benchkit.twin.writes import FIELDS, Writer

__all__ = ["KubeApi", "Route", "parse_path", "verb_of"]

JSON = "application/json"
STREAM_LISTS_OVER = 1 << 20  # bytes (estimated): bigger lists are written in pieces of this size
TOO_LARGE_WAIT_S = 3.0  # kube-apiserver's watch cache blockTimeout for a resourceVersion it has not reached


def _wants_table(request: web.Request) -> bool:
    return "as=Table" in request.headers.get("Accept", "")


def _json(body: bytes, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(body=body, status=status, content_type=JSON, headers=headers)


class KubeApi:
    def __init__(self, store: Store, driver: Driver, bookmark_every: float, seed: int) -> None:
        self.store = store
        self.driver = driver
        self.writer = Writer(store, driver)
        self.bookmark_every = bookmark_every
        self.rng = random.Random(seed)

    async def handle(self, request: web.Request, route: Route, verb: str) -> web.StreamResponse:
        if verb == "GET":
            return self.get(request, route)
        if verb == "LIST":
            return await self.list_objects(request, route)
        if verb == "WATCH":
            return await self.watch(request, route)
        if verb in ("POST", "PUT", "PATCH", "DELETE", "DELETECOLLECTION"):
            req = WriteRequest(verb, route, await request.read(), request.headers.get("Content-Type", ""),
                               request.query)  # fmt: skip
            reply = self.writer.handle(req)
            return _json(reply.body, reply.status, reply.headers)
        raise ApiFailure(
            405, f"the server does not allow this method on the requested resource ({verb})", "MethodNotAllowed"
        )

    # ---- reads ----------------------------------------------------------------------------------------

    def get(self, request: web.Request, route: Route) -> web.Response:
        rec = self.writer.record(route)
        if _wants_table(request):
            body = tables.table(
                route.resource,
                [rec.obj()],
                {"resourceVersion": str(rec.rv)},
                request.query.get("includeObject", "Metadata"),
            )
            return _json(orjson.dumps(body))
        return _json(rec.raw)

    async def list_objects(self, request: web.Request, route: Route) -> web.StreamResponse:
        q = request.query
        resource = route.resource
        labels = parse_labels(q.get("labelSelector"))
        fields = parse_fields(q.get("fieldSelector"), FIELDS[resource.plural])
        limit = bodies.int_param(q.get("limit"), "limit")
        if q.get("continue"):
            if q.get("resourceVersion") not in (None, ""):
                raise bad_request("specifying resource version is not allowed when using continue")
            rv, start = listing.decode_continue(q["continue"], self.store, resource)  # pages at the first one's rv
        else:
            rv, start = await self._list_version(resource, q.get("resourceVersion"), q.get("resourceVersionMatch")), ""
        if (
            rv == self.store.rv
            and route.ns is not None
            and resource.namespaced
            and not self.store.namespace_exists(route.ns)
        ):
            return _json(listing.list_bytes(resource, [], rv, None, None))  # as kube-apiserver: an empty list
        records, last, remaining = listing.select(self.store, resource, route.ns, labels, fields, limit, start, rv)
        cont = listing.encode_continue(rv, last) if last is not None else None
        if _wants_table(request):
            meta: dict[str, Any] = {"resourceVersion": str(rv)}
            if cont:
                meta["continue"] = cont
            body = tables.table(resource, (r.obj() for r in records), meta, q.get("includeObject", "Metadata"))
            return _json(orjson.dumps(body))
        if len(records) * 2048 < STREAM_LISTS_OVER:
            return _json(listing.list_bytes(resource, records, rv, cont, remaining))
        return await self._stream_list(
            request, listing.list_head(resource, rv, cont, remaining), [r.raw for r in records]
        )

    @staticmethod
    async def _stream_list(request: web.Request, head: bytes, raws: list[bytes]) -> web.StreamResponse:
        """Send a big list in pieces, so memory does not hold the whole body (twice, with the transport's copy).
        `raws` holds the versions selected now: later writes do not change what this response sends."""
        resp = web.StreamResponse(headers={"Content-Type": JSON})
        resp.enable_chunked_encoding()
        await resp.prepare(request)
        await resp.write(head)
        for piece in listing.chunks(raws, STREAM_LISTS_OVER):
            await resp.write(piece)
        await resp.write(b"]}")
        await resp.write_eof()
        return resp

    async def _list_version(self, resource: ResourceType, rv_text: str | None, match: str | None) -> int:
        """The resourceVersion to serve a list at: the current one, or with `Exact` the one asked for."""
        if match not in (None, "", "NotOlderThan", "Exact"):
            raise bad_request(f'resourceVersionMatch: Unsupported value: "{match}"')
        if rv_text in (None, ""):
            if match:
                raise bad_request("resourceVersionMatch is forbidden unless resourceVersion is provided")
            return self.store.rv
        rv = bodies.int_param(rv_text, "resourceVersion")
        if (failure := await self._caught_up(rv)) is not None:
            raise failure
        if match != "Exact":
            return self.store.rv
        if not listing.servable(self.store, resource, rv):
            floor = max(self.store.compacted, self.store.coll(resource).floor)
            raise ApiFailure(410, f"too old resource version: {rv} ({floor + 1})", "Expired")
        return rv

    async def _caught_up(self, rv: int) -> ApiFailure | None:
        """Wait for a version ahead of the store, as kube-apiserver's watch cache does (`waitUntilFreshAndBlock`);
        after 3 s the answer is 504 "Too large resource version"."""
        deadline = time.monotonic() + TOO_LARGE_WAIT_S
        while rv > self.store.rv and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        return too_large(rv, self.store.rv) if rv > self.store.rv else None

    # ---- watch ------------------------------------------------------------------------------------------

    async def watch(self, request: web.Request, route: Route) -> web.StreamResponse:
        q = request.query
        resource = route.resource
        labels = parse_labels(q.get("labelSelector"))
        fields = parse_fields(q.get("fieldSelector"), FIELDS[resource.plural])
        rv_text = q.get("resourceVersion") or ""
        rv = bodies.int_param(rv_text, "resourceVersion") if rv_text else 0
        bookmarks = q.get("allowWatchBookmarks") in TRUE
        initial = q.get("sendInitialEvents") in TRUE
        timeout = watch.timeout_for(q.get("timeoutSeconds"), self.rng)
        coll = self.store.coll(resource)
        if _wants_table(request):
            include = q.get("includeObject", "Metadata")
            watcher: watch.Watcher = watch.TableWatcher(resource, route.ns, labels, fields, include=include)
        else:
            watcher = watch.Watcher(resource, route.ns, labels, fields)
        if rv and not initial and rv < max(coll.floor, self.store.compacted):
            # As kube-apiserver's watch cache: 200, then one ERROR event with a 410 Status.
            message = f"too old resource version: {rv} ({max(coll.floor, self.store.compacted) + 1})"
            return await self._watch_error(request, watcher, orjson.dumps(expired_status(message)))
        if rv > self.store.rv:
            if not initial:  # kube-apiserver accepts it and sends only what comes after it
                watcher.after = rv
            elif (failure := await self._caught_up(rv)) is not None:  # sendInitialEvents waits, as a list does
                return await self._watch_error(request, watcher, failure.to_bytes())
        if initial or not rv:
            events = [Event(ADDED, r) for r in listing.matching(self.store, resource, route.ns, labels, fields)]
        else:
            events = [e for e in coll.since(rv) if watcher.accepts(e)]
        for ev in events:
            watcher.push_event(ev)
        if initial and bookmarks:
            watcher.push(watch.bookmark_line(resource, self.store.rv, initial_end=True))
        coll.watchers.add(watcher)
        try:
            every = self.bookmark_every if bookmarks else None
            return await watch.stream(request, watcher, lambda: self.store.rv, timeout, every)
        finally:
            coll.watchers.discard(watcher)

    async def _watch_error(self, request: web.Request, watcher: Watcher, status: bytes) -> web.StreamResponse:
        """HTTP 200 and one ERROR event holding `status`, as kube-apiserver answers a watch it cannot serve."""
        watcher.push(b'{"type":"ERROR","object":' + status + b"}\n")
        watcher.end("graceful")
        return await watch.stream(request, watcher, lambda: self.store.rv, 0.0, None)

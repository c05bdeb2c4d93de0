"""The Kubernetes resource endpoints: get, list, watch, create, delete, deletecollection.

Paths: `/api/v1[/namespaces/NS]/PLURAL[/NAME[/status]]` and the same under
`/apis/sparkoperator.k8s.io/v1beta2`. Writes go to the store and are told to the model (through the
driver), whose answers (pods, status) are applied before the response is sent.
"""

from __future__ import annotations

import asyncio
import random
import secrets
import time
from dataclasses import dataclass
from typing import Any

import orjson
from aiohttp import web

from benchkit.twin import bodies, listing, tables, watch
from benchkit.twin.driver import Driver
from benchkit.twin.record import Event, Record
from benchkit.twin.resources import DAEMONSETS, NAMESPACES, NODES, PODS, SPARK_APPS, ResourceType, lookup
from benchkit.twin.selectors import parse_fields, parse_labels
from benchkit.twin.status import ApiFailure, bad_request, expired_status, invalid, not_found, too_large
from benchkit.twin.store import ADDED, Store
from benchkit.twin.validation import admit
from benchkit.twin.watch import Watcher

JSON = "application/json"
STREAM_LISTS_OVER = 1 << 20  # bytes (estimated): bigger lists are written in pieces of this size
TOO_LARGE_WAIT_S = 3.0  # kube-apiserver's watch cache blockTimeout for a resourceVersion it has not reached
_TRUE = ("true", "True", "1")
_FIELDS = {
    "pods": ("metadata.name", "metadata.namespace", "spec.nodeName", "status.phase"),
    "nodes": ("metadata.name",),
    "namespaces": ("metadata.name", "status.phase"),
    "sparkapplications": ("metadata.name", "metadata.namespace"),
    "daemonsets": ("metadata.name", "metadata.namespace"),
}
_GENERATE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
_NAME_REQUIRED = {"reason": "FieldValueRequired", "message": "Required value: name or generateName is required",
                  "field": "metadata.name"}  # fmt: skip


@dataclass(frozen=True)
class Route:
    resource: ResourceType
    ns: str | None
    name: str | None
    sub: str


def parse_path(parts: list[str]) -> Route | None:
    """parts: the path split on "/" without the empty head, e.g. ["api", "v1", "namespaces", "a", "pods"]."""
    if parts[0] == "api" and len(parts) >= 3:
        group, version, rest = "", parts[1], parts[2:]
    elif parts[0] == "apis" and len(parts) >= 4:
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        return None
    ns = None
    if rest[0] == "namespaces" and len(rest) >= 3 and rest[2] not in ("status", "finalize"):
        ns, rest = rest[1], rest[2:]
    resource = lookup(group, version, rest[0])
    if resource is None or len(rest) > 3 or (ns is not None and not resource.namespaced):
        return None
    name = rest[1] if len(rest) >= 2 else None
    sub = rest[2] if len(rest) == 3 else ""
    if sub not in ("", "status"):
        return None
    return Route(resource, ns, name, sub)


def verb_of(method: str, route: Route, query: Any) -> str:
    if method == "GET":
        if route.name is not None:
            return "GET"
        return "WATCH" if query.get("watch") in _TRUE else "LIST"
    if method == "POST":
        return "POST"
    if method == "DELETE":
        return "DELETE" if route.name is not None else "DELETECOLLECTION"
    return method


def _wants_table(request: web.Request) -> bool:
    return "as=Table" in request.headers.get("Accept", "")


def _json(body: bytes, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(body=body, status=status, content_type=JSON, headers=headers)


class KubeApi:
    def __init__(self, store: Store, driver: Driver, bookmark_every: float, seed: int) -> None:
        self.store = store
        self.driver = driver
        self.bookmark_every = bookmark_every
        self.rng = random.Random(seed)

    async def handle(self, request: web.Request, route: Route, verb: str) -> web.StreamResponse:
        if route.resource is DAEMONSETS and verb not in ("GET", "LIST", "WATCH"):
            raise ApiFailure(405, "the twin's DaemonSets are the cluster's own (aws-node, kube-proxy, ebs-csi-node, "
                                  "node-exporter): read-only", "MethodNotAllowed")  # fmt: skip
        if verb == "GET":
            return self.get(request, route)
        if verb == "LIST":
            return await self.list_objects(request, route)
        if verb == "WATCH":
            return await self.watch(request, route)
        if verb == "POST" and route.name is None and (route.ns is not None or not route.resource.namespaced):
            return self.create(route, await request.read(), request.query)
        if verb == "DELETE" and not route.sub:
            return self.delete(route, await request.read())
        if verb == "DELETECOLLECTION" and (route.ns is not None or not route.resource.namespaced):
            return self.delete_collection(request, route)
        raise ApiFailure(
            405, f"the server does not allow this method on the requested resource ({verb})", "MethodNotAllowed"
        )

    # ---- reads ----------------------------------------------------------------------------------------

    def _record(self, route: Route) -> Record:
        assert route.name is not None
        rec = self.store.get(route.resource, route.ns or "", route.name)
        if rec is None:
            if route.resource.namespaced and not self.store.namespace_exists(route.ns or ""):
                raise not_found("namespaces", "", route.ns or "")
            raise not_found(route.resource.plural, route.resource.group, route.name)
        return rec

    def get(self, request: web.Request, route: Route) -> web.Response:
        rec = self._record(route)
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
        fields = parse_fields(q.get("fieldSelector"), _FIELDS[resource.plural])
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
        fields = parse_fields(q.get("fieldSelector"), _FIELDS[resource.plural])
        rv_text = q.get("resourceVersion") or ""
        rv = bodies.int_param(rv_text, "resourceVersion") if rv_text else 0
        bookmarks = q.get("allowWatchBookmarks") in _TRUE
        initial = q.get("sendInitialEvents") in _TRUE
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

    # ---- writes -----------------------------------------------------------------------------------------

    def create(self, route: Route, body: bytes, q: Any) -> web.Response:
        resource = route.resource
        obj = bodies.decode_object(body, resource)
        meta = obj["metadata"]
        if resource.namespaced:
            if meta.get("namespace") not in (None, "", route.ns):
                raise bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request"
                )
            meta["namespace"] = route.ns
        else:
            meta.pop("namespace", None)
        if not meta.get("name"):
            if not meta.get("generateName"):
                raise invalid(resource.kind, resource.group, "", [_NAME_REQUIRED])
            meta["name"] = meta["generateName"] + "".join(secrets.choice(_GENERATE_ALPHABET) for _ in range(5))
        if resource is NODES:
            raise ApiFailure(
                405,
                "nodes are managed by the twin's node groups: POST /twin/v1/nodegroups/<group>/scale",
                "MethodNotAllowed",
            )
        if bodies.int_or_zero(meta.get("resourceVersion")):
            # etcd3 store.Create (storage.ErrResourceVersionSetOnCreate): a plain error, so 500 without a reason
            raise ApiFailure(500, "resourceVersion should not be set on objects to be created", "")
        warnings = admit(resource, obj, strict=q.get("fieldValidation") == "Strict")
        if resource is PODS:
            obj["status"] = {"phase": "Pending", "qosClass": "BestEffort"}
        elif resource is NAMESPACES:
            obj["status"] = {"phase": "Active"}
        headers = {"Warning": ", ".join(f'299 - "{_quote(w)}"' for w in warnings)} if warnings else None
        if q.get("dryRun") == "All":
            if resource.namespaced and not self.store.namespace_exists(route.ns or ""):
                raise not_found("namespaces", "", route.ns or "")
            return _json(orjson.dumps(obj), 201, headers)
        now = time.time()
        rec = self.store.create(resource, obj, now)
        if resource is SPARK_APPS:
            self.driver.app_created(rec, obj, now)
        return _json(rec.raw, 201, headers)

    def delete(self, route: Route, body: bytes) -> web.Response:
        rec = self._record(route)
        bodies.check_preconditions(route.resource, rec, bodies.preconditions(body))
        return _json(self._delete(route.resource, rec, time.time()).raw)

    def _delete(self, resource: ResourceType, rec: Record, now: float) -> Record:
        if resource is NODES:
            raise ApiFailure(
                405,
                "nodes are managed by the twin's node groups: POST /twin/v1/nodegroups/<group>/scale",
                "MethodNotAllowed",
            )
        if resource is NAMESPACES:
            for plural in (SPARK_APPS, PODS):
                for child in list(self.store.records(plural, rec.name)):
                    self._delete(plural, child, now)
        gone_rec = self.store.delete(resource, rec.ns, rec.name, now)
        assert gone_rec is not None
        if resource is SPARK_APPS:
            self.driver.app_deleted(rec.ns, rec.name, now)
        elif resource is PODS:
            self.driver.pod_deleted(rec.ns, rec.name, now)
        return gone_rec

    def delete_collection(self, request: web.Request, route: Route) -> web.Response:
        q = request.query
        labels = parse_labels(q.get("labelSelector"))
        fields = parse_fields(q.get("fieldSelector"), _FIELDS[route.resource.plural])
        records = listing.matching(self.store, route.resource, route.ns, labels, fields)
        now = time.time()
        deleted = [self._delete(route.resource, rec, now) for rec in records]
        return _json(listing.list_bytes(route.resource, deleted, self.store.rv, None, None))


def _quote(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')

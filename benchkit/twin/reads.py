"""The API's reads: get, list and watch. `parse` turns a request's route, query and Accept header into a
`ReadRequest` (plain data, every parameter checked); `Reader` serves one from the store. No web server here:
the HTTP layer (`api.py`) only writes what `Reader` returns.

Failures are `ApiFailure`s: a selector or parameter that does not parse is 400; list options that parse but do
not go together (resourceVersionMatch without resourceVersion, or with continue, ...) are 422 Invalid ListOptions,
as kube-apiserver checks them before reading (kubernetes/apiserver v0.31.0 to v0.33.0
`pkg/endpoints/handlers/get.go` ListResource: `errors.NewInvalid(ListOptions.meta.k8s.io, "", errs)` over
kubernetes/apimachinery v0.31.0 to v0.33.0 `pkg/apis/meta/internalversion/validation/validation.go`
ValidateListOptions); a list at a compacted resourceVersion 410, one ahead of the store 504 after the watch cache's
wait; a watch that cannot be served is 200 with one ERROR event.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import orjson

from benchkit.twin import bodies, listing, tables, watch
from benchkit.twin.record import Event, Record
from benchkit.twin.routes import TRUE, Reply, Route
from benchkit.twin.selectors import EVERYTHING, NO_FIELDS, FieldSelector, LabelSelector, parse_fields, parse_labels
from benchkit.twin.status import ApiFailure, bad_request, expired_status, gone, invalid, not_found, too_large
from benchkit.twin.store import ADDED, Store

FIELDS = {
    "pods": ("metadata.name", "metadata.namespace", "spec.nodeName", "status.phase"),
    "nodes": ("metadata.name",),
    "namespaces": ("metadata.name", "status.phase"),
    "configmaps": ("metadata.name", "metadata.namespace"),
    "serviceaccounts": ("metadata.name", "metadata.namespace"),
    "sparkapplications": ("metadata.name", "metadata.namespace"),
    "daemonsets": ("metadata.name", "metadata.namespace"),
}
"""Field selector keys each resource supports."""
READS = ("GET", "LIST", "WATCH")
STREAM_LISTS_OVER = 1 << 20  # bytes (estimated): bigger lists are written in pieces of this size
TOO_LARGE_WAIT_S = 3.0  # kube-apiserver's watch cache blockTimeout for a resourceVersion it has not reached
_MATCHES = ("Exact", "NotOlderThan")


@dataclass(frozen=True)
class ReadRequest:
    """A get, list or watch with its parameters parsed. `resource_version` None: not given."""

    verb: str
    route: Route
    table: bool = False
    """Accept asks for `as=Table` (kubectl get)."""
    include_object: str = "Metadata"
    labels: LabelSelector = EVERYTHING
    fields: FieldSelector = NO_FIELDS
    limit: int = 0
    cont: tuple[int, str] | None = None
    """A list's decoded `continue`: (the first page's resourceVersion, the key to go on from)."""
    resource_version: int | None = None
    exact: bool = False
    """resourceVersionMatch=Exact: the list as it was at `resource_version`."""
    bookmarks: bool = False
    initial: bool = False
    """sendInitialEvents."""
    timeout: float | None = None
    """A watch's timeoutSeconds; None: the server's randomised default."""


def selectors(route: Route, query: Mapping[str, str]) -> tuple[LabelSelector, FieldSelector]:
    """labelSelector and fieldSelector (400 for a bad one, or a field the resource does not support)."""
    labels = parse_labels(query.get("labelSelector"))
    return labels, parse_fields(query.get("fieldSelector"), FIELDS[route.resource.plural])


def parse(verb: str, route: Route, query: Mapping[str, str], accept: str = "") -> ReadRequest:
    """The read `verb` (GET, LIST or WATCH, see `routes.verb_of`) with its query and Accept header checked."""
    table = "as=Table" in accept
    include = query.get("includeObject", "Metadata")
    if verb == "GET":
        return ReadRequest(verb, route, table, include)
    labels, fields = selectors(route, query)
    rv_text = query.get("resourceVersion") or ""
    if verb == "WATCH":
        rv = bodies.int_param(rv_text, "resourceVersion") if rv_text else None
        seconds_text = query.get("timeoutSeconds")
        seconds = bodies.int_param(seconds_text, "timeoutSeconds") if seconds_text else None
        _check_list_options(verb, query)
        return ReadRequest(verb, route, table, include, labels, fields, resource_version=rv,
                           bookmarks=query.get("allowWatchBookmarks") in TRUE,
                           initial=query.get("sendInitialEvents") in TRUE,
                           timeout=float(seconds) if seconds is not None else None)  # fmt: skip
    limit = bodies.int_param(query.get("limit"), "limit")
    _check_list_options(verb, query)
    if token := query.get("continue"):
        if rv_text not in ("", "0"):  # etcd3 store.go resolveGetListRev (v0.31.0), storage/interfaces.go (v0.33.0)
            raise bad_request("specifying resource version is not allowed when using continue")
        return ReadRequest(verb, route, table, include, labels, fields, limit, listing.parse_continue(token))
    if not rv_text:
        return ReadRequest(verb, route, table, include, labels, fields, limit)
    rv = bodies.int_param(rv_text, "resourceVersion")
    return ReadRequest(verb, route, table, include, labels, fields, limit, resource_version=rv,
                       exact=query.get("resourceVersionMatch") == "Exact")  # fmt: skip


def _check_list_options(verb: str, query: Mapping[str, str]) -> None:
    """422 Invalid ListOptions for options that do not go together, every reason at once, in ValidateListOptions'
    order (apimachinery v0.31.0 `pkg/apis/meta/internalversion/validation/validation.go`; the same at v0.33.0).
    The WatchList feature gate's own check (sendInitialEvents on a watch) is not modelled: the twin serves it."""
    match = query.get("resourceVersionMatch") or ""
    initial = "sendInitialEvents" in query  # a *bool in ListOptions: set, whatever its value
    causes = _watch_causes(match, initial, query) if verb == "WATCH" else _list_causes(match, initial, query)
    if causes:
        raise invalid("ListOptions", "meta.k8s.io", "", causes)


def _watch_causes(match: str, initial: bool, query: Mapping[str, str]) -> list[dict[str, str]]:
    causes = []
    if initial and match != "NotOlderThan":
        causes.append(_forbidden("sendInitialEvents requires setting resourceVersionMatch to NotOlderThan"))
    if match:
        if not initial:
            why = "resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided"
            causes.append(_forbidden(why))
        if match != "NotOlderThan":
            causes.append(_unsupported(match, ("NotOlderThan",)))
        if query.get("continue"):
            causes.append(_forbidden("resourceVersionMatch is forbidden when continue is provided"))
    return causes


def _list_causes(match: str, initial: bool, query: Mapping[str, str]) -> list[dict[str, str]]:
    causes = []
    if match:
        if not query.get("resourceVersion"):
            causes.append(_forbidden("resourceVersionMatch is forbidden unless resourceVersion is provided"))
        if query.get("continue"):
            causes.append(_forbidden("resourceVersionMatch is forbidden when continue is provided"))
        if match not in _MATCHES:
            causes.append(_unsupported(match, (*_MATCHES, "")))
        if match == "Exact" and query.get("resourceVersion") == "0":
            causes.append(_forbidden('resourceVersionMatch "exact" is forbidden for resourceVersion "0"'))
    if initial:
        causes.append(_forbidden("sendInitialEvents is forbidden for list", "sendInitialEvents"))
    return causes


def _forbidden(detail: str, field: str = "resourceVersionMatch") -> dict[str, str]:
    """field.Forbidden as a Status cause (`ErrorBody()`: the type, then the detail)."""
    return {"reason": "FieldValueForbidden", "message": f"Forbidden: {detail}", "field": field}


def _unsupported(value: str, supported: tuple[str, ...]) -> dict[str, str]:
    """field.NotSupported as a Status cause: the value and the supported ones, each Go-quoted."""
    listed = ", ".join(f'"{v}"' for v in supported)
    return {"reason": "FieldValueNotSupported", "field": "resourceVersionMatch",
            "message": f'Unsupported value: "{value}": supported values: {listed}'}  # fmt: skip


def existing(store: Store, route: Route) -> Record:
    """The object a route names; 404 for it, or for its namespace when that is what is missing."""
    assert route.name is not None
    rec = store.get(route.resource, route.ns or "", route.name)
    if rec is None:
        if route.resource.namespaced and not store.namespace_exists(route.ns or ""):
            raise not_found("namespaces", "", route.ns or "")
        raise not_found(route.resource.plural, route.resource.group, route.name)
    return rec


@dataclass(frozen=True)
class ListPieces:
    """A list too big to build as one body: its head, then the items (versions selected now), then `]}`."""

    head: bytes
    raws: list[bytes]


@dataclass
class OpenWatch:
    """A watch ready to stream: its watcher (initial events buffered), how long it lasts, how often a bookmark
    goes out (None: never), and `close` to call when the stream ends."""

    watcher: watch.Watcher
    timeout: float
    bookmark_every: float | None
    close: Callable[[], None] = lambda: None


def _json(body: bytes) -> Reply:
    return Reply(200, body)


class Reader:
    def __init__(self, store: Store, bookmark_every: float, seed: int) -> None:
        self.store = store
        self.bookmark_every = bookmark_every
        self.rng = random.Random(seed)

    def get(self, req: ReadRequest) -> Reply:
        rec = existing(self.store, req.route)
        if req.table:
            meta = {"resourceVersion": str(rec.rv)}
            return _json(orjson.dumps(tables.table(req.route.resource, [rec.obj()], meta, req.include_object)))
        return _json(rec.raw)

    async def list(self, req: ReadRequest) -> Reply | ListPieces:
        route, resource = req.route, req.route.resource
        if req.cont is not None:
            rv, start = req.cont  # pages at the first one's rv
            if not listing.servable(self.store, resource, rv):
                raise gone(listing.CONTINUE_EXPIRED)
        else:
            rv, start = await self._list_version(req), ""
        if (
            rv == self.store.rv
            and route.ns is not None
            and resource.namespaced
            and not self.store.namespace_exists(route.ns)
        ):
            return _json(listing.list_bytes(resource, [], rv, None, None))  # as kube-apiserver: an empty list
        records, last, remaining = listing.select(self.store, resource, route.ns, req.labels, req.fields, req.limit,
                                                  start, rv)  # fmt: skip
        cont = listing.encode_continue(rv, last) if last is not None else None
        if req.table:
            meta: dict[str, str] = {"resourceVersion": str(rv)}
            if cont:
                meta["continue"] = cont
            body = tables.table(resource, (r.obj() for r in records), meta, req.include_object)
            return _json(orjson.dumps(body))
        if len(records) * 2048 < STREAM_LISTS_OVER:
            return _json(listing.list_bytes(resource, records, rv, cont, remaining))
        return ListPieces(listing.list_head(resource, rv, cont, remaining), [r.raw for r in records])

    async def _list_version(self, req: ReadRequest) -> int:
        """The resourceVersion to serve a list at: the current one, or with `Exact` the one asked for."""
        rv = req.resource_version
        if rv is None:
            return self.store.rv
        if (failure := await self.caught_up(rv)) is not None:
            raise failure
        if not req.exact:
            return self.store.rv
        if not listing.servable(self.store, req.route.resource, rv):
            floor = max(self.store.compacted, self.store.coll(req.route.resource).floor)
            raise ApiFailure(410, f"too old resource version: {rv} ({floor + 1})", "Expired")
        return rv

    async def caught_up(self, rv: int) -> ApiFailure | None:
        """Wait for a version ahead of the store, as kube-apiserver's watch cache does (`waitUntilFreshAndBlock`);
        after 3 s the answer is 504 "Too large resource version"."""
        deadline = time.monotonic() + TOO_LARGE_WAIT_S
        while rv > self.store.rv and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        return too_large(rv, self.store.rv) if rv > self.store.rv else None

    async def watch(self, req: ReadRequest) -> OpenWatch:
        """The watcher with its initial events, registered with the store (`close` unregisters it); or one that
        sends a single ERROR event, as kube-apiserver answers a watch it cannot serve."""
        route, resource, store = req.route, req.route.resource, self.store
        rv = req.resource_version or 0
        timeout = watch.timeout_for(req.timeout, self.rng)
        coll = store.coll(resource)
        if req.table:
            watcher: watch.Watcher = watch.TableWatcher(resource, route.ns, req.labels, req.fields,
                                                        include=req.include_object)  # fmt: skip
        else:
            watcher = watch.Watcher(resource, route.ns, req.labels, req.fields)
        if rv and not req.initial and rv < max(coll.floor, store.compacted):
            # As kube-apiserver's watch cache: 200, then one ERROR event with a 410 Status.
            message = f"too old resource version: {rv} ({max(coll.floor, store.compacted) + 1})"
            return _error(watcher, orjson.dumps(expired_status(message)))
        if rv > store.rv:
            if not req.initial:  # kube-apiserver accepts it and sends only what comes after it
                watcher.after = rv
            elif (failure := await self.caught_up(rv)) is not None:  # sendInitialEvents waits, as a list does
                return _error(watcher, failure.to_bytes())
        if req.initial or not rv:
            events = [Event(ADDED, r) for r in listing.matching(store, resource, route.ns, req.labels, req.fields)]
        else:
            events = [e for e in coll.since(rv) if watcher.accepts(e)]
        for ev in events:
            watcher.push_event(ev)
        if req.initial and req.bookmarks:
            watcher.push(watch.bookmark_line(resource, store.rv, initial_end=True))
        coll.watchers.add(watcher)
        every = self.bookmark_every if req.bookmarks else None
        return OpenWatch(watcher, timeout, every, lambda: coll.watchers.discard(watcher))


def _error(watcher: watch.Watcher, status: bytes) -> OpenWatch:
    """HTTP 200 and one ERROR event holding `status`, then the end."""
    watcher.push(b'{"type":"ERROR","object":' + status + b"}\n")
    watcher.end("graceful")
    return OpenWatch(watcher, 0.0, None)

"""The Kubernetes resource endpoints over HTTP: the one place that turns an aiohttp request into a parsed
`ReadRequest` (get, list, watch: served by `reads.Reader`) or `WriteRequest` (create, update, patch, delete,
deletecollection: handled by `writes.Writer`), and their answers into responses.

Paths: `/api/v1[/namespaces/NS]/PLURAL[/NAME[/status]]` and the same under `/apis/<group>/<version>`.
"""

from __future__ import annotations

from aiohttp import web

from benchkit.twin import reads, streams
from benchkit.twin.driver import Driver
from benchkit.twin.routes import Reply, Route, WriteRequest
from benchkit.twin.status import ApiFailure
from benchkit.twin.store import Store
from benchkit.twin.writes import Writer

_WRITES = ("POST", "PUT", "PATCH", "DELETE", "DELETECOLLECTION")


def _response(reply: Reply) -> web.Response:
    return web.Response(body=reply.body, status=reply.status, content_type="application/json", headers=reply.headers)


class KubeApi:
    def __init__(self, store: Store, driver: Driver, bookmark_every: float, seed: int) -> None:
        self.store = store
        self.reader = reads.Reader(store, bookmark_every, seed)
        self.writer = Writer(store, driver)

    async def handle(self, request: web.Request, route: Route, verb: str) -> web.StreamResponse:
        if verb in reads.READS:
            req = reads.parse(verb, route, request.query, request.headers.get("Accept", ""))
            if verb == "GET":
                return _response(self.reader.get(req))
            if verb == "LIST":
                listed = await self.reader.list(req)
                if isinstance(listed, reads.ListPieces):
                    return await streams.big_list(request, listed.head, listed.raws, reads.STREAM_LISTS_OVER)
                return _response(listed)
            opened = await self.reader.watch(req)
            try:
                return await streams.watch(request, opened.watcher, lambda: self.store.rv, opened.timeout,
                                           opened.bookmark_every)  # fmt: skip
            finally:
                opened.close()
        if verb in _WRITES:
            write = WriteRequest(verb, route, await request.read(), request.headers.get("Content-Type", ""),
                                 request.query)  # fmt: skip
            return _response(self.writer.handle(write))
        raise ApiFailure(
            405, f"the server does not allow this method on the requested resource ({verb})", "MethodNotAllowed"
        )

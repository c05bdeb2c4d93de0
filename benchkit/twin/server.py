"""The twin's HTTPS server: authentication, routing, faults, metrics, and its start/stop lifecycle."""

from __future__ import annotations

import asyncio
import hmac
import importlib
import logging
import os
import secrets
import signal
import socket
import time
from typing import Any, cast

import orjson
from aiohttp import web

from benchkit.errors import ConfigError
from benchkit.twin import kubeconfig, openapi, persist, preflight, resources, tls, validation
from benchkit.twin.admin import Admin
from benchkit.twin.api import KubeApi
from benchkit.twin.config import TwinOptions
from benchkit.twin.driver import Driver
from benchkit.twin.faults import Faults
from benchkit.twin.metrics import RequestKey, RequestStats, TwinCollector, registry, render
from benchkit.twin.model.interface import ModelFactory
from benchkit.twin.restore import refeed, seed_cluster
from benchkit.twin.routes import Route, parse_path, verb_of
from benchkit.twin.status import ApiFailure, from_storage
from benchkit.twin.store import StorageError, Store

log = logging.getLogger(__name__)
_WRITES = ("POST", "PUT", "PATCH", "DELETE", "DELETECOLLECTION")
_PATHS = ["/api", "/api/v1", "/apis", "/apis/apps/v1", f"/apis/{resources.SPARK_GROUP}/{resources.SPARK_VERSION}",
          "/healthz", "/livez", "/metrics", "/readyz", "/twin/v1", "/version"]  # fmt: skip
_NOT_FOUND = ApiFailure(404, "the server could not find the requested resource", "NotFound")
_SHUTTING_DOWN = ApiFailure(503, "the twin is shutting down; retry", "ServiceUnavailable")
DRAIN_S = 5.0
"""How long stop() waits for writes in flight before saving anyway."""


def default_factory() -> ModelFactory:
    return cast(ModelFactory, importlib.import_module("benchkit.twin.model").build_model)


class TwinServer:
    """Build with options, `await start()`, serve, `await stop()` (which saves --state-dir)."""

    def __init__(self, options: TwinOptions, factory: ModelFactory | None = None) -> None:
        self.options = options
        self.factory = factory or default_factory()
        self.faults = Faults(options.fault_rate, options.api_latency_ms, options.watch_cut_every, options.seed)
        self.stats = RequestStats()
        self.port = 0
        self._runner: web.AppRunner | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False
        self._writes_in_flight = 0

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.options.host in ("0.0.0.0", "::", "localhost") else self.options.host
        return f"https://[{host}]:{self.port}" if ":" in host else f"https://{host}:{self.port}"

    async def start(self) -> None:
        opts = self.options
        state = opts.state_dir
        if opts.kubeconfig is not None:
            preflight.check_kubeconfig(opts.kubeconfig)
        if state is not None:
            preflight.check_state_dir(state)
        saved_creds = persist.load_credentials(state) if state else None
        self.creds, self.token = saved_creds or (tls.generate((opts.host,)), secrets.token_urlsafe(32))
        loaded = persist.load_objects(state, opts.watch_history) if state else None
        self.store = loaded[0] if loaded else Store(opts.watch_history)
        try:
            model = self.factory(opts.profile, nodes=opts.nodes, max_pods=opts.max_pods, seed=opts.seed,
                                 operator_workers=opts.operator_workers, operator_cpus=opts.operator_cpus,
                                 webhook=opts.webhook == "on")  # fmt: skip
        except ValueError as exc:
            raise ConfigError(f"model: {exc}") from None
        self.driver = Driver(model, self.store)
        now = time.time()
        seed_cluster(self.store, self.driver, opts.namespaces, now)
        if loaded:
            refeed(self.store, self.driver, loaded[1], loaded[2], now)
        self.api = KubeApi(self.store, self.driver, opts.bookmark_every, opts.seed)
        self.admin = Admin(self.store, self.driver, self.faults, self.stats, self.cut_watches, load=self._load)
        self.metrics = registry(TwinCollector(self.stats, self.store, lambda: self.driver.model.metrics(time.time()),
                                              operator_chart=opts.operator_chart))  # fmt: skip
        validation.preload()
        await self._listen()
        try:
            if state and saved_creds is None:
                persist.save_credentials(state, self.creds, self.token)
            if opts.kubeconfig is not None:
                kubeconfig.write(opts.kubeconfig, kubeconfig.kubeconfig(self.url, self.creds.ca_pem, self.token))
        except OSError as exc:  # checked above; this is a race (the disk filled, a directory vanished)
            assert self._runner is not None
            await self._runner.cleanup()
            raise ConfigError(f"cannot write {exc.filename or 'the state dir'}: {exc.strerror or exc}") from None
        self.driver.start()
        self._tasks.append(asyncio.get_running_loop().create_task(self._cutter(), name="twin-watch-cutter"))

    async def _listen(self) -> None:
        app = web.Application(client_max_size=8 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=2.0)
        await self._runner.setup()
        ssl_context = tls.server_context(self.creds)
        site = web.TCPSite(self._runner, self.options.host, self.options.port, ssl_context=ssl_context,
                           reuse_address=True, backlog=1024)  # fmt: skip
        try:
            await site.start()
        except OSError as exc:
            await self._runner.cleanup()
            raise ConfigError(
                f"cannot listen on {self.options.host}:{self.options.port}: {exc.strerror or exc}"
            ) from None
        server = cast(Any, site._server)
        sock: socket.socket = server.sockets[0]
        self.port = sock.getsockname()[1]

    def _load(self) -> dict[str, int]:
        server = self._runner.server if self._runner is not None else None
        return {"connections": len(server.connections) if server is not None else 0,
                "writesInFlight": self._writes_in_flight}  # fmt: skip

    async def stop(self) -> None:
        """Refuse new requests, let writes in flight finish, end watches, stop the model, save, close.

        The save comes after the last write that was answered: a create acknowledged with 201 is never lost
        across a --state-dir restart (requests arriving meanwhile get 503, which clients retry).
        """
        self._stopping = True
        deadline = time.monotonic() + DRAIN_S
        while self._writes_in_flight and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        if self._writes_in_flight:
            log.warning("twin: stopping with %d write(s) still in flight", self._writes_in_flight)
        for task in self._tasks:
            task.cancel()
        self.cut_watches("graceful")
        await self.driver.stop()
        if self.options.state_dir is not None:
            transitions = [{**t.to_json(), "labels": t.labels} for t in self.driver.transitions]
            persist.save_objects(self.options.state_dir, self.store, transitions, self.driver.node_groups)
        if self._runner is not None:
            await self._runner.cleanup()

    def cut_watches(self, how: str) -> int:
        n = 0
        for coll in self.store.collections.values():
            for w in list(coll.watchers):
                w.end(how)  # type: ignore[attr-defined]
                n += 1
        if how == "abort":
            self.admin.watch_cuts += n
        return n

    async def _cutter(self) -> None:
        last = time.monotonic()
        while True:
            await asyncio.sleep(0.2)
            every = self.faults.watch_cut_every
            if every is None:
                last = time.monotonic()
            elif time.monotonic() - last >= every:
                self.cut_watches("abort")
                last = time.monotonic()

    # ---- requests ---------------------------------------------------------------------------------------

    def _authorized(self, request: web.Request) -> bool:
        header = request.headers.get("Authorization", "")
        return header.startswith("Bearer ") and hmac.compare_digest(header[7:].strip(), self.token)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        started = time.perf_counter()
        parts = [p for p in request.path.split("/") if p]
        key: RequestKey | None = None
        code = 500
        try:
            if not self._authorized(request):
                raise ApiFailure(401, "Unauthorized", "Unauthorized")
            if self._stopping:
                raise _SHUTTING_DOWN
            if parts[:2] == ["twin", "v1"]:
                return await self.admin.handle(request, parts[2:])
            route = parse_path(parts) if len(parts) >= 3 and parts[0] in ("api", "apis") else None
            if route is None:
                key = ("GET" if request.method == "GET" else request.method, "", "", "", "", "")
                if request.method != "GET" and parts[:1] in (["api"], ["apis"]):
                    raise _NOT_FOUND  # a resource the twin does not serve, as kube-apiserver answers it
                with self.stats.flow.seat(request.path):
                    resp = self._non_resource(request, parts)
            else:
                verb = verb_of(request.method, route, request.query)
                key = _key(verb, route)
                if verb == "WATCH":  # holds a seat only in its initial stage, which the twin does not model
                    resp = await self._resource(request, route, verb, key)
                else:
                    with self.stats.flow.seat(request.path):
                        resp = await self._resource(request, route, verb, key)
            code = resp.status
            return resp
        except (ApiFailure, StorageError) as caught:
            exc = from_storage(caught) if isinstance(caught, StorageError) else caught
            code = exc.code
            headers = {"Retry-After": "1"} if exc.code in (429, 503, 504) else None
            return web.Response(body=exc.to_bytes(), status=exc.code, content_type="application/json", headers=headers)
        finally:
            if key is not None and code:
                self.stats.observe(key, code, time.perf_counter() - started)

    async def _resource(self, request: web.Request, route: Route, verb: str, key: RequestKey) -> web.StreamResponse:
        if verb not in _WRITES:
            return await self._serve(request, route, verb, key)
        self._writes_in_flight += 1
        try:
            return await self._serve(request, route, verb, key)
        finally:
            self._writes_in_flight -= 1

    async def _serve(self, request: web.Request, route: Route, verb: str, key: RequestKey) -> web.StreamResponse:
        if self.faults.latency_ms:
            await asyncio.sleep(self.faults.latency)
        fault = self.faults.pick() if verb in _WRITES else None
        if fault == "429":
            self.stats.flow.reject(request.path)
            raise ApiFailure(
                429, "the server has received too many requests and has asked us to try again later", "TooManyRequests"
            )
        if fault == "500":
            raise ApiFailure(500, "Internal error occurred: injected by the twin (--fault-rate)", "InternalError")
        if fault == "reset" and self.faults.reset_before_write:
            return self._drop(request)
        if verb == "WATCH":
            self.stats.longrunning[key] += 1
            try:
                return await self.api.handle(request, route, verb)
            finally:
                self.stats.longrunning[key] -= 1
        resp = await self.api.handle(request, route, verb)
        if fault == "reset":
            return self._drop(request)
        return resp

    @staticmethod
    def _drop(request: web.Request) -> web.StreamResponse:
        """Close the connection without a response (the client sees a reset / empty reply)."""
        if request.transport is not None:
            request.transport.abort()
        return web.Response(status=204)

    def _non_resource(self, request: web.Request, parts: list[str]) -> web.StreamResponse:  # noqa: PLR0911 - a routing table
        if request.method != "GET":
            raise ApiFailure(405, "the server does not allow this method on the requested resource", "MethodNotAllowed")
        path = "/" + "/".join(parts)
        if path == "/api":
            return _json(resources.core_versions(f"127.0.0.1:{self.port}"))
        if path == "/api/v1":
            return _json(resources.resource_list("v1", [r for r in resources.ALL if not r.group]))
        if path == "/apis":
            return _json(resources.group_list())
        if len(parts) == 2 and parts[0] == "apis" and (group := resources.group(parts[1])) is not None:
            return _json(group)
        if len(parts) == 3 and parts[0] == "apis" and (served := resources.group_resources(parts[1], parts[2])):
            return _json(resources.resource_list(f"{parts[1]}/{parts[2]}", served))
        if path == "/version":
            return _json(resources.KUBE_VERSION)
        if path == "/openapi/v3":
            return _json(openapi.index())
        if path.startswith("/openapi/v3/") and (doc := openapi.document(path.split("/", 4)[4])):
            return web.Response(body=doc, content_type="application/json")
        if path in ("/healthz", "/livez", "/readyz"):
            return web.Response(text="ok")
        if path == "/metrics":
            return web.Response(body=render(self.metrics), content_type="text/plain", charset="utf-8")
        if path == "/":
            return _json({"paths": _PATHS})
        raise _NOT_FOUND


def _key(verb: str, route: Route) -> RequestKey:
    r = route.resource
    scope = "resource" if route.name is not None else ("namespace" if route.ns is not None else "cluster")
    return (verb, r.group, r.version, r.plural, route.sub, scope)


def _json(data: Any) -> web.Response:
    return web.Response(body=orjson.dumps(data), content_type="application/json")


async def serve(options: TwinOptions, ready: Any = None, factory: ModelFactory | None = None) -> None:
    """Run until SIGINT/SIGTERM. `ready(server)` is called once listening (the CLI prints its line)."""
    server = TwinServer(options, factory)
    await server.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    if options.exit_with_parent:
        server._tasks.append(loop.create_task(_watch_parent(os.getppid(), stop), name="twin-parent-watch"))
    if ready is not None:
        ready(server)
    try:
        await stop.wait()
    finally:
        await server.stop()


async def _watch_parent(parent: int, stop: asyncio.Event) -> None:
    """Stop (cleanly, saving --state-dir) once the process that started the twin is gone."""
    while os.getppid() == parent:
        await asyncio.sleep(1.0)
    log.warning("parent process %d exited: stopping", parent)
    stop.set()

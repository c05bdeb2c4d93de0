"""The twin's own endpoints under `/twin/v1/` (tests and benchmarks use them; benchkit never does).

GET  /twin/v1/history?labelSelector=...    server-side app state transitions
GET  /twin/v1/stats                        requests, objects, watchers, faults injected, open connections and
                                           writes in flight
POST /twin/v1/nodegroups/<group>/scale     {"count": N}
POST /twin/v1/faults                       {"fault_rate", "api_latency_ms", "watch_cut_every", "seed",
                                            "reset_before_write", "cut_watches", "compact"}
See benchkit/twin/README.md.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import orjson
from aiohttp import web

from benchkit.twin.driver import Driver
from benchkit.twin.faults import Faults
from benchkit.twin.metrics import RequestStats
from benchkit.twin.resources import ALL
from benchkit.twin.selectors import parse_labels
from benchkit.twin.status import ApiFailure, bad_request
from benchkit.twin.store import Store


def _json(data: Any, status: int = 200) -> web.Response:
    return web.Response(body=orjson.dumps(data), status=status, content_type="application/json")


class Admin:
    def __init__(
        self,
        store: Store,
        driver: Driver,
        faults: Faults,
        stats: RequestStats,
        cut_watches: Callable[[str], int],
        *,
        load: Callable[[], dict[str, int]] = dict,
    ) -> None:
        self.store = store
        self.driver = driver
        self.faults = faults
        self.stats = stats
        self.cut_watches = cut_watches
        self.load = load  # {"connections": open HTTP connections (this request's too), "writesInFlight": N}
        self.watch_cuts = 0

    async def handle(self, request: web.Request, parts: list[str]) -> web.Response:
        """parts: the path after /twin/v1/."""
        method = request.method
        if parts == ["history"] and method == "GET":
            return self.history(request)
        if parts == ["stats"] and method == "GET":
            return _json(self.stats_body())
        if len(parts) == 3 and parts[0] == "nodegroups" and parts[2] == "scale" and method == "POST":
            return self.scale(parts[1], await _body(request))
        if parts == ["faults"] and method == "POST":
            return self.set_faults(await _body(request))
        if parts == ["faults"] and method == "GET":
            return _json(self.faults_body())
        raise ApiFailure(404, f"no twin endpoint {method} /twin/v1/{'/'.join(parts)}", "NotFound")

    def history(self, request: web.Request) -> web.Response:
        selector = parse_labels(request.query.get("labelSelector"))
        ns = request.query.get("namespace")
        items = [t.to_json() for t in self.driver.transitions
                 if selector.matches(t.labels) and (ns is None or t.namespace == ns)]  # fmt: skip
        return _json({"items": items, "resourceVersion": str(self.store.rv)})

    def stats_body(self) -> dict[str, Any]:
        return {
            "requests": self.stats.by_verb_resource(),
            "objects": {r.plural: self.store.count(r) for r in ALL},
            "watchers": {r.plural: len(self.store.coll(r).watchers) for r in ALL},
            "watchEventsSent": {r.plural: self.store.coll(r).delivered for r in ALL},
            "faults": dict(self.faults.injected),
            "watchCuts": self.watch_cuts,
            "resourceVersion": self.store.rv,
            "modelChangesApplied": self.driver.changes_applied,
            "nodeGroups": dict(self.driver.node_groups),
            **self.load(),
        }

    def faults_body(self) -> dict[str, Any]:
        f = self.faults
        return {"fault_rate": f.rate, "api_latency_ms": f.latency_ms, "watch_cut_every": f.watch_cut_every,
                "seed": f.seed, "reset_before_write": f.reset_before_write, "injected": dict(f.injected)}  # fmt: skip

    def scale(self, group: str, body: dict[str, Any]) -> web.Response:
        count = body.get("count")
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            raise bad_request('body must be {"count": N} with N >= 0')
        try:
            self.driver.scale(group, count, time.time())
        except (KeyError, ValueError) as exc:
            raise ApiFailure(404, f"node group {group!r}: {exc}", "NotFound") from None
        return _json({"group": group, "count": count})

    def set_faults(self, body: dict[str, Any]) -> web.Response:
        f = self.faults
        known = {
            "fault_rate",
            "api_latency_ms",
            "watch_cut_every",
            "seed",
            "reset_before_write",
            "cut_watches",
            "compact",
            "graceful",
        }
        unknown = set(body) - known
        if unknown:
            raise bad_request(f"unknown fault settings: {', '.join(sorted(unknown))}")
        if "fault_rate" in body:
            f.rate = _number(body, "fault_rate", 0.0, 1.0)
        if "api_latency_ms" in body:
            f.latency_ms = _number(body, "api_latency_ms", 0.0, None)
        if "watch_cut_every" in body:
            f.watch_cut_every = (
                None if body["watch_cut_every"] in (None, 0) else _number(body, "watch_cut_every", 0.001, None)
            )
        if "seed" in body:
            f.reseed(int(body["seed"]))
        if "reset_before_write" in body:
            f.reset_before_write = bool(body["reset_before_write"])
        out = self.faults_body()
        if body.get("compact"):
            out["compactedAt"] = str(self.store.compact())
        if body.get("cut_watches"):
            out["watchesCut"] = self.cut_watches("graceful" if body.get("graceful") else "abort")
        return _json(out)


def _number(body: dict[str, Any], key: str, low: float, high: float | None) -> float:
    value = body[key]
    if (
        not isinstance(value, int | float)
        or isinstance(value, bool)
        or value < low
        or (high is not None and value > high)
    ):
        raise bad_request(f"{key} must be a number >= {low}" + (f" and <= {high}" if high is not None else ""))
    return float(value)


async def _body(request: web.Request) -> dict[str, Any]:
    raw = await request.read()
    if not raw:
        return {}
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise bad_request("body must be JSON") from None
    if not isinstance(data, dict):
        raise bad_request("body must be a JSON object")
    return data

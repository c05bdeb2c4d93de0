"""Request parsing without the web server: which resource a path names, the request's verb, and a write
request as plain data (`WriteRequest`; reads are parsed by `reads.parse`), so the API's semantics are testable
without aiohttp."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from benchkit.twin.resources import ResourceType, lookup

TRUE = ("true", "True", "1")


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
        return "WATCH" if query.get("watch") in TRUE else "LIST"
    if method == "POST":
        return "POST"
    if method == "DELETE":
        return "DELETE" if route.name is not None else "DELETECOLLECTION"
    return method


@dataclass(frozen=True)
class WriteRequest:
    """A write as the API sees it: verb (POST, PUT, PATCH, DELETE, DELETECOLLECTION), where, and the body."""

    verb: str
    route: Route
    body: bytes = b""
    content_type: str = "application/json"
    query: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Reply:
    """What a write answers: status code, JSON body, extra headers (e.g. `Warning`)."""

    status: int
    body: bytes
    headers: dict[str, str] | None = None

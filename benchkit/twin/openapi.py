"""Just enough OpenAPI v3 for kubectl: the index, and per group-version documents whose PATCH operations
declare the `fieldValidation` query parameter, so `kubectl create` leaves validation to the server (which
answers 422 with field paths) instead of failing to download a schema.
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

from benchkit.twin.resources import ALL, ResourceType

_GROUP_VERSIONS = {r.api_version: [x for x in ALL if x.api_version == r.api_version] for r in ALL}


def _path(gv: str) -> str:
    return f"api/{gv}" if "/" not in gv else f"apis/{gv}"


def _operation(r: ResourceType, verb: str) -> dict[str, Any]:
    gvk = {"group": r.group, "version": r.version, "kind": r.kind}
    params = [{"name": p, "in": "query", "schema": {"type": "string"}, "uniqueItems": True}
              for p in ("dryRun", "fieldManager", "fieldValidation")]  # fmt: skip
    return {
        "operationId": f"{verb}{r.kind}",
        "parameters": params,
        "responses": {"200": {"description": "OK"}},
        "x-kubernetes-action": verb,
        "x-kubernetes-group-version-kind": gvk,
    }


def document(gv: str) -> bytes | None:
    """The OpenAPI v3 document of one group-version (e.g. "v1", "sparkoperator.k8s.io/v1beta2")."""
    resources = _GROUP_VERSIONS.get(gv)
    if resources is None:
        return None
    paths: dict[str, Any] = {}
    for r in resources:
        base = "/" + _path(gv)
        item = f"{base}/namespaces/{{namespace}}/{r.plural}/{{name}}" if r.namespaced else f"{base}/{r.plural}/{{name}}"
        collection = item.rsplit("/", 1)[0]
        paths[item] = {"patch": _operation(r, "patch"), "put": _operation(r, "put")}
        paths[collection] = {"post": _operation(r, "post")}
    doc = {"openapi": "3.0.0", "info": {"title": "Kubernetes (benchkit twin)", "version": "v1.32.0"}, "paths": paths,
           "components": {"schemas": {}}}  # fmt: skip
    return orjson.dumps(doc)


def index() -> dict[str, Any]:
    paths = {}
    for gv in _GROUP_VERSIONS:
        digest = hashlib.sha256(document(gv) or b"").hexdigest()[:32].upper()
        paths[_path(gv)] = {"serverRelativeURL": f"/openapi/v3/{_path(gv)}?hash={digest}"}
    return {"paths": paths}

"""The API's writes: create (POST), replace (PUT), patch (PATCH: merge, JSON, strategic, apply), delete and
deletecollection. Plain data in (`WriteRequest`), plain data out (`Reply`): no web server here.

Writes go to the store (whose watchers see each change) and are told to the model through the driver.
Update semantics follow kube-apiserver's registry (kubernetes/apiserver v0.32.0, the staging mirror of
kubernetes/kubernetes 1.32: pkg/registry/rest/update.go `BeforeUpdate`, pkg/registry/generic/registry/store.go
`Update`): server-set metadata (uid, creationTimestamp, generation, deletionTimestamp) is kept; a
`metadata.resourceVersion` that is not the current one is a 409 Conflict; without one, an update goes through
only if the strategy's `AllowUnconditionalUpdate` is true, else it is a 422 Invalid ("must be specified for an
update"). Custom resources are refused (kubernetes/apiextensions-apiserver v0.32.0
pkg/registry/customresource/strategy.go `AllowUnconditionalUpdate` returns false); built-in kinds are updated
unconditionally (their strategies in kubernetes/kubernetes pkg/registry/<group>/<kind>/strategy.go return true;
NOT read at a tag: kubernetes/kubernetes is above the snapshot size limit of the tools used and pkg/registry is
in no staging mirror, so only stored, untagged copies of e.g. pkg/registry/core/pod/strategy.go were read). The
main resource does not change `status` (status subresource).
"""

from __future__ import annotations

import secrets
import time
from typing import Any

import orjson
import yaml

from benchkit import clock
from benchkit.twin import bodies, listing, protobuf, reads
from benchkit.twin.apply import ApplyConflict, apply
from benchkit.twin.driver import Driver
from benchkit.twin.patch import PatchError, json_patch, merge_patch, strategic_merge_patch
from benchkit.twin.record import Record
from benchkit.twin.resources import NAMESPACES, NODES, PODS, SPARK_APPS, ResourceType
from benchkit.twin.routes import Reply, Route, WriteRequest
from benchkit.twin.status import ApiFailure, bad_request, conflict, invalid, not_found
from benchkit.twin.store import Store
from benchkit.twin.validation import admit

Obj = dict[str, Any]
MERGE_PATCH = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
STRATEGIC_PATCH = "application/strategic-merge-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"
PATCH_TYPES = (MERGE_PATCH, JSON_PATCH, STRATEGIC_PATCH, APPLY_PATCH)
WITH_STATUS = (PODS, SPARK_APPS, NODES, NAMESPACES)
"""Kinds whose status only the server (the model) writes: PUT and PATCH keep it."""
_GENERATE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
_NAME_REQUIRED = {"reason": "FieldValueRequired", "message": "Required value: name or generateName is required",
                  "field": "metadata.name"}  # fmt: skip
_SERVER_META = ("uid", "creationTimestamp", "generation", "deletionTimestamp", "managedFields")
_NODES_ARE_THE_MODELS = "nodes are managed by the twin's node groups: POST /twin/v1/nodegroups/<group>/scale"
_LATEST = "the object has been modified; please apply your changes to the latest version and try again"


def _json(body: bytes, status: int = 200, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, body, headers)


def _quote(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _warnings(warnings: list[str]) -> dict[str, str] | None:
    return {"Warning": ", ".join(f'299 - "{_quote(w)}"' for w in warnings)} if warnings else None


def media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def decode_body(body: bytes, content_type: str, resource: ResourceType) -> Obj:
    """An object sent to POST or PUT, as JSON (or YAML) or Kubernetes protobuf."""
    kind = media_type(content_type)
    if kind == protobuf.MEDIA_TYPE:
        return protobuf.decode_object(body, resource)
    if kind in ("application/yaml", "application/yml"):
        try:
            body = orjson.dumps(yaml.safe_load(body))
        except (yaml.YAMLError, TypeError) as exc:
            raise bad_request(f"the body of the request was in an unknown format: {exc}") from None
    elif kind not in ("", "application/json"):
        raise ApiFailure(415, f"the body of the request was in an unknown format - accepted media types include: "
                              f"application/json, application/yaml, {protobuf.MEDIA_TYPE}",
                         "UnsupportedMediaType")  # fmt: skip
    return bodies.decode_object(body, resource)


class Writer:
    def __init__(self, store: Store, driver: Driver) -> None:
        self.store = store
        self.driver = driver

    def handle(self, req: WriteRequest) -> Reply:
        route = req.route
        if not route.resource.writable:
            raise ApiFailure(405, "the twin's DaemonSets are the cluster's own (aws-node, kube-proxy, ebs-csi-node, "
                                  "eks-pod-identity-agent, node-exporter): read-only", "MethodNotAllowed")  # fmt: skip
        scoped = route.ns is not None or not route.resource.namespaced
        if req.verb == "POST" and route.name is None and scoped:
            return self.create(req)
        if req.verb in ("PUT", "PATCH") and route.name is not None and not route.sub:
            return self.update(req) if req.verb == "PUT" else self.patch(req)
        if req.verb == "DELETE" and route.name is not None and not route.sub:
            return self.delete(route, req.body)
        if req.verb == "DELETECOLLECTION" and scoped:
            return self.delete_collection(req)
        raise ApiFailure(
            405, f"the server does not allow this method on the requested resource ({req.verb})", "MethodNotAllowed"
        )

    def record(self, route: Route) -> Record:
        return reads.existing(self.store, route)

    # ---- create -----------------------------------------------------------------------------------------

    def create(self, req: WriteRequest) -> Reply:
        route, q = req.route, req.query
        resource = route.resource
        obj = decode_body(req.body, req.content_type, resource)
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
            raise ApiFailure(405, _NODES_ARE_THE_MODELS, "MethodNotAllowed")
        if bodies.int_or_zero(meta.get("resourceVersion")):
            # etcd3 store.Create (storage.ErrResourceVersionSetOnCreate): a plain error, so 500 without a reason
            raise ApiFailure(500, "resourceVersion should not be set on objects to be created", "")
        meta.pop("resourceVersion", None)
        warnings = admit(resource, obj, strict=q.get("fieldValidation") == "Strict")
        return self._store_new(route, obj, q, warnings)

    def _store_new(self, route: Route, obj: Obj, q: Any, warnings: list[str]) -> Reply:
        resource = route.resource
        if resource is PODS:
            obj["status"] = {"phase": "Pending", "qosClass": "BestEffort"}
        elif resource is NAMESPACES:
            obj["status"] = {"phase": "Active"}
        if q.get("dryRun") == "All":
            if resource.namespaced and not self.store.namespace_exists(route.ns or ""):
                raise not_found("namespaces", "", route.ns or "")
            return _json(orjson.dumps(obj), 201, _warnings(warnings))
        now = time.time()
        rec = self.store.create(resource, obj, now)
        if resource is SPARK_APPS:
            self.driver.app_created(rec, obj, now)
        return _json(rec.raw, 201, _warnings(warnings))

    # ---- update and patch -------------------------------------------------------------------------------

    def update(self, req: WriteRequest) -> Reply:
        """PUT: replace the object (409 when its resourceVersion is not the current one)."""
        route = req.route
        rec = self.record(route)
        obj = decode_body(req.body, req.content_type, route.resource)
        return self._save(route, rec, obj, req.query, unconditional_ok=not route.resource.group)

    def patch(self, req: WriteRequest) -> Reply:
        route, resource = req.route, req.route.resource
        kind = media_type(req.content_type)
        if kind not in PATCH_TYPES:
            raise ApiFailure(415, f"the body of the request was in an unknown format - accepted media types "
                                  f"include: {', '.join(PATCH_TYPES)}", "UnsupportedMediaType")  # fmt: skip
        if kind == STRATEGIC_PATCH and resource.group == SPARK_APPS.group:
            raise ApiFailure(415, "strategic merge patch is not supported for custom resources: use "
                                  "--type=merge or --type=json", "UnsupportedMediaType")  # fmt: skip
        if kind == APPLY_PATCH:
            return self._apply(req)
        rec = self.record(route)
        try:
            patch_doc = orjson.loads(req.body)
        except orjson.JSONDecodeError as exc:
            raise bad_request(f"the body of the request was in an unknown format: {exc}") from None
        current = rec.obj()
        try:
            if kind == MERGE_PATCH:
                patched = merge_patch(current, patch_doc)
            elif kind == JSON_PATCH:
                patched = json_patch(current, patch_doc)
            else:
                patched = strategic_merge_patch(current, patch_doc, resource.kind)
        except PatchError as exc:
            raise ApiFailure(422, f"the server rejected our request due to an error in our request: {exc}",
                             "Invalid") from None  # fmt: skip
        if not isinstance(patched, dict) or not isinstance(patched.get("metadata"), dict):
            raise ApiFailure(422, "the patched object is not an object with metadata", "Invalid")
        # A patch carrying metadata.resourceVersion is a precondition; one that does not is applied to the latest.
        wanted = (patch_doc.get("metadata") or {}).get("resourceVersion") if isinstance(patch_doc, dict) else None
        if wanted is None:
            patched["metadata"]["resourceVersion"] = str(rec.rv)
        return self._save(route, rec, patched, req.query, unconditional_ok=True)

    def _apply(self, req: WriteRequest) -> Reply:
        route, resource, q = req.route, req.route.resource, req.query
        manager = q.get("fieldManager") or ""
        if not manager:
            raise ApiFailure(422, "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is "
                                  "required for apply patch", "Invalid")  # fmt: skip
        try:
            applied = yaml.safe_load(req.body)
        except yaml.YAMLError as exc:
            raise bad_request(f"error decoding YAML: {exc}") from None
        if not isinstance(applied, dict) or not isinstance(applied.get("metadata"), dict):
            raise bad_request("the applied configuration must be an object with metadata")
        if applied.get("apiVersion") != resource.api_version or applied.get("kind") != resource.kind:
            raise bad_request(f"the applied configuration must be a {resource.api_version} {resource.kind}")
        meta = applied["metadata"]
        if meta.get("name") not in (None, route.name) or meta.get("namespace") not in (None, "", route.ns):
            raise bad_request("the name or namespace of the object does not match the request's")
        live = self.store.get(resource, route.ns or "", route.name or "")
        now = clock.iso(clock.wall())[:19] + "Z"
        try:
            result = apply(live.obj() if live else None, applied, manager, force=q.get("force") in ("true", "1"),
                           kind=resource.kind, now=now)  # fmt: skip
        except ApplyConflict as exc:
            details = {"causes": [{"reason": "FieldManagerConflict", "message": f'conflict with "{m}"', "field": p}
                                  for m, p in exc.conflicts]}  # fmt: skip
            raise ApiFailure(409, exc.message(), "Conflict", details) from None
        result["metadata"]["name"] = route.name
        if live is None:
            if resource is NODES:
                raise ApiFailure(405, _NODES_ARE_THE_MODELS, "MethodNotAllowed")
            if resource.namespaced:
                result["metadata"]["namespace"] = route.ns
            result["metadata"].pop("resourceVersion", None)
            warnings = admit(resource, result, strict=q.get("fieldValidation") == "Strict")
            return _json(self._store_new(route, result, q, warnings).body, 201)
        if "resourceVersion" not in meta:
            result["metadata"]["resourceVersion"] = str(live.rv)
        return self._save(route, live, result, q, unconditional_ok=True)

    def _save(self, route: Route, rec: Record, obj: Obj, q: Any, unconditional_ok: bool) -> Reply:
        """Store `obj` as the new version of `rec` after the checks an update gets."""
        resource = route.resource
        current = rec.obj()
        meta, old_meta = obj.setdefault("metadata", {}), current["metadata"]
        _check_identity(resource, rec, obj, old_meta)
        rv = meta.get("resourceVersion")
        if rv in (None, ""):
            if not unconditional_ok:
                cause = {"reason": "FieldValueInvalid", "field": "metadata.resourceVersion",
                         "message": "Invalid value: 0x0: must be specified for an update"}  # fmt: skip
                raise invalid(resource.plural, resource.group, rec.name, [cause])
        elif str(rv) != str(rec.rv):
            raise conflict(resource.plural, resource.group, rec.name, _LATEST)
        if resource.namespaced:
            meta["namespace"] = rec.ns
        for key in _SERVER_META:
            if key in old_meta and (key != "managedFields" or "managedFields" not in meta):
                meta[key] = old_meta[key]
        _check_immutable(resource, current, obj)
        warnings = admit(resource, obj, strict=q.get("fieldValidation") == "Strict")
        if resource in WITH_STATUS:
            obj.pop("status", None)
            if "status" in current:
                obj["status"] = current["status"]
        if resource is SPARK_APPS and obj.get("spec") != current.get("spec"):
            meta["generation"] = int(old_meta.get("generation") or 1) + 1
        obj["apiVersion"], obj["kind"] = resource.api_version, resource.kind
        if q.get("dryRun") == "All":
            meta["resourceVersion"] = str(rec.rv)
            return _json(orjson.dumps(obj), 200, _warnings(warnings))
        if _same(obj, current):  # a no-op: no new version, no event (etcd3 store's GuaranteedUpdate)
            return _json(rec.raw, 200, _warnings(warnings))
        saved = self.store.modify(resource, rec, obj)
        return _json(saved.raw, 200, _warnings(warnings))

    # ---- delete -----------------------------------------------------------------------------------------

    def delete(self, route: Route, body: bytes) -> Reply:
        rec = self.record(route)
        bodies.check_preconditions(route.resource, rec, bodies.preconditions(body))
        return _json(self._delete(route.resource, rec, time.time()).raw)

    def _delete(self, resource: ResourceType, rec: Record, now: float) -> Record:
        if resource is NODES:
            raise ApiFailure(405, _NODES_ARE_THE_MODELS, "MethodNotAllowed")
        if resource is NAMESPACES:
            for child_type in self.store.namespaced_types():
                for child in list(self.store.records(child_type, rec.name)):
                    if child_type.writable:
                        self._delete(child_type, child, now)
        gone_rec = self.store.delete(resource, rec.ns, rec.name, now)
        assert gone_rec is not None
        if resource is SPARK_APPS:
            self.driver.app_deleted(rec.ns, rec.name, now)
        elif resource is PODS:
            self.driver.pod_deleted(rec.ns, rec.name, now)
        return gone_rec

    def delete_collection(self, req: WriteRequest) -> Reply:
        route, q = req.route, req.query
        labels, fields = reads.selectors(route, q)
        records = listing.matching(self.store, route.resource, route.ns, labels, fields)
        now = time.time()
        deleted = [self._delete(route.resource, rec, now) for rec in records]
        return _json(listing.list_bytes(route.resource, deleted, self.store.rv, None, None))


def _check_identity(resource: ResourceType, rec: Record, obj: Obj, old_meta: Obj) -> None:
    """400 when the object names another kind, name or namespace than the URL; 409 for another uid."""
    meta = obj["metadata"]
    kind, api_version = obj.get("kind", resource.kind), obj.get("apiVersion", resource.api_version)
    if kind != resource.kind or api_version != resource.api_version:
        raise bad_request(f"the API version in the data ({api_version}) does not match the expected API version "
                          f"({resource.api_version}) or kind ({kind} != {resource.kind})")  # fmt: skip
    if meta.get("name") != rec.name:
        name = meta.get("name")
        raise bad_request(f"the name of the object ({name}) does not match the name on the URL ({rec.name})")
    if resource.namespaced and meta.get("namespace") not in (None, "", rec.ns):
        raise bad_request("the namespace of the provided object does not match the namespace sent on the request")
    if meta.get("uid") not in (None, "", old_meta.get("uid")):
        why = f"Precondition failed: UID in precondition: {meta['uid']}, UID in object meta: {old_meta.get('uid')}"
        raise conflict(resource.plural, resource.group, rec.name, why)


def _same(new: Obj, current: Obj) -> bool:
    a = {**new, "metadata": {k: v for k, v in new["metadata"].items() if k != "resourceVersion"}}
    b = {**current, "metadata": {k: v for k, v in current["metadata"].items() if k != "resourceVersion"}}
    return a == b


def _check_immutable(resource: ResourceType, current: Obj, new: Obj) -> None:
    """What kube-apiserver's validation forbids changing: a node's spec (here: the model's), a pod's spec
    beyond container images (pkg/apis/core/validation ValidatePodUpdate, simplified to images)."""
    if resource is NODES and new.get("spec", current.get("spec")) != current.get("spec"):
        cause = {
            "reason": "FieldValueForbidden",
            "field": "spec",
            "message": "Forbidden: the twin's nodes belong to its model: only labels and annotations can change",
        }
        raise invalid("Node", "", current["metadata"]["name"], [cause])
    if resource is PODS:
        old_spec, new_spec = current.get("spec") or {}, new.get("spec") or {}
        if _without_images(old_spec) != _without_images(new_spec):
            why = "Forbidden: pod updates may not change fields other than `spec.containers[*].image`"
            cause = {"reason": "FieldValueForbidden", "field": "spec", "message": why}
            raise invalid("Pod", "", current["metadata"]["name"], [cause])


def _without_images(spec: Obj) -> Obj:
    out = dict(spec)
    for key in ("containers", "initContainers"):
        if isinstance(out.get(key), list):
            out[key] = [{k: v for k, v in c.items() if k != "image"} if isinstance(c, dict) else c for c in out[key]]
    return out

"""Kubernetes protobuf request bodies (`application/vnd.kubernetes.protobuf`), decoded to the JSON form.

kubectl's imperative creates (`kubectl create namespace|configmap|serviceaccount`) send their object as
protobuf. The wire format, from kubernetes/apimachinery v0.32.9:
`pkg/runtime/serializer/protobuf/protobuf.go` (the 4-byte prefix `k8s\\x00`, then a `runtime.Unknown`),
`pkg/runtime/generated.proto` (`Unknown`: typeMeta = 1, raw = 2, contentEncoding = 3, contentType = 4;
`TypeMeta`: apiVersion = 1, kind = 2), `pkg/apis/meta/v1/generated.proto` (`ObjectMeta`,
`OwnerReference`); and kubernetes/api v0.32.9 `core/v1/generated.proto` (`Namespace`, `ConfigMap`,
`ServiceAccount`, `ObjectReference`, `LocalObjectReference`).

Only those kinds are decoded, with the fields a client sets on create (server-set metadata such as
uid, timestamps and managedFields is skipped). Generated Go marshallers write every non-pointer
string, even empty, so an empty string or a zero integer counts as unset, as `omitempty` does in JSON.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

from benchkit.twin.resources import CONFIGMAPS, NAMESPACES, SERVICEACCOUNTS, ResourceType
from benchkit.twin.status import ApiFailure

MEDIA_TYPE = "application/vnd.kubernetes.protobuf"
MAGIC = b"k8s\x00"
Obj = dict[str, Any]
# A message schema: field number -> (JSON name, kind). Kinds: "string", "bytes", "bool", "int", "map" (string to
# string), "bytesmap" (string to bytes, base64 in JSON), a nested schema, or a 1-tuple of either for a repeated field.
Schema = dict[int, tuple[str, Any]]
_VARINT, _I64, _LEN, _I32 = 0, 1, 2, 5

TYPE_META: Schema = {1: ("apiVersion", "string"), 2: ("kind", "string")}
UNKNOWN: Schema = {1: ("typeMeta", TYPE_META), 2: ("raw", "bytes"), 3: ("contentEncoding", "string"),
                   4: ("contentType", "string")}  # fmt: skip
OWNER_REFERENCE: Schema = {1: ("kind", "string"), 3: ("name", "string"), 4: ("uid", "string"),
                           5: ("apiVersion", "string"), 6: ("controller", "bool"),
                           7: ("blockOwnerDeletion", "bool")}  # fmt: skip
OBJECT_META: Schema = {1: ("name", "string"), 2: ("generateName", "string"), 3: ("namespace", "string"),
                       6: ("resourceVersion", "string"), 11: ("labels", "map"), 12: ("annotations", "map"),
                       13: ("ownerReferences", (OWNER_REFERENCE,)), 14: ("finalizers", ("string",))}  # fmt: skip
OBJECT_REFERENCE: Schema = {1: ("kind", "string"), 2: ("namespace", "string"), 3: ("name", "string"),
                            4: ("uid", "string"), 5: ("apiVersion", "string"), 6: ("resourceVersion", "string"),
                            7: ("fieldPath", "string")}  # fmt: skip
LOCAL_OBJECT_REFERENCE: Schema = {1: ("name", "string")}
NAMESPACE: Schema = {1: ("metadata", OBJECT_META), 2: ("spec", {1: ("finalizers", ("string",))})}
CONFIGMAP: Schema = {1: ("metadata", OBJECT_META), 2: ("data", "map"), 3: ("binaryData", "bytesmap"),
                     4: ("immutable", "bool")}  # fmt: skip
SERVICE_ACCOUNT: Schema = {1: ("metadata", OBJECT_META), 2: ("secrets", (OBJECT_REFERENCE,)),
                           3: ("imagePullSecrets", (LOCAL_OBJECT_REFERENCE,)),
                           4: ("automountServiceAccountToken", "bool")}  # fmt: skip
SCHEMAS: dict[str, Schema] = {NAMESPACES.kind: NAMESPACE, CONFIGMAPS.kind: CONFIGMAP,
                              SERVICEACCOUNTS.kind: SERVICE_ACCOUNT}  # fmt: skip


class WireError(ValueError):
    """The bytes are not a well-formed protobuf message."""


def _varint(buf: bytes, i: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if i >= len(buf) or shift > 63:
            raise WireError("truncated varint")
        byte = buf[i]
        i += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, i
        shift += 7


def fields(buf: bytes) -> Iterator[tuple[int, int, int | bytes]]:
    """(field number, wire type, value) for each field: an int for varints and fixed widths, bytes for LEN."""
    i = 0
    while i < len(buf):
        tag, i = _varint(buf, i)
        number, wire = tag >> 3, tag & 7
        if number == 0:
            raise WireError("field number 0")
        if wire == _VARINT:
            value, i = _varint(buf, i)
            yield number, wire, value
        elif wire == _LEN:
            size, i = _varint(buf, i)
            if i + size > len(buf):
                raise WireError("truncated length-delimited field")
            yield number, wire, buf[i : i + size]
            i += size
        elif wire in (_I64, _I32):
            width = 8 if wire == _I64 else 4
            if i + width > len(buf):
                raise WireError("truncated fixed-width field")
            yield number, wire, int.from_bytes(buf[i : i + width], "little")
            i += width
        else:
            raise WireError(f"unsupported wire type {wire}")


def _scalar(kind: str, wire: int, value: int | bytes) -> Any:
    if kind in ("string", "bytes"):
        if not isinstance(value, bytes):
            raise WireError(f"expected a length-delimited {kind}, got wire type {wire}")
        return value.decode() if kind == "string" else value
    if not isinstance(value, int):
        raise WireError(f"expected a varint {kind}, got wire type {wire}")
    if kind == "bool":
        return bool(value)
    return value - (1 << 64) if value >= 1 << 63 else value  # int64 as two's complement


def _entry(buf: bytes, value_kind: str) -> tuple[str, Any]:
    found = decode(buf, {1: ("key", "string"), 2: ("value", value_kind)})
    return found.get("key", ""), found.get("value", "" if value_kind == "string" else b"")


def decode(buf: bytes, schema: Schema) -> Obj:
    """A message as its JSON object; fields the schema does not name are skipped."""
    out: Obj = {}
    for number, wire, value in fields(buf):
        if number not in schema:
            continue
        name, kind = schema[number]
        repeated = isinstance(kind, tuple)
        item_kind = kind[0] if repeated else kind
        if item_kind in ("map", "bytesmap"):
            if not isinstance(value, bytes):
                raise WireError(f"{name}: expected a map entry")
            key, val = _entry(value, "string" if item_kind == "map" else "bytes")
            out.setdefault(name, {})[key] = val if item_kind == "map" else base64.b64encode(val).decode()
            continue
        if isinstance(item_kind, dict):
            if not isinstance(value, bytes):
                raise WireError(f"{name}: expected an embedded message")
            item: Any = decode(value, item_kind)
        else:
            item = _scalar(item_kind, wire, value)
        if repeated:
            out.setdefault(name, []).append(item)
        elif item not in ("", 0) or isinstance(item, bool):
            out[name] = item
    return out


def decode_object(body: bytes, resource: ResourceType) -> Obj:
    """A protobuf request body (the `k8s\\x00` envelope) as the JSON object it encodes. 415 for a kind the twin
    cannot decode, 400 for malformed bytes or a kind other than the endpoint's."""
    schema = SCHEMAS.get(resource.kind)
    if schema is None:
        raise unsupported(resource)
    if not body.startswith(MAGIC):
        raise ApiFailure(400, "the body of the request was in an unknown format: missing the k8s protobuf prefix")
    try:
        unknown = decode(body[len(MAGIC) :], UNKNOWN)
        type_meta = unknown.get("typeMeta") or {}
        if unknown.get("contentEncoding"):
            raise WireError(f"unsupported content encoding {unknown['contentEncoding']!r}")
        obj = decode(unknown.get("raw", b""), schema)
    except (WireError, UnicodeDecodeError) as exc:
        raise ApiFailure(400, f"the body of the request was in an unknown format: {exc}") from None
    if type_meta.get("kind") != resource.kind or type_meta.get("apiVersion") != resource.api_version:
        raise ApiFailure(400, f"the API version in the data ({type_meta.get('apiVersion')}) does not match the "
                              f"expected API version ({resource.api_version}) or kind "
                              f"({type_meta.get('kind')} != {resource.kind})")  # fmt: skip
    obj.setdefault("metadata", {})
    return {"apiVersion": resource.api_version, "kind": resource.kind, **obj}


def unsupported(resource: ResourceType) -> ApiFailure:
    """415, as kube-apiserver answers a media type it has no serializer for (CRDs have no protobuf)."""
    return ApiFailure(415, f"the twin decodes {MEDIA_TYPE} bodies only for Namespace, ConfigMap and ServiceAccount, "
                           f"not {resource.kind}: send application/json", "UnsupportedMediaType")  # fmt: skip

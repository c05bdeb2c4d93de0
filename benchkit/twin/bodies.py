"""Request bodies and parameters: the object to create, a DELETE's preconditions, integer query parameters."""

from __future__ import annotations

from typing import Any

import orjson

from benchkit.twin.record import Record
from benchkit.twin.resources import ResourceType
from benchkit.twin.status import bad_request, conflict


def int_param(text: str | None, name: str) -> int:
    if text in (None, ""):
        return 0
    try:
        value = int(text)
    except ValueError:
        raise bad_request(f"{name}: invalid value {text!r}: must be an integer") from None
    if value < 0:
        raise bad_request(f"{name}: invalid value {text!r}: must be >= 0")
    return value


def int_or_zero(value: Any) -> int:
    """A resourceVersion as the apiserver's versioner parses it; what does not parse counts as unset."""
    try:
        return max(0, int(str(value)))
    except ValueError:
        return 0


def preconditions(body: bytes) -> dict[str, Any]:
    """`preconditions` of a DELETE's DeleteOptions body (empty when there is no body)."""
    if not body.strip():
        return {}
    try:
        options = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise bad_request(f"the body of the request was in an unknown format: {exc}") from None
    found = options.get("preconditions") if isinstance(options, dict) else None
    return found if isinstance(found, dict) else {}


def check_preconditions(resource: ResourceType, rec: Record, wanted: dict[str, Any]) -> None:
    """409 Conflict when a precondition does not hold (apiserver storage.Preconditions.Check)."""
    uid, rv = wanted.get("uid"), wanted.get("resourceVersion")
    if uid is None and rv is None:
        return
    meta = rec.obj()["metadata"]
    if uid is not None and uid != meta.get("uid"):
        why = f"Precondition failed: UID in precondition: {uid}, UID in object meta: {meta.get('uid')}"
        raise conflict(resource.plural, resource.group, rec.name, why)
    if rv is not None and str(rv) != str(rec.rv):
        why = f"Precondition failed: ResourceVersion in precondition: {rv}, ResourceVersion in object meta: {rec.rv}"
        raise conflict(resource.plural, resource.group, rec.name, why)


def decode_object(body: bytes, resource: ResourceType) -> dict[str, Any]:
    try:
        obj = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise bad_request(f"the body of the request was in an unknown format: {exc}") from None
    if not isinstance(obj, dict) or not isinstance(obj.get("metadata"), dict):
        raise bad_request(f"the body of the request must be a {resource.kind} object with metadata")
    kind, api_version = obj.get("kind"), obj.get("apiVersion")
    if (kind not in (None, resource.kind)) or (api_version not in (None, resource.api_version)):
        raise bad_request(f"the API version in the data ({api_version}) does not match the expected API version "
                          f"({resource.api_version}) or kind ({kind} != {resource.kind})")  # fmt: skip
    return obj

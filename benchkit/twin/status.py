"""Kubernetes `Status` failure bodies, raised as `ApiFailure` by handlers and rendered by the server."""

from __future__ import annotations

from typing import Any

import orjson

from benchkit.twin.store import AlreadyExists, NamespaceNotFound, StorageError

REASONS = {
    400: "BadRequest",
    401: "Unauthorized",
    404: "NotFound",
    405: "MethodNotAllowed",
    406: "NotAcceptable",
    409: "AlreadyExists",
    410: "Expired",
    415: "UnsupportedMediaType",
    422: "Invalid",
    429: "TooManyRequests",
    500: "InternalError",
    504: "Timeout",
}


class ApiFailure(Exception):
    """An API error answered with a `Status` body, as kube-apiserver does."""

    def __init__(self, code: int, message: str, reason: str | None = None, details: dict[str, Any] | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.reason = REASONS.get(code, "Unknown") if reason is None else reason  # "": none, as for a plain error
        self.details = details

    def body(self) -> dict[str, Any]:
        return status_body(self.code, self.reason, self.message, self.details)

    def to_bytes(self) -> bytes:
        return orjson.dumps(self.body())


def status_body(code: int, reason: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                            "message": message}  # fmt: skip
    if reason:  # omitted when empty (metav1.StatusReasonUnknown), as kube-apiserver marshals it
        body["reason"] = reason
    body["code"] = code
    if details is not None:
        body["details"] = details
    return body


def _details(kind: str, name: str, group: str) -> dict[str, Any]:
    details: dict[str, Any] = {"name": name, "kind": kind}
    if group:
        details["group"] = group
    return details


def _qualified(plural: str, group: str) -> str:
    return f"{plural}.{group}" if group else plural


def not_found(plural: str, group: str, name: str) -> ApiFailure:
    return ApiFailure(404, f'{_qualified(plural, group)} "{name}" not found', "NotFound", _details(plural, name, group))


def already_exists(plural: str, group: str, name: str) -> ApiFailure:
    message = f'{_qualified(plural, group)} "{name}" already exists'
    return ApiFailure(409, message, "AlreadyExists", _details(plural, name, group))


def invalid(kind: str, group: str, name: str, causes: list[dict[str, str]]) -> ApiFailure:
    """422 Invalid; each cause is {"reason", "message", "field"} and the message lists them as the apiserver does."""
    listed = [f"{c['field']}: {c['message']}" for c in causes]
    joined = listed[0] if len(listed) == 1 else "[" + ", ".join(listed) + "]"
    qualified = f"{kind}.{group}" if group else kind
    details = _details(kind, name, group)
    details["causes"] = causes
    return ApiFailure(422, f'{qualified} "{name}" is invalid: {joined}', "Invalid", details)


def conflict(plural: str, group: str, name: str, why: str) -> ApiFailure:
    message = f'Operation cannot be fulfilled on {_qualified(plural, group)} "{name}": {why}'
    return ApiFailure(409, message, "Conflict", _details(plural, name, group))


def from_storage(err: StorageError) -> ApiFailure:
    """The Status kube-apiserver answers for a storage error."""
    if isinstance(err, NamespaceNotFound):
        return not_found("namespaces", "", err.name)
    if isinstance(err, AlreadyExists):
        return already_exists(err.resource.plural, err.resource.group, err.name)
    return ApiFailure(500, f"Internal error occurred: {err}", "InternalError")


def bad_request(message: str) -> ApiFailure:
    return ApiFailure(400, message, "BadRequest")


def gone(message: str) -> ApiFailure:
    return ApiFailure(410, message, "Expired")


def too_large(rv: int, current: int) -> ApiFailure:
    """504 for a resourceVersion the server has not reached (apiserver storage.NewTooLargeResourceVersionError)."""
    details = {"causes": [{"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}],
               "retryAfterSeconds": 1}  # fmt: skip
    return ApiFailure(504, f"Too large resource version: {rv}, current: {current}", "Timeout", details)


def expired_status(message: str) -> dict[str, Any]:
    """The ERROR event object a watch gets for a compacted resourceVersion."""
    return status_body(410, "Expired", message)

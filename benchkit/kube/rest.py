"""Raw JSON calls and watch streams over the official client's ApiClient, decoded with orjson.

The one request style of benchkit. The typed client turns every object into model classes; at 36,000
pods that costs more CPU and memory than the tracking itself. These helpers keep the client's auth, TLS
and connection pool (so EKS exec credentials still refresh) and skip the models. Errors come out as
benchkit's own StatusError / TransportError: no caller outside `benchkit.kube` handles a client type.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import orjson
import urllib3
from kubernetes import client

from benchkit import errors
from benchkit.kube import retry

TransportError = errors.TransportError
"""Defined in benchkit.errors, so the CLI can map an escaped one without importing the client."""
StatusError = errors.StatusError
ApiClient = client.ApiClient
"""The client handle (auth, TLS, pool) `connect` builds; other packages name it from here, never from `kubernetes`."""

Query = list[tuple[str, Any]]
_HEADERS = {"Accept": "application/json", "Content-Type": "application/json"}
_CHUNK = 64 * 1024
PAGE = 500
LIST_TIMEOUT = (10.0, 120.0)


def tuned(api: client.ApiClient, *, pool_maxsize: int) -> client.ApiClient:
    """A copy of `api` with no hidden urllib3 retries (every attempt is ours to count) and a pool of `pool_maxsize`."""
    cfg = copy.deepcopy(api.configuration)
    cfg.retries = False
    cfg.connection_pool_maxsize = pool_maxsize
    return client.ApiClient(cfg)


def call(api: client.ApiClient, method: str, path: str, *, query: Query | None = None, body: Any = None,
         timeout: float | tuple[float, float] | None = None) -> Any:  # fmt: skip
    """One request; returns the decoded JSON body (None when empty).

    Raises StatusError for an HTTP error status (`.status`, `.headers`) and TransportError when no
    HTTP answer came back.
    """
    resp = _open(api, method, path, query or [], body, timeout=timeout)
    try:
        data = resp.data
    except Exception as exc:
        raise _transport(exc) from None
    return orjson.loads(data) if data else None


def call_retrying(api: client.ApiClient, method: str, path: str, *, query: Query | None = None, body: Any = None,
                  timeout: float | tuple[float, float] | None = None,
                  policy: retry.RetryPolicy = retry.DEFAULT) -> Any:  # fmt: skip
    """`call`, retried per `policy` (429 after Retry-After, 5xx and transport errors with backoff)."""
    return policy.call(lambda: call(api, method, path, query=query, body=body, timeout=timeout))


def list_items(api: client.ApiClient, path: str, *, selector: str | None = None, field_selector: str | None = None,
               timeout: tuple[float, float] = LIST_TIMEOUT) -> list[dict[str, Any]]:  # fmt: skip
    """Every item of a collection (paged by `PAGE`, each page retried), as plain dicts."""
    items: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        query: Query = [("limit", PAGE)]
        query += [("labelSelector", selector)] if selector else []
        query += [("fieldSelector", field_selector)] if field_selector else []
        query += [("continue", token)] if token else []
        page = call_retrying(api, "GET", path, query=query, timeout=timeout) or {}
        items += page.get("items") or []
        token = (page.get("metadata") or {}).get("continue")
        if not token:
            return items


class WatchStream:
    """An open watch. Iterate for events (`{"type", "object"}`); `close()` from another thread ends it.

    Iteration ends when the server closes the stream; it raises TransportError when the stream is cut.
    """

    def __init__(self, api: client.ApiClient, path: str, query: Query, timeout: tuple[float, float]) -> None:
        self._resp = _open(api, "GET", path, query, None, timeout=timeout)
        self._closed = False

    def __iter__(self) -> Iterator[dict[str, Any]]:
        pending = b""
        try:
            for chunk in self._resp.stream(_CHUNK, decode_content=True):
                pending += chunk
                if b"\n" not in chunk:
                    continue
                *lines, pending = pending.split(b"\n")
                for line in lines:
                    if line.strip():
                        yield orjson.loads(line)
            if pending.strip():
                yield orjson.loads(pending)
        except Exception as exc:
            if self._closed:
                return
            raise _transport(exc) from None
        finally:
            self.close()

    def close(self) -> None:
        """Stop reading: unblocks a reader in another thread (or greenlet)."""
        if not self._closed:
            self._closed = True
            try:
                self._resp.shutdown()
                self._resp.close()
                self._resp.release_conn()
            except Exception:  # closing a dead socket may fail in many ways; it is closed either way
                pass


def _open(api: client.ApiClient, method: str, path: str, query: Query, body: Any, *,
          timeout: float | tuple[float, float] | None) -> urllib3.BaseHTTPResponse:  # fmt: skip
    try:
        return api.call_api(path, method, query_params=query, header_params=dict(_HEADERS), body=body,  # type: ignore[no-any-return]
                            auth_settings=["BearerToken"], _preload_content=False, _return_http_data_only=True,
                            _request_timeout=timeout)  # fmt: skip
    except client.ApiException as exc:
        if exc.status == 0:  # the client's wrapper for TLS errors
            raise TransportError(" ".join(str(exc.reason).split())) from None
        body = exc.body if isinstance(exc.body, bytes) else str(exc.body or "").encode()
        raise StatusError(exc.status, " ".join(str(exc.reason or "").split()), exc.headers, body) from None
    except Exception as exc:
        raise _transport(exc) from None


def _transport(exc: Exception) -> Exception:
    """urllib3 / socket / truncated-JSON errors all mean "no usable answer"; anything else is a bug."""
    if isinstance(exc, urllib3.exceptions.HTTPError | OSError | orjson.JSONDecodeError):
        return TransportError(f"{type(exc).__name__}: {exc}")
    return exc

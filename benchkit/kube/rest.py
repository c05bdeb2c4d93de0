"""Raw JSON calls and watch streams over the official client's ApiClient, decoded with orjson.

The typed client turns every object into model classes; at 36,000 pods that costs more CPU and memory
than the tracking itself. These helpers keep the client's auth, TLS and connection pool (so EKS exec
credentials still refresh) and skip the models.
"""

from __future__ import annotations

import copy
import random
import time
from collections.abc import Iterator
from typing import Any

import orjson
import urllib3
from kubernetes import client

from benchkit import errors

TransportError = errors.TransportError
"""Defined in benchkit.errors, so the CLI can map an escaped one without importing the client."""

Query = list[tuple[str, Any]]
_HEADERS = {"Accept": "application/json", "Content-Type": "application/json"}
_CHUNK = 64 * 1024


def tuned(api: client.ApiClient, *, pool_maxsize: int) -> client.ApiClient:
    """A copy of `api` with no hidden urllib3 retries (every attempt is ours to count) and a pool of `pool_maxsize`."""
    cfg = copy.deepcopy(api.configuration)
    cfg.retries = False
    cfg.connection_pool_maxsize = pool_maxsize
    return client.ApiClient(cfg)


def call(api: client.ApiClient, method: str, path: str, *, query: Query | None = None, body: Any = None,
         timeout: float | tuple[float, float] | None = None) -> Any:  # fmt: skip
    """One request; returns the decoded JSON body (None when empty).

    Raises `kubernetes.client.ApiException` for an HTTP error status (`.status`, `.headers`) and
    TransportError when no HTTP answer came back.
    """
    resp = _open(api, method, path, query or [], body, timeout=timeout)
    try:
        data = resp.data
    except Exception as exc:
        raise _transport(exc) from None
    return orjson.loads(data) if data else None


def call_retrying(api: client.ApiClient, method: str, path: str, *, query: Query | None = None, body: Any = None,
                  timeout: float | tuple[float, float] | None = None, attempts: int = 6) -> Any:  # fmt: skip
    """`call`, retrying 429 (after Retry-After), 5xx and transport errors with exponential backoff."""
    for attempt in range(1, attempts + 1):
        try:
            return call(api, method, path, query=query, body=body, timeout=timeout)
        except client.ApiException as exc:
            if attempt == attempts or (exc.status != 429 and exc.status < 500):
                raise
            retry_after = (exc.headers or {}).get("Retry-After")
            pause = float(retry_after) if retry_after and retry_after.isdigit() else 0.2 * 2 ** (attempt - 1)
        except TransportError:
            if attempt == attempts:
                raise
            pause = 0.2 * 2 ** (attempt - 1)
        time.sleep(min(pause, 10.0) * random.uniform(0.5, 1.0))
    raise AssertionError("unreachable")


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
        raise
    except Exception as exc:
        raise _transport(exc) from None


def _transport(exc: Exception) -> Exception:
    """urllib3 / socket / truncated-JSON errors all mean "no usable answer"; anything else is a bug."""
    if isinstance(exc, urllib3.exceptions.HTTPError | OSError | orjson.JSONDecodeError):
        return TransportError(f"{type(exc).__name__}: {exc}")
    return exc

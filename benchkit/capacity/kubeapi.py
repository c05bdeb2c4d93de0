"""Small helpers over the official kubernetes client: paginated lists as plain dicts, retried calls."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any, TypeVar

import orjson
import urllib3
from kubernetes.client.exceptions import ApiException

PAGE = 500
ATTEMPTS = 6
"""Attempts per call: 429 after its Retry-After, 5xx and dropped connections backing off 0.2 s .. 6.4 s."""
T = TypeVar("T")


def retrying(method: Callable[..., T], *args: Any, attempts: int = ATTEMPTS, **kwargs: Any) -> T:
    """`method(*args, **kwargs)`, retrying what a busy API server answers (429, 5xx, a reset connection).

    The policy of `benchkit.kube.rest.call_retrying`, for the typed client's methods: after a big run the
    API server is the one most likely to throttle, and a teardown must not give up on one 429.
    """
    for attempt in range(1, attempts + 1):
        try:
            return method(*args, **kwargs)
        except ApiException as exc:
            if attempt == attempts or (exc.status != 429 and exc.status < 500):
                raise
            retry_after = (exc.headers or {}).get("Retry-After")
            pause = float(retry_after) if retry_after and retry_after.isdigit() else 0.2 * 2 ** (attempt - 1)
        except urllib3.exceptions.HTTPError:  # reset, refused, timed out (after urllib3's own retries)
            if attempt == attempts:
                raise
            pause = 0.2 * 2 ** (attempt - 1)
        time.sleep(min(pause, 10.0) * random.uniform(0.5, 1.0))
    raise AssertionError("unreachable")


def list_items(method: Callable[..., Any], *args: Any, **kwargs: Any) -> list[dict[str, Any]]:
    """Every item of a paginated list call, as plain dicts (no model deserialisation: 36k pods stay cheap).

    >>> list_items(CoreV1Api(api).list_node, label_selector="eks.amazonaws.com/nodegroup=bench")
    """
    items: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        extra: dict[str, Any] = {"_continue": token} if token else {}
        response = retrying(method, *args, limit=PAGE, _preload_content=False, **kwargs, **extra)
        data = orjson.loads(response.data)
        items.extend(data.get("items") or [])
        token = (data.get("metadata") or {}).get("continue")
        if not token:
            return items

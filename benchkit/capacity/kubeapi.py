"""Small helpers over the official kubernetes client: paginated lists as plain dicts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

PAGE = 500


def list_items(method: Callable[..., Any], *args: Any, **kwargs: Any) -> list[dict[str, Any]]:
    """Every item of a paginated list call, as plain dicts (no model deserialisation: 36k pods stay cheap).

    >>> list_items(CoreV1Api(api).list_node, label_selector="eks.amazonaws.com/nodegroup=bench")
    """
    items: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        extra = {"_continue": token} if token else {}
        response = method(*args, limit=PAGE, _preload_content=False, **kwargs, **extra)
        data = orjson.loads(response.data)
        items.extend(data.get("items") or [])
        token = (data.get("metadata") or {}).get("continue")
        if not token:
            return items

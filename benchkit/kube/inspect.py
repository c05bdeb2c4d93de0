"""Read-only lookups for `benchkit doctor`: one GET, answered as found / missing / unserved (never raises).

"missing" is a 404 for an object whose resource type the server serves; "unserved" is anything that stops
us from telling (the type is not served, 401/403, no answer), so a check can say it could not be made.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from kubernetes.utils.quantity import parse_quantity

from benchkit.errors import StatusError, TransportError
from benchkit.kube import cluster, rest
from benchkit.kube.rest import ApiClient

TIMEOUT = (10.0, 30.0)


@dataclass(frozen=True)
class Answer:
    state: Literal["found", "missing", "unserved"]
    body: Any = None
    reason: str = ""


def get(api: ApiClient, path: str, query: rest.Query | None = None) -> Answer:
    try:
        return Answer("found", rest.call(api, "GET", path, query=query, timeout=TIMEOUT))
    except StatusError as exc:
        if exc.status == 404:
            return Answer("missing", reason=f"HTTP 404 for {path}")
        return Answer("unserved", reason=f"HTTP {exc.status} {exc.reason} for {path}")
    except TransportError as exc:
        return Answer("unserved", reason=f"no answer for {path}: {exc}")


def serves(api: ApiClient, group_version_path: str, plural: str) -> Answer:
    """Whether `/api/v1` (or `/apis/<group>/<version>`) lists the resource `plural`."""
    answer = get(api, group_version_path)
    if answer.state != "found":
        return Answer("unserved", reason=answer.reason or f"{group_version_path} not served")
    names = {r.get("name") for r in (answer.body or {}).get("resources") or []}
    if plural not in names:
        return Answer("unserved", reason=f"{group_version_path} does not serve {plural}")
    return answer


def items(api: ApiClient, path: str, label_selector: str | None = None) -> Answer:
    """A list call's items (`body` is the list of objects)."""
    answer = get(api, path, [("labelSelector", label_selector)] if label_selector else None)
    if answer.state != "found":
        return answer
    return Answer("found", list((answer.body or {}).get("items") or []))


def cpu_millicores(quantity: str | int | float) -> int:
    """A CPU quantity ("33", "2500m") in millicores, parsed as the API server does."""
    return int(parse_quantity(quantity) * 1000)


def flag(args: list[str], names: tuple[str, ...]) -> Any:
    """The value of the first of `names` among a container's args (`--x=3`, `-x=3`, `--x 3`)."""
    return cluster._flag(args, names)

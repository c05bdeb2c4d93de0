"""A small Prometheus HTTP API client: instant and range queries, label values, readiness.

Stdlib only (urllib): queries are POSTed form-encoded so long PromQL never hits URL limits. Every failure
is a `QueryError` carrying Prometheus' own `errorType` and message, so callers can report it per query.
"""

from __future__ import annotations

import json
import math
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any

DEFAULT_TIMEOUT_S = 30.0


class QueryError(Exception):
    """A query failed. `kind` is Prometheus' errorType (bad_data, timeout, ...) or "unreachable"/"http"."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(f"{kind}: {message}")
        self.kind = kind
        self.message = message


@dataclass
class Series:
    """One time series: its labels (without __name__ when Prometheus drops it) and (timestamp, value) points."""

    labels: dict[str, str]
    points: list[tuple[float, float]] = field(default_factory=list)


@dataclass
class Result:
    series: list[Series]
    warnings: list[str] = field(default_factory=list)

    @property
    def points(self) -> int:
        return sum(len(s.points) for s in self.series)


class PromClient:
    """Talks to one Prometheus. `base_url` like `http://127.0.0.1:9090` (a path prefix is kept).

    >>> prom = PromClient("http://127.0.0.1:9090")
    >>> prom.range("sum(rate(workqueue_adds_total[1m]))", start, end, step=5).series
    """

    def __init__(self, base_url: str, timeout: float = DEFAULT_TIMEOUT_S, headers: dict[str, str] | None = None):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.headers = dict(headers or {})

    def instant(self, query: str, time: float | None = None) -> Result:
        params = {"query": query}
        if time is not None:
            params["time"] = _fmt(time)
        return _result(self._post("/api/v1/query", params))

    def range(self, query: str, start: float, end: float, step: float) -> Result:
        params = {"query": query, "start": _fmt(start), "end": _fmt(end), "step": _fmt(step)}
        return _result(self._post("/api/v1/query_range", params))

    def label_values(self, label: str, match: str | None = None) -> list[str]:
        """Values of a label, optionally only on series matching a selector (Grafana's `label_values`)."""
        query = urllib.parse.urlencode({"match[]": match} if match else {})
        path = f"/api/v1/label/{urllib.parse.quote(label)}/values" + (f"?{query}" if query else "")
        data = self._request(urllib.request.Request(self.base_url + path, headers=self.headers))
        return [str(v) for v in data]

    def ready(self) -> bool:
        """True when `/-/ready` answers 200 (the TSDB is open and the API serves)."""
        try:
            req = urllib.request.Request(self.base_url + "/-/ready", headers=self.headers)
            with urllib.request.urlopen(req, timeout=min(self.timeout, 5.0)) as resp:
                return bool(resp.status == 200)
        except (OSError, urllib.error.URLError):
            return False

    def _post(self, path: str, params: dict[str, str]) -> Any:
        body = urllib.parse.urlencode(params).encode()
        headers = {**self.headers, "Content-Type": "application/x-www-form-urlencoded"}
        return self._request(urllib.request.Request(self.base_url + path, data=body, headers=headers))

    def _request(self, req: urllib.request.Request) -> Any:
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                payload = resp.read()
        except urllib.error.HTTPError as exc:  # 400/422/503 carry Prometheus' JSON error body
            payload = exc.read()
            try:
                doc = json.loads(payload)
            except ValueError:
                raise QueryError("http", f"HTTP {exc.code} from {req.full_url}") from None
            raise QueryError(str(doc.get("errorType") or "http"), str(doc.get("error") or exc.reason)) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise QueryError("unreachable", f"{self.base_url}: {reason}") from None
        try:
            doc = json.loads(payload)
        except ValueError:
            raise QueryError("http", f"{req.full_url} did not answer JSON (is this a Prometheus?)") from None
        if doc.get("status") != "success":
            raise QueryError(str(doc.get("errorType") or "error"), str(doc.get("error") or "unknown error"))
        if "warnings" in doc and isinstance(doc["data"], dict):
            doc["data"]["_warnings"] = doc["warnings"]
        return doc["data"]


def _result(data: dict[str, Any]) -> Result:
    kind = data.get("resultType")
    raw = data.get("result")
    warnings = [str(w) for w in data.get("_warnings") or []]
    if kind == "matrix":
        series = [Series(dict(s["metric"]), [(float(t), _num(v)) for t, v in s["values"]]) for s in raw or []]
    elif kind == "vector":
        series = [Series(dict(s["metric"]), [(float(s["value"][0]), _num(s["value"][1]))]) for s in raw or []]
    elif kind == "scalar":
        series = [Series({}, [(float(raw[0]), _num(raw[1]))])] if raw else []
    else:
        raise QueryError("bad_response", f"unexpected resultType {kind!r}")
    return Result(series, warnings)


def _num(text: str) -> float:
    return float(text)  # Prometheus spells NaN/+Inf/-Inf the way float() reads them


def _fmt(value: float) -> str:
    return repr(float(value)) if not math.isnan(value) else "NaN"

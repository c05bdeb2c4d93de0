"""One list+watch loop (informer-style) over a collection, filtered by the run's label.

List (paged) for a starting resourceVersion, then watch from it; when the stream ends or is cut,
watch again from the last resourceVersion seen; after 410 Gone (that version was compacted away),
list again and let the sink diff the list against what it has seen. Every step is journaled. The pause
before a reconnection is the one retry policy's (`benchkit.kube.retry`: Retry-After when the server sent
one, else bounded exponential backoff with jitter); a watch is never given up, so no attempt budget.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from benchkit.errors import StatusError, TransportError
from benchkit.kube import rest, retry
from benchkit.kube.rest import ApiClient
from benchkit.results import journal
from benchkit.tracker.contact import Contact

WATCH_TIMEOUT_S = 300
"""Server-side timeoutSeconds of one watch request (the API server's own default is 5-10 minutes)."""
READ_SLACK_S = 60
"""Client read timeout beyond timeoutSeconds: a silent connection this long is dead."""
CONNECT_TIMEOUT_S = 10
PAGE_SIZE = 500
RECONNECT = retry.RetryPolicy(first_s=0.2, max_s=5.0)
"""Pauses between reconnection attempts: 0.2 s doubling to 5 s, with jitter (or the server's Retry-After)."""
_RNG = random.Random()
QUIET_CLOSE_S = 1.0
"""A watch the server closes sooner than this without any event counts as a failure (backoff)."""
RELIST_AFTER_EMPTY = 3
"""After this many such closes in a row, list again (as a 410 would make us do)."""


@dataclass(frozen=True)
class Collection:
    resource: str
    """"sparkapplications" | "pods"."""
    path: str
    namespace: str | None
    """None: cluster-wide."""


class Sink(Protocol):
    """Receives decoded objects; called from the loop's thread, one call at a time per loop."""

    def on_event(self, resource: str, kind: str, obj: dict[str, Any]) -> None: ...

    def on_relist(self, resource: str, namespace: str | None, pages: Callable[[], Any]) -> None:
        """`pages()` yields lists of objects; the sink journals what it missed and what disappeared."""
        ...


class Gone(Exception):
    """410: the resourceVersion is too old; list again."""


class WatchLoop:
    """Keeps one collection observed until `stop()`; safe to stop from another thread."""

    def __init__(self, api: ApiClient, collection: Collection, selector: str, sink: Sink, *,
                 journal_: journal.Journal, stop: threading.Event, contact: Contact | None = None) -> None:  # fmt: skip
        self.api, self.collection, self.selector, self.sink = api, collection, selector, sink
        self.journal, self._stop = journal_, stop
        self.contact = contact
        """Told whether each request got an answer (None: nobody asks)."""
        self.requests = 0
        """API requests made (list pages + watch opens)."""
        self.rv: str | None = None
        self._stream: rest.WatchStream | None = None
        self._delivered = False

    def run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            self._delivered = False
            try:
                if self.rv is None:
                    self._relist()
                opened = time.monotonic()
                delivered = self._watch_once()
                if delivered or time.monotonic() - opened > QUIET_CLOSE_S:
                    failures = 0
                    continue
                failures += 1  # closed at once with nothing to say: do not hammer the server
                if failures >= RELIST_AFTER_EMPTY:
                    self.rv = None  # a server that keeps ending our watch at once may have lost our version
                self._stop.wait(_backoff(failures, None))
            except Gone:
                self._log("gone", "410 Gone: resourceVersion expired; listing again")
                self.rv = None
            except (TransportError, StatusError) as exc:
                if self._stop.is_set():
                    return
                self._answered(None if isinstance(exc, StatusError) else _describe(exc))
                # a stream cut after it delivered events is routine (a restart, a load balancer): retry at once-ish
                failures = 1 if self._delivered else failures + 1
                self._log("error", _describe(exc))
                self._stop.wait(_backoff(failures, exc))

    def stop(self) -> None:
        """Ask the loop to end and unblock a read in progress."""
        self._stop.set()
        stream = self._stream
        if stream is not None:
            stream.close()

    def _relist(self) -> None:
        first_rv: list[str | None] = [None]

        def pages() -> Any:
            token: str | None = None
            while True:
                query: rest.Query = [("labelSelector", self.selector), ("limit", PAGE_SIZE)]
                if token:
                    query.append(("continue", token))
                self.requests += 1
                try:
                    body = rest.call(self.api, "GET", self.collection.path, query=query,
                                     timeout=(CONNECT_TIMEOUT_S, WATCH_TIMEOUT_S))  # fmt: skip
                except StatusError as exc:
                    if exc.status == 410:
                        raise Gone from None
                    raise
                self._answered(None)
                meta = body.get("metadata") or {}
                if first_rv[0] is None:
                    first_rv[0] = meta.get("resourceVersion")
                yield body.get("items") or []
                token = meta.get("continue")
                if not token:
                    return

        self.sink.on_relist(self.collection.resource, self.collection.namespace, pages)
        self.rv = first_rv[0]
        self._log("relist", "listed", rv=self.rv)

    def _watch_once(self) -> bool:
        """One watch request from self.rv; returns whether it delivered any event."""
        query: rest.Query = [("labelSelector", self.selector), ("watch", "true"), ("allowWatchBookmarks", "true"),
                             ("timeoutSeconds", WATCH_TIMEOUT_S), ("resourceVersion", self.rv or "")]  # fmt: skip
        self.requests += 1
        try:
            self._stream = rest.WatchStream(self.api, self.collection.path, query,
                                            timeout=(CONNECT_TIMEOUT_S, WATCH_TIMEOUT_S + READ_SLACK_S))  # fmt: skip
        except StatusError as exc:
            if exc.status == 410:
                raise Gone from None
            raise
        self._answered(None)
        self._log("open", "", rv=self.rv)
        delivered = False
        try:
            for event in self._stream:
                kind, obj = event.get("type"), event.get("object") or {}
                if kind == "ERROR":
                    if obj.get("code") == 410:
                        raise Gone
                    raise TransportError(f"watch ERROR event: {obj.get('code')} {obj.get('message')}")
                rv = (obj.get("metadata") or {}).get("resourceVersion")
                if kind != "BOOKMARK":
                    self.sink.on_event(self.collection.resource, str(kind), obj)
                    delivered = self._delivered = True
                if rv:
                    self.rv = rv
        finally:
            self._stream = None
        if not self._stop.is_set():
            self._log("closed", "stream ended by the server", rv=self.rv)
        return delivered

    def _answered(self, error: str | None) -> None:
        """Tell the contact monitor: an answer (None), or the error of a request that got none."""
        if self.contact is not None:
            self.contact.answered() if error is None else self.contact.failed(error)

    def _log(self, what: str, detail: str, rv: str | None = None) -> None:
        where = self.collection.namespace or "*"
        self.journal.emit(journal.WATCH, resource=self.collection.resource, what=what,
                          detail=f"{where}: {detail}" if detail else where, rv=rv or self.rv)  # fmt: skip


def _backoff(failures: int, exc: BaseException | None) -> float:
    status, retry_after = retry.describe(exc) if exc is not None else (None, None)
    return RECONNECT.pause(failures, status, retry_after, _RNG)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, StatusError):
        return f"HTTP {exc.status} {exc.reason}"
    return " ".join(str(exc).split())[:300]

"""A plain-HTTP server for client tests: each request is answered by a Python function (scripted answers,
or a forward to a twin), so benchkit.kube's request, retry and delete code runs over real sockets."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from kubernetes import client

from benchkit.twin.process import TwinProcess

RESET = "reset"
"""An answer that closes the connection without a response (the client sees a transport error)."""


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    """Path and query, as sent."""


Answer = tuple[int, dict[str, str], Any] | str
"""(status, headers, JSON body) or RESET."""
Handler = Callable[[str, str, Any], Answer]


@contextmanager
def serve(handler: Handler) -> Iterator[tuple[client.ApiClient, list[Seen]]]:
    """An ApiClient pointed at a local server answering with `handler(method, path, body)`; the requests it saw."""
    seen: list[Seen] = []

    class Handle(BaseHTTPRequestHandler):
        def _any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            seen.append(Seen(self.command, self.path))
            answer = handler(self.command, self.path, json.loads(raw) if raw else None)
            if answer == RESET:
                self.close_connection = True
                self.connection.shutdown(2)
                return
            status, headers, body = answer
            data = json.dumps(body).encode()
            self.send_response(status)
            for key, value in {"Content-Type": "application/json", **headers}.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = _any

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handle)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    cfg = client.Configuration()
    cfg.host = f"http://127.0.0.1:{server.server_address[1]}"
    cfg.retries = False
    try:
        yield client.ApiClient(cfg), seen
    finally:
        server.shutdown()
        server.server_close()


def status(code: int, reason: str, headers: dict[str, str] | None = None) -> Answer:
    """A metav1.Status answer."""
    return code, headers or {}, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": code,
                                 "reason": reason, "message": reason}  # fmt: skip


def forward(twin: TwinProcess, method: str, path: str, body: Any) -> Answer:
    """The twin's answer to the same request."""
    code, answer = twin.request(method, path, body)
    return code, {}, answer

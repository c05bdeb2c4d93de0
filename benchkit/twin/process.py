"""`TwinProcess`: run `benchkit twin` as a child process and talk to it (tests, benchmarks, the orchestrator).

The twin always runs in its own process: the load generator is gevent-patched, and on a small machine
the twin and the load generator should sit on different cores.

    with TwinProcess(nodes=20) as twin:
        connect(twin.kubeconfig)  ...  twin.admin("GET", "stats")
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Any

from benchkit.errors import BenchkitError
from benchkit.twin import kubeconfig as kubeconfig_file
from benchkit.twin import preflight
from benchkit.twin.config import TwinOptions


class TwinError(BenchkitError):
    """The twin did not start, died, or an admin call failed."""


class TwinProcess:
    """A `benchkit twin` child. Options as `TwinOptions` fields; kubeconfig and state dir default to a temp dir.

    `cpus` pins the child with `taskset -c` when available (e.g. "0").
    """

    def __init__(self, options: TwinOptions | None = None, *, workdir: Path | None = None, start_timeout: float = 60.0,
                 cpus: str | None = None, **overrides: Any) -> None:  # fmt: skip
        self._tmp = tempfile.TemporaryDirectory(prefix="benchkit-twin-") if workdir is None else None
        self.workdir = Path(self._tmp.name) if self._tmp else Path(workdir or ".")
        self.workdir.mkdir(parents=True, exist_ok=True)
        opts = (options or TwinOptions()).replace(**overrides)
        self.options = opts.replace(
            kubeconfig=opts.kubeconfig or self.workdir / "kubeconfig",
            state_dir=opts.state_dir or self.workdir / "state",
            exit_with_parent=True,
        )
        self.start_timeout = start_timeout
        self.cpus = cpus
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = ""
        self.token = ""
        self.ca_file = self.workdir / "ca.crt"
        self.log_file = self.workdir / "twin.log"

    @property
    def kubeconfig(self) -> Path:
        assert self.options.kubeconfig is not None
        return self.options.kubeconfig

    @property
    def port(self) -> int:
        return self.options.port

    def command(self) -> list[str]:
        cmd = [sys.executable, "-m", "benchkit", "twin", *self.options.to_args()]
        taskset = shutil.which("taskset")
        return [taskset, "-c", self.cpus, *cmd] if self.cpus and taskset else cmd

    def start(self) -> TwinProcess:
        if self.proc is not None and self.proc.poll() is None:
            raise TwinError("the twin is already running")
        preflight.check_kubeconfig(self.kubeconfig)  # it is removed next: never a kubeconfig the twin did not write
        self.kubeconfig.unlink(missing_ok=True)
        with self.log_file.open("ab") as log:
            # Its own session: a ^C at the terminal reaches the parent only, which may still need the twin
            # (cleanup) and stops it itself; --exit-with-parent stops it if the parent dies first.
            env = {**os.environ, "PYTHONUNBUFFERED": "1"}
            self.proc = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         env=env, start_new_session=True)  # fmt: skip
        deadline = time.monotonic() + self.start_timeout
        while not self.kubeconfig.exists():
            code = self.proc.poll()
            if code is not None:
                raise TwinError(f"the twin exited with code {code} before it was ready: {self._tail()}")
            if time.monotonic() > deadline:
                self._kill()
                raise TwinError(f"the twin was not ready within {self.start_timeout:g} s: {self._tail()}")
            time.sleep(0.05)
        self.url, self.token, ca = kubeconfig_file.read(self.kubeconfig)
        self.ca_file.write_bytes(ca)
        self.options = self.options.replace(port=int(self.url.rsplit(":", 1)[1]))
        return self

    def stop(self, timeout: float = 30.0) -> int | None:
        """SIGTERM (the twin saves its state dir), then SIGKILL after `timeout`. Returns the exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self._kill()
        code = self.proc.returncode
        self.proc = None
        return code

    def restart(self) -> TwinProcess:
        """Stop and start again on the same port and state dir (objects, CA, token and kubeconfig kept)."""
        self.stop()
        return self.start()

    def kill(self) -> None:
        """SIGKILL, without saving state (a crash)."""
        self._kill()
        self.proc = None

    def _kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def _tail(self, lines: int = 15) -> str:
        try:
            text = self.log_file.read_text(errors="replace").strip().splitlines()
        except OSError:
            return "(no output)"
        return " | ".join(text[-lines:]) or "(no output)"

    def ssl_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca_file))

    def request(self, method: str, path: str, body: Any = None, timeout: float = 30.0) -> tuple[int, Any]:
        """An authenticated request to the twin; (status, parsed JSON or text). HTTP errors are returned, not raised."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method)
        req.add_header("Authorization", f"Bearer {self.token}")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, context=self.ssl_context(), timeout=timeout) as resp:
                return resp.status, _decode(resp.read(), resp.headers.get_content_type())
        except urllib.error.HTTPError as exc:
            return exc.code, _decode(exc.read(), exc.headers.get_content_type())

    def admin(self, method: str, path: str, json: Any = None) -> Any:
        """Call a /twin/v1 endpoint ("stats" or "/twin/v1/stats"); raises TwinError unless it answers 2xx."""
        full = path if path.startswith("/") else f"/twin/v1/{path}"
        status, body = self.request(method, full, json)
        if not 200 <= status < 300:
            raise TwinError(f"{method} {full}: HTTP {status}: {body}")
        return body

    def __enter__(self) -> TwinProcess:
        try:
            return self.start()
        except BaseException:
            self.close()
            raise

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        self.stop()
        if self._tmp is not None:
            self._tmp.cleanup()


def _decode(raw: bytes, content_type: str) -> Any:
    if content_type == "application/json":
        return json.loads(raw)
    return raw.decode(errors="replace")

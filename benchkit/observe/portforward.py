"""`kubectl port-forward` to a stack's Prometheus service, opened and closed by benchkit.

The stack output `prometheusService` is `"<namespace>/<service>:<port>"`. kubectl prints one line per
forwarded connection, so its stdout is drained by a thread for the whole life of the forward (a full
pipe would block kubectl and hang every query).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

import yaml

from benchkit.errors import CollectionError, ConfigError
from benchkit.kube.stack import StackOutputs

START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 5.0
_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_SERVICE = re.compile(rf"^(?P<ns>{_LABEL})/(?P<svc>{_LABEL}):(?P<port>\d{{1,5}})$")


def parse_service(text: str) -> tuple[str, str, int]:
    """`"monitoring/prometheus-operated:9090"` -> ("monitoring", "prometheus-operated", 9090)."""
    match = _SERVICE.match(text.strip())
    if not match or not 0 < int(match["port"]) < 65536:
        raise ConfigError(f"prometheusService: expected <namespace>/<service>:<port>, got {text!r}")
    return match["ns"], match["svc"], int(match["port"])


class PortForward:
    """`with PortForward("monitoring/prom:9090", kubeconfig=path) as pf: PromClient(pf.url)`."""

    def __init__(self, service: str, kubeconfig: Path | None = None, context: str | None = None,
                 kubectl: str | None = None, local_port: int | None = None) -> None:  # fmt: skip
        self.namespace, self.service, self.remote_port = parse_service(service)
        self.kubeconfig = kubeconfig
        self.context = context
        self.kubectl = kubectl or shutil.which("kubectl") or "kubectl"
        self.local_port = local_port or _free_port()
        self.output: list[str] = []
        self._proc: subprocess.Popen[str] | None = None
        self._forwarding = threading.Event()
        self._drain: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.local_port}"

    def command(self) -> list[str]:
        args = [self.kubectl]
        if self.kubeconfig is not None:
            args.append(f"--kubeconfig={self.kubeconfig}")
        if self.context is not None:
            args.append(f"--context={self.context}")
        return [*args, "port-forward", "-n", self.namespace, f"svc/{self.service}",
                f"{self.local_port}:{self.remote_port}", "--address", "127.0.0.1"]  # fmt: skip

    def start(self, timeout: float = START_TIMEOUT_S) -> PortForward:
        try:
            self._proc = subprocess.Popen(self.command(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                          stdin=subprocess.DEVNULL, text=True, start_new_session=True)  # fmt: skip
        except OSError as exc:
            raise CollectionError(f"cannot run {self.kubectl} for the Prometheus port-forward: {exc}") from None
        self._drain = threading.Thread(target=self._read, name="port-forward-drain", daemon=True)
        self._drain.start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._forwarding.is_set() and _connectable(self.local_port):
                return self
            if self._proc.poll() is not None:
                break
            time.sleep(0.05)
        detail = next((line for line in reversed(self.output) if line.strip()), "no output")
        self.stop()
        raise CollectionError(f"kubectl port-forward to {self.namespace}/{self.service} failed: {detail}")

    def _read(self) -> None:
        proc = self._proc
        assert proc is not None and proc.stdout is not None
        for line in proc.stdout:
            if len(self.output) < 200:
                self.output.append(line.rstrip())
            if line.startswith("Forwarding from"):
                self._forwarding.set()

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=STOP_TIMEOUT_S)
        if self._drain is not None:
            self._drain.join(timeout=STOP_TIMEOUT_S)
            self._drain = None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def __enter__(self) -> PortForward:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:  # fmt: skip
        self.stop()


@contextlib.contextmanager
def stack_prometheus(outputs: StackOutputs, kubectl: str | None = None) -> Iterator[PortForward]:
    """Port-forward to the stack's Prometheus using the stack's kubeconfig (written to a 0600 temp file)."""
    if not outputs.prometheus_service:
        raise ConfigError(f"stack {outputs.stack!r}: no prometheusService output (is monitoring deployed?)")
    fd, name = tempfile.mkstemp(prefix="benchkit-kubeconfig-", suffix=".yaml")
    try:
        with os.fdopen(fd, "w") as fh:
            yaml.safe_dump(outputs.kubeconfig, fh)
        with PortForward(outputs.prometheus_service, kubeconfig=Path(name), kubectl=kubectl) as forward:
            yield forward
    finally:
        Path(name).unlink(missing_ok=True)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _connectable(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False

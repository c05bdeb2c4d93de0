"""A throwaway local Prometheus (the Debian `prometheus` binary) scraping given targets, for tests and the demo.

It runs on loopback from a temp dir holding a generated config, the bearer token file and the TSDB; it is
stopped and the dir removed on exit. Scrapes every 1 s by default so short runs still get curves.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from urllib.parse import urlparse

import yaml

from benchkit.errors import BenchkitError
from benchkit.observe.promql import PromClient, QueryError

DEBIAN_BINARY = "/usr/bin/prometheus"
INSTALL_HINT = "install Prometheus with `sudo apt-get install prometheus` (Debian/Ubuntu), or pass --prometheus-url"
PR_SET_PDEATHSIG = 1
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0
_PORT_ATTEMPTS = 3


class PrometheusUnavailable(BenchkitError):
    """The local Prometheus binary is missing or would not start."""


@dataclass(frozen=True)
class ScrapeTarget:
    """An HTTPS (or HTTP) /metrics endpoint; `token` is sent as a bearer token, `ca_file` verifies TLS."""

    job: str
    url: str
    token: str | None = None
    ca_file: Path | None = None
    server_name: str | None = None
    """TLS server name to verify when the certificate does not name the URL's host."""


def _parent_death_signal() -> Callable[[], None] | None:
    """Linux: a preexec hook that makes the kernel SIGTERM the child when its parent dies, even by kill -9,
    so no Prometheus outlives the benchkit (or pytest) process that started it. None elsewhere."""
    name = ctypes.util.find_library("c")
    if not sys.platform.startswith("linux") or name is None:
        return None
    libc = ctypes.CDLL(name, use_errno=True)  # looked up before the fork, called in the child
    return lambda: libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def find_binary() -> str | None:
    """The Prometheus binary: /usr/bin/prometheus (Debian), else `prometheus` on PATH, else None."""
    if os.access(DEBIAN_BINARY, os.X_OK):
        return DEBIAN_BINARY
    return shutil.which("prometheus")


def render_config(targets: list[ScrapeTarget], scrape_interval: float, token_files: dict[str, Path]) -> str:
    """The prometheus.yml for these targets (tokens are referenced by file, never inlined)."""
    interval = _dur(scrape_interval)
    jobs = []
    for target in targets:
        url = urlparse(target.url)
        job: dict[str, object] = {
            "job_name": target.job,
            "scheme": url.scheme or "https",
            "metrics_path": url.path or "/metrics",
            "scrape_interval": interval,
            "scrape_timeout": interval,
            "static_configs": [{"targets": [url.netloc]}],
        }
        if target.job in token_files:
            job["authorization"] = {"type": "Bearer", "credentials_file": str(token_files[target.job])}
        tls: dict[str, str] = {}
        if target.ca_file is not None:
            tls["ca_file"] = str(target.ca_file)
        if target.server_name:
            tls["server_name"] = target.server_name
        if tls:
            job["tls_config"] = tls
        jobs.append(job)
    config = {"global": {"scrape_interval": interval, "evaluation_interval": interval}, "scrape_configs": jobs}
    return yaml.safe_dump(config, sort_keys=False)


class LocalPrometheus:
    """Start with `with LocalPrometheus([target]) as prom:`; `prom.url` is its HTTP API, `prom.client` a client.

    >>> with LocalPrometheus([ScrapeTarget("twin", twin.url + "/metrics", twin.token, twin.ca_file)]) as prom:
    ...     prom.wait_for_targets()
    """

    def __init__(self, targets: list[ScrapeTarget], scrape_interval: float = 1.0, binary: str | None = None):
        if not targets:
            raise ValueError("LocalPrometheus needs at least one scrape target")
        if len({t.job for t in targets}) != len(targets):
            raise ValueError("scrape targets need distinct job names")
        self.targets = list(targets)
        self.scrape_interval = scrape_interval
        self.binary = binary or find_binary()
        self.url = ""
        self.dir: Path | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def client(self) -> PromClient:
        return PromClient(self.url, timeout=10.0)

    @property
    def log_file(self) -> Path | None:
        return self.dir / "prometheus.log" if self.dir else None

    def start(self, timeout: float = START_TIMEOUT_S) -> LocalPrometheus:
        if self.binary is None:
            raise PrometheusUnavailable(f"no Prometheus binary found: {INSTALL_HINT}")
        self.dir = Path(tempfile.mkdtemp(prefix="benchkit-prometheus-"))
        token_files = {}
        for target in self.targets:
            if target.token is not None:
                path = self.dir / f"{target.job}.token"
                path.write_text(target.token)
                path.chmod(0o600)
                token_files[target.job] = path
        config = self.dir / "prometheus.yml"
        config.write_text(render_config(self.targets, self.scrape_interval, token_files))
        for _ in range(_PORT_ATTEMPTS):
            if self._launch(config, timeout):
                return self
        log = self.log_file.read_text()[-800:] if self.log_file and self.log_file.exists() else ""
        self.stop()
        raise PrometheusUnavailable(f"local Prometheus did not become ready: {' '.join(log.split()[-40:])}")

    def _launch(self, config: Path, timeout: float) -> bool:
        assert self.dir is not None and self.binary is not None
        port = _free_port()
        self.url = f"http://127.0.0.1:{port}"
        args = [
            self.binary, f"--config.file={config}", f"--storage.tsdb.path={self.dir / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}", "--storage.tsdb.retention.time=1d", "--log.level=warn",
        ]  # fmt: skip
        with (self.dir / "prometheus.log").open("ab") as log:
            # its own session: a Ctrl-C meant for `benchkit run` (which keeps tracking) must not stop it. The
            # preexec hook only makes one prctl call (no import, no lock), the case preexec_fn stays safe in.
            self._proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                          start_new_session=True,
                                          preexec_fn=_parent_death_signal())  # noqa: PLW1509  # fmt: skip
        client = self.client
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:  # exited: most likely the port was taken meanwhile
                self._proc = None
                return False
            if client.ready():
                return True
            time.sleep(0.1)
        self._terminate()
        return False

    def wait_for_targets(self, timeout: float = 20.0) -> None:
        """Block until every target has been scraped successfully at least once (`up == 1`)."""
        jobs = {t.job for t in self.targets}
        deadline = time.monotonic() + timeout
        last = "no scrape yet"
        while time.monotonic() < deadline:
            try:
                result = self.client.instant("up")
                up = {s.labels.get("job", ""): s.points[0][1] for s in result.series if s.points}
                if all(up.get(job) == 1.0 for job in jobs):
                    return
                last = f"up={up}"
            except QueryError as exc:
                last = str(exc)
            time.sleep(self.scrape_interval / 2)
        raise PrometheusUnavailable(f"local Prometheus never scraped {sorted(jobs)} successfully ({last})")

    def wait_for_scrapes(self, count: int = 1, after: float | None = None, timeout: float = 20.0) -> None:
        """Block until every target has been scraped `count` times since `after` (wall clock, default now).

        A scrape is seen by the timestamp of its `up` sample; every series it brought is queryable with it.
        """
        since = time.time() if after is None else after
        jobs = {t.job for t in self.targets}
        seen: dict[str, set[float]] = {job: set() for job in jobs}
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                for series in self.client.instant("timestamp(up)").series:
                    job = series.labels.get("job", "")
                    if job in seen and series.points and series.points[0][1] > since:
                        seen[job].add(series.points[0][1])
            except QueryError:
                pass
            if all(len(times) >= count for times in seen.values()):
                return
            time.sleep(self.scrape_interval / 4)
        counts = {job: len(times) for job, times in sorted(seen.items())}
        raise PrometheusUnavailable(f"local Prometheus scraped {counts} times, not {count}, within {timeout:g} s")

    def stop(self) -> None:
        self._terminate()
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def _terminate(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=STOP_TIMEOUT_S)

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def __enter__(self) -> LocalPrometheus:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:  # fmt: skip
        self.stop()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _dur(seconds: float) -> str:
    return f"{int(seconds)}s" if float(seconds).is_integer() else f"{round(seconds * 1000)}ms"

"""A real Prometheus scrapes the twin's /metrics over TLS with the bearer token (what dashboards rely on)."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import urllib.parse
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import pytest

from benchkit.twin.process import TwinProcess

from .helpers import Clients, app, wait_until

PROMETHEUS = shutil.which("prometheus")
pytestmark = pytest.mark.skipif(PROMETHEUS is None, reason="prometheus is not installed")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_prometheus_scrapes_the_twin(twin: TwinProcess, k8s: Clients, tmp_path: Path) -> None:
    assert PROMETHEUS is not None
    k8s.create_app("default", app("prom-1", uuid.uuid4().hex[:10], seconds=0.2))
    config = tmp_path / "prometheus.yml"
    config.write_text(
        "global: {scrape_interval: 1s}\n"
        "scrape_configs:\n"
        "  - job_name: twin\n"
        "    scheme: https\n"
        f'    authorization: {{credentials: "{twin.token}"}}\n'
        f'    tls_config: {{ca_file: "{twin.ca_file}"}}\n'
        f'    static_configs: [{{targets: ["{twin.url.removeprefix("https://")}"]}}]\n'
    )
    port = _free_port()
    log = (tmp_path / "prometheus.log").open("w")
    prom = subprocess.Popen([PROMETHEUS, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'data'}",
                             f"--web.listen-address=127.0.0.1:{port}"], stdout=log, stderr=log)  # fmt: skip

    def query(expr: str) -> list[dict[str, Any]]:
        url = f"http://127.0.0.1:{port}/api/v1/query?query={urllib.parse.quote(expr)}"
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:
                return list(json.load(resp)["data"]["result"])
        except OSError:
            return []

    try:
        up = wait_until(lambda: query('up{job="twin"}'), timeout=30, interval=0.5, what="the first scrape")
        assert up[0]["value"][1] == "1", (tmp_path / "prometheus.log").read_text()[-2000:]
        for expr in ('apiserver_request_total{resource="sparkapplications",verb="POST"}',
                     'apiserver_storage_objects{resource="pods"}',
                     "histogram_quantile(0.99, sum by (le, verb) (apiserver_request_duration_seconds_bucket))",
                     "process_resident_memory_bytes", "spark_application_submit_count"):  # fmt: skip
            assert wait_until(lambda e=expr: query(e), timeout=15, interval=0.5, what=expr)
        # the types Prometheus recorded are the operator's (client_golang): counters without _total, summaries
        wait_until(lambda: query("spark_application_success_execution_time_seconds_count"), timeout=15, interval=0.5,
                   what="the execution-time summary")  # fmt: skip
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/metadata", timeout=5) as resp:
            metadata = {name: entries[0]["type"] for name, entries in json.load(resp)["data"].items()}
        assert metadata["spark_application_submit_count"] == "counter"
        assert metadata["spark_application_start_latency_seconds"] == "summary"
        assert metadata["spark_application_success_execution_time_seconds"] == "summary"
        assert metadata["process_cpu_seconds_total"] == "counter"
        assert metadata["benchkit_twin_process_resident_memory_bytes"] == "gauge"
    finally:
        prom.terminate()
        prom.wait(10)
        log.close()

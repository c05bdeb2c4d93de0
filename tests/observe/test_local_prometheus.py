"""The local Prometheus helper: generated config, start/ready/stop lifecycle, and a clear error without binary."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import observekit
import pytest
import yaml

from benchkit.observe.local import LocalPrometheus, PrometheusUnavailable, ScrapeTarget, render_config


def test_config_scrapes_https_with_token_file_and_ca(tmp_path: Path) -> None:
    target = ScrapeTarget("twin", "https://127.0.0.1:6443/metrics", token="s3cret", ca_file=tmp_path / "ca.crt")
    text = render_config([target], 1.0, {"twin": tmp_path / "twin.token"})
    assert "s3cret" not in text  # the token is referenced by file, never written into the config
    job = yaml.safe_load(text)["scrape_configs"][0]
    assert job["scheme"] == "https" and job["metrics_path"] == "/metrics"
    assert job["static_configs"] == [{"targets": ["127.0.0.1:6443"]}]
    assert job["authorization"] == {"type": "Bearer", "credentials_file": str(tmp_path / "twin.token")}
    assert job["tls_config"] == {"ca_file": str(tmp_path / "ca.crt")}
    assert job["scrape_interval"] == job["scrape_timeout"] == "1s"
    assert yaml.safe_load(render_config([target], 1.5, {}))["global"]["scrape_interval"] == "1500ms"


def test_missing_binary_says_how_to_install(tmp_path: Path) -> None:
    prom = LocalPrometheus([ScrapeTarget("x", "http://127.0.0.1:1/metrics")])
    prom.binary = None
    with pytest.raises(PrometheusUnavailable, match="apt-get install prometheus"):
        prom.start()


@pytest.mark.slow
def test_lifecycle_against_the_twin(observed: observekit.Environment) -> None:
    twin = observed.twin
    prom = LocalPrometheus([ScrapeTarget("twin", f"{twin.url}/metrics", twin.token, twin.ca_file)])
    with prom:
        assert prom.running and prom.client.ready()
        pid, workdir = prom.pid, prom.dir
        assert pid is not None and workdir is not None
        token_file = workdir / "twin.token"
        assert token_file.read_text() == twin.token and oct(token_file.stat().st_mode & 0o777) == "0o600"
        assert str(prom.url).startswith("http://127.0.0.1:")
        prom.wait_for_targets()
        since = time.time()
        prom.wait_for_scrapes(2, after=since)  # two scrapes that began after `since` are queryable
        window = f"{int(time.time() - since) + 2}s"
        raw = prom.client.instant(f'up{{job="twin"}}[{window}]').series[0].points  # the samples, as stored
        assert len([t for t, _ in raw if t > since]) >= 2
        with pytest.raises(PrometheusUnavailable, match=r"scraped \{'twin': 0\} times, not 1, within 0.5 s"):
            prom.wait_for_scrapes(1, after=time.time() + 3600, timeout=0.5)
    assert not prom.running and not prom.client.ready()
    assert not workdir.exists()
    assert not _alive(pid)


@pytest.mark.slow
def test_the_shared_prometheus_scrapes_the_twin_with_tls_and_token(observed: observekit.Environment) -> None:
    up = observed.prometheus.client.instant("up").series
    assert [(s.labels["job"], s.points[0][1]) for s in up] == [("twin", 1.0)]


def test_prometheus_does_not_outlive_a_killed_parent(tmp_path: Path) -> None:
    """kill -9 of the process that started it (benchkit run, pytest) takes the local Prometheus down too."""
    script = tmp_path / "parent.py"
    script.write_text(
        "import os\nfrom benchkit.observe.local import LocalPrometheus, ScrapeTarget\n"
        "p = LocalPrometheus([ScrapeTarget('x', 'http://127.0.0.1:1/metrics')]).start()\n"
        "print(p.pid, flush=True)\nos.kill(os.getpid(), 9)\n"
    )
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == -9
    pid = int(proc.stdout.split()[0])
    deadline = time.monotonic() + 10
    while _alive(pid):
        assert time.monotonic() < deadline, f"Prometheus {pid} outlived its killed parent"
        time.sleep(0.1)


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except FileNotFoundError:
        return False

"""The Prometheus port-forward: the kubectl command, its lifecycle and failures, with a fake kubectl.

A real `kubectl port-forward` needs a real cluster; none can run here, so only the fake is exercised.
"""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

import pytest

from benchkit.errors import CollectionError, ConfigError
from benchkit.kube.stack import StackOutputs
from benchkit.observe.portforward import PortForward, parse_service, stack_prometheus
from benchkit.observe.promql import PromClient

FAKE = Path(__file__).with_name("fake_kubectl.py")


@pytest.fixture
def kubectl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    script = tmp_path / "kubectl"
    script.write_text(f"#!{sys.executable}\n" + FAKE.read_text())
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("FAKE_KUBECTL_LOG", str(tmp_path / "argv.json"))
    return str(script)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie still answers kill(0): look at its state
    status = Path(f"/proc/{pid}/stat")
    return status.exists() and status.read_text().split()[2] != "Z"


def test_parse_service() -> None:
    assert parse_service("monitoring/kube-prometheus-stack-prometheus:9090") == (
        "monitoring", "kube-prometheus-stack-prometheus", 9090)  # fmt: skip
    for bad in ("prometheus:9090", "monitoring/prometheus", "Mon/p:1", "m/p:0", "m/p:70000", "m/p:http"):
        with pytest.raises(ConfigError, match="prometheusService"):
            parse_service(bad)


def test_command_names_namespace_service_and_ports(tmp_path: Path) -> None:
    forward = PortForward("monitoring/prom:9090", kubeconfig=tmp_path / "kc", context="bench", kubectl="kubectl",
                          local_port=45678)  # fmt: skip
    assert forward.command() == [
        "kubectl", f"--kubeconfig={tmp_path / 'kc'}", "--context=bench", "port-forward", "-n", "monitoring",
        "svc/prom", "45678:9090", "--address", "127.0.0.1",
    ]  # fmt: skip
    assert forward.url == "http://127.0.0.1:45678"


def test_lifecycle_queries_through_the_forward_and_stops_it(kubectl: str, tmp_path: Path) -> None:
    with PortForward("monitoring/prom:9090", kubectl=kubectl) as forward:
        pid = forward.pid
        assert pid is not None and _alive(pid)
        client = PromClient(forward.url)
        # ~100 kB of "Handling connection" lines: more than a pipe holds, so this hangs unless drained
        for _ in range(120):
            assert client.instant("up").series[0].points[0][1] == 42.0
    assert not _alive(pid)
    assert forward.pid is None
    argv = json.loads((tmp_path / "argv.json").read_text())["argv"]
    assert argv[:5] == ["port-forward", "-n", "monitoring", "svc/prom", f"{forward.local_port}:9090"]


def test_kubectl_failure_is_reported_with_its_message(kubectl: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_KUBECTL_FAIL", 'error: services "prom" not found')
    with pytest.raises(CollectionError, match='port-forward to monitoring/prom failed: error: services "prom" not'):
        PortForward("monitoring/prom:9090", kubectl=kubectl).start(timeout=10)


def test_missing_kubectl_is_a_collection_error(tmp_path: Path) -> None:
    with pytest.raises(CollectionError, match="cannot run"):
        PortForward("monitoring/prom:9090", kubectl=str(tmp_path / "no-kubectl")).start(timeout=5)


def test_stack_prometheus_writes_a_private_kubeconfig_and_removes_it(kubectl: str, tmp_path: Path) -> None:
    outputs = StackOutputs(stack="dev", cluster_name="c", region="us-west-2",
                           kubeconfig={"apiVersion": "v1", "clusters": [{"name": "c"}]}, node_groups={},
                           prometheus_service="monitoring/prom:9090")  # fmt: skip
    with stack_prometheus(outputs, kubectl=kubectl) as forward:
        assert PromClient(forward.url).instant("up").series
        record = json.loads((tmp_path / "argv.json").read_text())
        kubeconfig = Path(record["argv"][0].split("=", 1)[1])
        assert kubeconfig.exists()
    assert record["kubeconfig_mode"] == "0o600"
    assert "clusters" in record["kubeconfig_text"]
    assert not kubeconfig.exists()


def test_stack_without_prometheus_output_is_a_config_error() -> None:
    outputs = StackOutputs(stack="dev", cluster_name="c", region="r", kubeconfig={}, node_groups={})
    with pytest.raises(ConfigError, match="no prometheusService output"), stack_prometheus(outputs):
        pass

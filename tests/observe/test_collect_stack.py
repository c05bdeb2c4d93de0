"""`benchkit collect --stack`: read the stack outputs, port-forward to its Prometheus, collect, close.

Fakes stand in for the Pulumi CLI (stack outputs) and kubectl (a port-forward that serves a Prometheus
API answering every query with one sample); a real stack cannot exist here.
"""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

import observekit
import pytest
from report.synthetic import write_run

FAKE_KUBECTL = Path(__file__).with_name("fake_kubectl.py")


def _script(path: Path, body: str) -> None:
    path.write_text(f"#!{sys.executable}\n{body}")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


@pytest.fixture
def fake_tools(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    outputs = {"clusterName": "bench", "region": "us-west-2", "nodeGroups": {"bench": "bench-ng"},
               "kubeconfig": {"apiVersion": "v1", "clusters": []},
               "prometheusService": "monitoring/kube-prometheus-stack-prometheus:9090"}  # fmt: skip
    _script(bin_dir / "pulumi", f"import json\nprint(json.dumps({outputs!r}))\n")
    _script(bin_dir / "kubectl", FAKE_KUBECTL.read_text())
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_KUBECTL_LOG", str(tmp_path / "kubectl.json"))
    return tmp_path


def test_collect_through_a_stack_port_forward(fake_tools: Path) -> None:
    run = write_run(fake_tools / "run-1", jobs=20)
    proc = observekit.benchkit("collect", str(run), "--stack", "dev", "--profile", "operator")
    assert proc.returncode == 0, proc.stderr
    assert "port-forward to stack dev" in proc.stdout
    record = json.loads((fake_tools / "kubectl.json").read_text())
    assert record["argv"][1:5] == ["port-forward", "-n", "monitoring", "svc/kube-prometheus-stack-prometheus"]
    assert record["argv"][5].endswith(":9090")
    assert not Path(f"/proc/{record['pid']}").exists() or "Z" in Path(f"/proc/{record['pid']}/stat").read_text()
    assert not Path(record["argv"][0].split("=", 1)[1]).exists()  # the temporary kubeconfig is gone
    written = sorted(p.stem for p in (run / "metrics").glob("*.csv"))
    assert "workqueue_depth" in written and "operator_restarts" in written and len(written) == 17  # all operator

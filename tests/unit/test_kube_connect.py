"""Connecting: kubeconfig errors are one-line ConfigErrors; stack outputs come from the Pulumi CLI."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from benchkit.errors import ConfigError
from benchkit.kube import connect, stack

KUBECONFIG = {
    "apiVersion": "v1", "kind": "Config", "current-context": "a",
    "clusters": [{"name": "c", "cluster": {"server": "https://127.0.0.1:6443", "insecure-skip-tls-verify": True}}],
    "contexts": [{"name": "a", "context": {"cluster": "c", "user": "u"}}],
    "users": [{"name": "u", "user": {"token": "secret-token"}}],
}  # fmt: skip

OUTPUTS = {
    "clusterName": "bench", "region": "us-west-2", "kubeconfig": json.dumps(KUBECONFIG),
    "nodeGroups": {"bench": "bench-ng-123", "core": "core-ng"}, "sparkNamespaces": ["spark-team-a"],
    "leaseParameter": "/benchkit/dev/lease",
}  # fmt: skip


def test_connect_reads_kubeconfig_and_context(tmp_path: Path) -> None:
    path = tmp_path / "kubeconfig"
    path.write_text(json.dumps(KUBECONFIG))
    target = connect.connect(path, "a")
    assert target.server == "https://127.0.0.1:6443"
    assert target.source == f"kubeconfig:{path}"
    assert "secret-token" not in repr(target.source + target.server)


def test_context_alone_reads_the_first_kubeconfig_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    first.write_text(json.dumps(KUBECONFIG))
    second.write_text("{: not yaml")  # never read
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))  # no ~/.kube/config yet
    monkeypatch.setenv("KUBECONFIG", os.pathsep.join(["", str(first), str(second)]))
    target = connect.connect(context="a")
    assert (target.source, target.server) == (f"kubeconfig:{first}", "https://127.0.0.1:6443")
    assert connect.kubeconfig_path() == first and connect.kubeconfig_path(second) == second  # --kubeconfig wins
    (home / ".kube").mkdir(parents=True)
    (home / ".kube" / "config").write_text(json.dumps(KUBECONFIG))
    monkeypatch.delenv("KUBECONFIG")
    assert connect.connect(context="a").source == f"kubeconfig:{home / '.kube' / 'config'}"


@pytest.mark.parametrize(
    ("content", "context", "message"),
    [
        (None, None, "cannot read"),
        ("{: not yaml", None, "not valid YAML"),
        ("[]", None, "is not a kubeconfig"),
        (json.dumps(KUBECONFIG), "nope", "no context 'nope'"),
    ],
)
def test_connect_errors_are_config_errors(
    tmp_path: Path, content: str | None, context: str | None, message: str
) -> None:
    path = tmp_path / "kubeconfig"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ConfigError, match=message):
        connect.connect(path, context)


def _fake_pulumi(tmp_path: Path, stdout: str, rc: int = 0) -> None:
    script = tmp_path / "bin" / "pulumi"
    script.parent.mkdir()
    script.write_text(f"#!/bin/sh\necho \"$@\" > {tmp_path}/argv\ncat <<'JSON'\n{stdout}\nJSON\nexit {rc}\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)


def test_stack_outputs_from_pulumi_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_pulumi(tmp_path, json.dumps(OUTPUTS))
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    out = stack.read_stack_outputs("dev")
    assert (tmp_path / "argv").read_text().split() == ["stack", "output", "--json", "--show-secrets", "--stack", "dev"]
    assert out.cluster_name == "bench" and out.node_groups["bench"] == "bench-ng-123"
    assert out.kubeconfig["users"][0]["user"]["token"] == "secret-token"
    assert "secret-token" not in repr(out)
    assert connect.connect(stack=out).source == "stack:dev"


def test_stack_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(ConfigError, match="needs the Pulumi CLI"):
        stack.read_stack_outputs("dev")
    with pytest.raises(ConfigError, match="lack nodeGroups"):
        stack.parse_outputs("dev", {k: v for k, v in OUTPUTS.items() if k != "nodeGroups"})

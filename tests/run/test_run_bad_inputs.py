"""Bad input: one line on stderr, exit 2, and nothing created (no objects, no run folder)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from benchkit.spark import template
from tests.run.conftest import benchkit

NO_TWIN_CASES = [
    (["--jobs-per-min", "0"], "jobs-per-min must be > 0"),
    (["--jobs-per-min", "-5"], "jobs-per-min must be > 0"),
    (["--spark-template", "/no/such/template.yaml"], "spark-template: cannot read"),
    (["--kubeconfig", "/no/such/kubeconfig"], "kubeconfig: no such file"),
    (["--spark-namespaces", "Team_A"], "not a valid namespace name"),
    (["--ramp", "10:5"], "ramp: expected START:STEP:EVERY"),
    (["--total-jobs", "0"], "total-jobs must be >= 1"),
    (["--timeout", "soon"], "timeout: expected a duration"),
]


@pytest.mark.parametrize(("args", "message"), NO_TWIN_CASES)
def test_bad_flags(tmp_path: Path, args: list[str], message: str) -> None:
    _assert_bad(tmp_path, args, message)


def test_bad_files(tmp_path: Path) -> None:
    bad_yaml = tmp_path / "bad.yaml"
    bad_yaml.write_text("users: [1,\n")
    _assert_bad(tmp_path, [str(bad_yaml)], "invalid YAML")
    unknown = tmp_path / "unknown.yaml"
    unknown.write_text("jobs-per-minute: 10\n")
    _assert_bad(tmp_path, [str(unknown)], "unknown key 'jobs-per-minute'")
    body = template.load().body
    body["spec"]["executor"]["instances"] = "five"
    bad_template = tmp_path / "tpl.yaml"
    bad_template.write_text(yaml.safe_dump(body))
    _assert_bad(tmp_path, ["--spark-template", str(bad_template)], r"spec.executor.instances: 'five' is not of type")
    not_yaml = tmp_path / "kubeconfig"
    not_yaml.write_text("::: not yaml [")
    _assert_bad(tmp_path, ["--kubeconfig", str(not_yaml)], r"kubeconfig.*(not valid YAML|Invalid kube-config)")


def test_bad_target_inputs_create_nothing(make_twin, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    twin = make_twin()
    kc = str(twin.kubeconfig)
    _assert_bad(tmp_path, ["--kubeconfig", kc, "--spark-namespaces", "spark-team-a,nope"],
                "spark-namespaces: namespace 'nope' does not exist")  # fmt: skip
    _assert_bad(tmp_path, ["--kubeconfig", kc, "--context", "nosuch"], "no context 'nosuch'")
    stats = twin.admin("GET", "stats")
    assert stats["objects"]["sparkapplications"] == 0
    assert stats["objects"]["pods"] == 4 * stats["objects"]["nodes"]  # only the cluster's DaemonSet pods
    assert not any(k.startswith(("POST", "DELETE", "PUT", "PATCH")) for k in stats["requests"]), stats["requests"]


def _assert_bad(tmp_path: Path, args: list[str], message: str) -> None:
    results = tmp_path / "runs"
    proc = benchkit("run", *args, "--results-dir", str(results), timeout=60)
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("benchkit: error: "), proc.stderr
    assert re.search(message, lines[0]), lines[0]
    assert not results.exists() or not any(results.iterdir()), "a run folder was created"

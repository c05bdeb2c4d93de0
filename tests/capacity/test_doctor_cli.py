"""`benchkit doctor` end to end: the embedded twin, a moto stack read through a fake `pulumi`, bad input."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from benchkit.cli import main
from benchkit.kube import rest
from benchkit.kube.connect import connect
from benchkit.twin.process import TwinProcess

from .doctor_stack import build
from .twin_side import fake_pulumi, path_with


def _fake_aws(bin_dir: Path, version: str) -> None:
    script = bin_dir / "aws"
    script.write_text(f"#!/bin/sh\necho '{version}'\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)


def _doctor(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    try:
        main(["doctor", *args, "--json"])
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, json.loads(capsys.readouterr().out)


@pytest.fixture(scope="module")
def twin() -> Iterator[TwinProcess]:
    with TwinProcess(nodes=1, profile="fast", namespaces=("spark-team-a",)) as proc:  # type: ignore[arg-type]
        # as the operator chart does on the real stack (spark.serviceAccount.create): the Spark service account
        api = connect(proc.kubeconfig).api
        rest.call(api, "POST", "/api/v1/namespaces/spark-team-a/serviceaccounts",
                  body={"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "spark"}})  # fmt: skip
        yield proc


def _stack_outputs(twin: TwinProcess, expect: Any) -> dict[str, Any]:
    kubeconfig = yaml.safe_load(twin.kubeconfig.read_text())
    # as pulumi-eks writes it, the user runs `aws eks get-token` (the twin ignores the token it would give)
    kubeconfig["users"].append({"name": "aws", "user": {"exec": {"command": "aws", "args": ["eks", "get-token"]}}})
    return {
        "clusterName": expect.cluster, "region": expect.region,
        "kubeconfig": kubeconfig, "nodeGroups": expect.node_groups,
        "sparkNamespaces": ["spark-team-a"], "leaseParameter": expect.lease_parameter,
        "instanceTypes": expect.instance_types,
        "stackShape": {"benchMaxPods": 220, "warmPrefixTarget": 1,
                       "nodeGroupBounds": {r: list(b) for r, b in expect.bounds.items()},
                       "operator": {"workers": 20, "controllerCpu": "33", "webhookEnabled": True,
                                    "serviceAccount": "spark"},
                       "janitor": {"functionName": expect.janitor_function, "schedule": expect.janitor_schedule}},
    }  # fmt: skip


def test_doctor_on_a_moto_stack(aws: str, twin: TwinProcess, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    expect = build()
    bin_dir = fake_pulumi(tmp_path / "bin", "moto", _stack_outputs(twin, expect))
    _fake_aws(bin_dir, "aws-cli/2.22.0 Python/3.12.6 Linux/6.1 exe/x86_64")
    monkeypatch.setenv("PATH", path_with(bin_dir))
    code, body = _doctor(capsys, "--stack", "moto", "--nodes", "1")
    rows = {r["check"]: r for r in body["rows"]}
    assert code == 0 and body["failed"] == 0, [r for r in body["rows"] if r["status"] == "fail"]
    assert {c for c, r in rows.items() if r["status"] == "warn"} == {
        "ec2 on-demand vCPU quota", "vpc-cni prefix delegation", "spark operator", "prometheus"}  # fmt: skip
    assert rows["tool aws"]["detail"].endswith("aws-cli/2.22.0 Python/3.12.6 Linux/6.1 exe/x86_64")
    assert rows["bench nodes"]["detail"] == "1 node(s): both labels, allocatable pods 220"
    # two bench nodes at 220 pods do not fit the /24: exactly that row fails and the exit code says so
    code, body = _doctor(capsys, "--stack", "moto", "--nodes", "2")
    assert code == 1 and [r["check"] for r in body["rows"] if r["status"] == "fail"] == ["bench subnet addresses"]
    # AWS CLI v1 cannot serve the kubeconfig's `aws eks get-token`
    _fake_aws(bin_dir, "aws-cli/1.33.0 Python/3.12.6")
    code, body = _doctor(capsys, "--stack", "moto", "--nodes", "1")
    assert code == 1 and [r["check"] for r in body["rows"] if r["status"] == "fail"] == ["tool aws"]


def test_a_missing_pulumi_cli_fails_its_row(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    monkeypatch.setenv("PATH", str(tmp_path))  # nothing on PATH
    code, body = _doctor(capsys, "--stack", "s", "--fast")
    rows = {r["check"]: r for r in body["rows"]}
    assert code == 1 and rows["tool pulumi"]["status"] == "fail" and "pulumi.com" in rows["tool pulumi"]["fix"]
    assert rows["stack outputs"]["status"] == "warn"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--cluster", "c"], "--cluster and --region go together"),
        (
            ["--stack", "s", "--cluster", "c", "--region", "us-west-2"],
            "give either --stack or --cluster/--region/--kubeconfig, not both",
        ),
        (["--nodes", "-1"], "--nodes must be >= 0, got -1"),
    ],
)
def test_bad_input_exits_2_with_one_line(args: list[str], message: str) -> None:
    done = subprocess.run([sys.executable, "-m", "benchkit", "doctor", *args], capture_output=True, text=True,
                          timeout=60, check=False)  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [f"benchkit: error: {message}"]


def test_doctor_without_a_target_checks_the_embedded_twin() -> None:
    done = subprocess.run([sys.executable, "-m", "benchkit", "doctor", "--json"], capture_output=True, text=True,
                          timeout=180, check=False)  # fmt: skip
    body = json.loads(done.stdout)
    statuses = {r["check"]: r["status"] for r in body["rows"]}
    assert done.returncode == 0 and body["failed"] == 0
    assert statuses["bench nodes"] == "ok" and statuses["SparkApplication API"] == "ok"
    if "operator scrape" in statuses:  # with a Prometheus binary (make test installs it)
        assert statuses["prometheus"] == "ok" and statuses["operator scrape"] == "ok"


def _ctx(**settings: Any) -> Any:
    import io

    from rich.console import Console

    from benchkit.orchestrate.context import RunContext
    from benchkit.settings.run import RunSettings

    out = io.StringIO()
    return RunContext(settings=RunSettings(**settings), console=Console(file=out), out=Console(file=out)), out


def test_run_stops_before_scaling_when_a_fast_check_fails(aws: str, twin: TwinProcess, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    from benchkit.orchestrate import doctor_step, run

    names = [s.name for s in run.LIFECYCLE]
    assert names.index("target") < names.index("doctor") < names.index("prescale") < names.index("submit")
    expect = build(untainted="bench")  # the bench group lost its taint: Spark pods could land elsewhere
    bin_dir = fake_pulumi(tmp_path / "bin", "broken", _stack_outputs(twin, expect))
    _fake_aws(bin_dir, "aws-cli/2.22.0 Python/3.12.6")
    monkeypatch.setenv("PATH", path_with(bin_dir))
    ctx, _ = _ctx(stack="broken", prescale=True, nodes=1)
    with pytest.raises(doctor_step.DoctorFailed, match=r"^doctor: node group bench: .*no spark-operator-benchmark-ng:"
                       r"NoSchedule taint; fix: run `pulumi up`"):  # fmt: skip
        doctor_step.fast_doctor(ctx)
    assert doctor_step.DoctorFailed.exit_code == 1
    # the same stack, intact: the step passes and says how many checks it made
    good = build()
    bin_dir = fake_pulumi(tmp_path / "bin2", "good", _stack_outputs(twin, good))
    _fake_aws(bin_dir, "aws-cli/2.22.0 Python/3.12.6")
    monkeypatch.setenv("PATH", path_with(bin_dir))
    ctx, out = _ctx(stack="good", prescale=True, nodes=1)
    doctor_step.fast_doctor(ctx)
    assert "fast checks passed" in out.getvalue()


def test_a_plain_twin_run_makes_no_doctor_checks() -> None:
    from benchkit.orchestrate import doctor_step

    ctx, out = _ctx()
    doctor_step.fast_doctor(ctx)  # no stack, no prescale: nothing to check, nothing printed
    assert out.getvalue() == ""

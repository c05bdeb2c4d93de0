"""`benchkit nodes scale` and `benchkit teardown` through the real CLI (subprocess) against moto, AWS side only."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from benchkit.cli import main

from .conftest import FakeStack

C = ["--cluster", "{cluster}", "--region", "us-west-2"]


def c(stack: FakeStack) -> list[str]:
    return ["--cluster", stack.cluster, "--region", stack.region]


def bk(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "benchkit", *args], capture_output=True, text=True,
                          timeout=timeout, env=dict(os.environ), check=False)  # fmt: skip


def test_scale_then_teardown_twice(stack: FakeStack) -> None:
    up = bk("nodes", "scale", *c(stack), "--nodegroup", "bench", "--to", "50")
    assert up.returncode == 0, up.stderr
    assert f"{stack.cluster}/bench: desired 0 -> 50 (min 50, max 200)" in up.stdout
    assert "now $34.56/h (50 x m6a.4xlarge" in up.stdout
    assert stack.scaling("bench") == {"minSize": 50, "desiredSize": 50, "maxSize": 200}

    first = bk("teardown", *c(stack))  # no kubeconfig: AWS side only; the bench group is found by its label
    assert first.returncode == 0, first.stderr
    assert "no Kubernetes connection: SparkApplications not checked" in first.stdout
    assert f"node group bench ({stack.cluster}/bench): desired 50 -> 0 ($34.56/h x m6a.4xlarge)" in first.stdout
    assert "hourly cost now avoided: $34.56/h" in first.stdout
    assert stack.scaling("bench") == {"minSize": 0, "desiredSize": 0, "maxSize": 200}
    assert stack.scaling("operator")["desiredSize"] == 1  # not without --all-groups

    second = bk("teardown", *c(stack))
    assert second.returncode == 0, second.stderr
    assert second.stdout.startswith("teardown (all benchkit runs): nothing to do — Kubernetes not checked, bench")
    assert "already at 0 nodes" in second.stdout


def test_all_groups(stack: FakeStack, capsys: pytest.CaptureFixture[str]) -> None:
    main(["teardown", *c(stack), "--all-groups"])  # in-process: returns on success
    result = capsys.readouterr()
    for role in ("bench", "operator", "monitoring"):
        assert stack.scaling(role)["desiredSize"] == 0
    assert stack.scaling("core")["desiredSize"] == 2  # core stays: the cluster needs it
    assert "hourly cost now avoided: $1.98/h" in result.out  # 1 x c5.9xlarge + 1 x r6a.2xlarge


def test_bad_input_in_a_subprocess(stack: FakeStack) -> None:
    result = bk("nodes", "scale", *c(stack), "--nodegroup", "bench", "--to", "500")
    assert result.returncode == 2
    message = f"node group {stack.cluster}/bench: 500 nodes exceeds its maxSize 200 (raise it in the stack config)"
    assert result.stderr.strip() == f"benchkit: error: {message}"
    assert stack.scaling("bench")["desiredSize"] == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["teardown"], "which cluster? give --stack S, or --cluster NAME --region R, or --kubeconfig FILE"),
        (["teardown", "--stack", "dev", *C], "give either --stack or --cluster/--region/--nodegroup, not both"),
        (["teardown", "--cluster", "bench-cluster"], "--cluster and --region go together"),
        (["teardown", "--cluster", "bench-cluster", "--region", "mars-1"], "--region: 'mars-1' is not an AWS region"),
        (["teardown", *C, "--run", "Not_A_Run"], "--run: 'Not_A_Run' is not a benchkit run id"),
        (["teardown", *C, "--timeout", "soon"], "timeout: expected a duration"),
        (["teardown", "--cluster", "nope", "--region", "us-west-2"], "listing node groups of nope: No cluster found"),
        (["teardown", *C, "--nodegroup", "nosuch"], "describing node group {cluster}/nosuch: No node group found"),
        (["teardown", *C, "--nodegroup", "bench", "--nodegroup", "nosuch"], "No node group found for name: nosuch"),
        (
            ["teardown", "--cluster", "nope", "--region", "us-west-2", "--nodegroup", "bench"],
            "describing node group nope/bench: No cluster found",
        ),
        (["nodes", "scale", *C, "--nodegroup", "bench", "--to", "-1"], "--to must be >= 0, got -1"),
        (["nodes", "scale", *C, "--to", "3"], "--cluster needs --nodegroup NAME"),
        (
            ["nodes", "scale", "--stack", "dev", "--cluster", "x", "--to", "3"],
            "give either --stack or --cluster/--region/--nodegroup, not both",
        ),
        (["nodes", "scale", *C, "--nodegroup", "bench", "--to", "3", "--hold", "0"], "--hold must be longer than 0 s"),
        (["nodes", "scale", *C, "--nodegroup", "bench", "--to", "3", "--hold", "soon"], "hold: expected a duration"),
        (["nodes", "scale", *C, "--nodegroup", "bench", "--to", "500"], "500 nodes exceeds its maxSize 200"),
        (["nodes", "scale", *C, "--nodegroup", "nope", "--to", "3"], "No node group found for name: nope"),
        (
            ["nodes", "scale", *C, "--nodegroup", "bench", "--to", "3", "--wait"],
            "--wait with --cluster needs --kubeconfig",
        ),
        (["nodes", "scale", "--stack", "dev", "--kubeconfig", "/x", "--to", "1"], "--stack brings its own kubeconfig"),
        (["nodes", "scale", "--to", "1"], "which cluster?"),
        (["nodes", "scale", *C, "--nodegroup", "bench", "--to", "many"], "'many' is not a valid integer"),
    ],
)
def test_bad_input_exits_2_with_one_line_and_changes_nothing(
    shared_stack: FakeStack, args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """In-process through `benchkit.cli.main` (the console-script entry point), to spare 3 s of imports per case."""
    with pytest.raises(SystemExit) as exit_info:
        main([a.format(cluster=shared_stack.cluster) for a in args])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and message.format(cluster=shared_stack.cluster) in lines[0], err
    assert {r: shared_stack.scaling(r)["desiredSize"] for r in ("core", "operator", "monitoring", "bench")} == {
        "core": 2, "operator": 1, "monitoring": 1, "bench": 0}  # fmt: skip

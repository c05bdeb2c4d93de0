"""nodes scale --wait and teardown end to end: moto holds the node groups, the twin the Kubernetes side."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from kubernetes import client

from benchkit.capacity import janitor, lease
from benchkit.cli import main
from benchkit.kube import labels
from benchkit.kube.connect import connect
from benchkit.spark import template
from benchkit.twin.process import TwinProcess

from .conftest import FakeStack
from .twin_side import NodeGroupMirror, fake_pulumi, path_with, stack_outputs

STACK = "bench-dev"
GROUP, VERSION, PLURAL = "sparkoperator.k8s.io", "v1beta2", "sparkapplications"


@pytest.fixture(scope="module")
def twin() -> Iterator[TwinProcess]:
    with TwinProcess(nodes=0) as process:
        yield process


@pytest.fixture
def env(stack: FakeStack, twin: TwinProcess, param: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[FakeStack, TwinProcess]]:  # fmt: skip
    """`--stack bench-dev` resolves (fake Pulumi CLI) to the moto cluster + the twin; moto sizes mirrored."""
    bin_dir = fake_pulumi(tmp_path / "bin", STACK, stack_outputs(stack, twin, param))
    monkeypatch.setenv("PATH", path_with(bin_dir))
    with NodeGroupMirror(stack, twin):
        yield stack, twin


def run(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    main(list(args))
    return capsys.readouterr().out


def core(twin: TwinProcess) -> client.CoreV1Api:
    return client.CoreV1Api(connect(twin.kubeconfig).api)


def bench_nodes(twin: TwinProcess) -> int:
    return len(core(twin).list_node(label_selector="eks.amazonaws.com/nodegroup=bench").items)


def create_apps(twin: TwinProcess, run_id: str, count: int, managed: bool = True) -> None:
    custom = client.CustomObjectsApi(connect(twin.kubeconfig).api)
    tpl = template.load(None)
    for seq in range(count):
        ns = template.namespace_for(seq, ("spark-team-a", "spark-team-b"))
        app = template.render(tpl, run_id=run_id, scenario="keep", seq=seq, namespace=ns, app_seconds=600)
        if not managed:  # someone else's app: must survive every teardown
            app["metadata"]["labels"] = {"team": "a"}
            app["metadata"]["name"] = f"other-{run_id}-{seq}"
        custom.create_namespaced_custom_object(GROUP, VERSION, ns, PLURAL, app)


def apps(twin: TwinProcess, selector: str = "") -> list[dict[str, Any]]:
    custom = client.CustomObjectsApi(connect(twin.kubeconfig).api)
    items = custom.list_cluster_custom_object(GROUP, VERSION, PLURAL, label_selector=selector)["items"]
    return [i for i in items if not i["metadata"].get("deletionTimestamp")]


def test_scale_up_waits_for_ready_nodes_then_down_until_gone(
    env: tuple[FakeStack, TwinProcess], capsys: pytest.CaptureFixture[str]
) -> None:
    stack, twin = env
    out = run(capsys, "nodes", "scale", "--stack", STACK, "--group", "bench", "--to", "6", "--wait", "--timeout", "60s")
    assert f"bench ({stack.cluster}/bench): desired 0 -> 6 (min 6, max 200); 6/6 nodes Ready" in out
    assert "6/6 nodes Ready with all 5 DaemonSet(s) running" in out  # cluster_shape.yaml's daemonsets
    assert "now $4.15/h (6 x m6a.4xlarge" in out
    assert bench_nodes(twin) == 6
    ready = [n for n in core(twin).list_node(label_selector="eks.amazonaws.com/nodegroup=bench").items
             if any(c.type == "Ready" and c.status == "True" for c in n.status.conditions)]  # fmt: skip
    assert len(ready) == 6
    out = run(capsys, "nodes", "scale", "--stack", STACK, "--to", "0", "--wait", "--timeout", "60s")
    assert "desired 6 -> 0 (min 0, max 200); all nodes gone" in out
    assert bench_nodes(twin) == 0


def test_wait_times_out_with_where_it_stopped(env: tuple[FakeStack, TwinProcess], capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    stack, _ = env
    stack.set_scaling("bench", minSize=0, desiredSize=0, maxSize=200)
    with pytest.raises(SystemExit) as exit_info:  # the mirror is stopped below: no nodes will come
        monkeypatch.setattr(NodeGroupMirror, "sync", lambda self: None)
        main(["nodes", "scale", "--stack", STACK, "--to", "2", "--wait", "--timeout", "1s"])
    err = capsys.readouterr().err
    assert exit_info.value.code == 1
    assert "benchkit: error: timed out after 1 s: bench: 0 node(s), 0/2 Ready" in err


def test_teardown_deletes_by_label_scales_to_zero_and_is_idempotent(
    env: tuple[FakeStack, TwinProcess], param: str, capsys: pytest.CaptureFixture[str]
) -> None:
    stack, twin = env
    run(capsys, "nodes", "scale", "--stack", STACK, "--to", "4", "--wait", "--timeout", "60s")
    create_apps(twin, "run-one", 5)
    create_apps(twin, "run-two", 3)
    create_apps(twin, "foreign", 2, managed=False)
    lease.Lease(param, "run-two", holder="crashed laptop", takes_over=(janitor.NODES_SCALE,)).acquire()  # as a run

    out = run(capsys, "teardown", "--stack", STACK, "--timeout", "60s")
    assert "teardown (all benchkit runs):" in out
    assert "SparkApplications: deleted 8 in spark-team-a, spark-team-b; none remain" in out
    assert f"node group bench ({stack.cluster}/bench): desired 4 -> 0, 4 node(s) before, all nodes gone" in out
    assert "lease: released (was held by run run-two)" in out
    assert "hourly cost now avoided: $2.76/h" in out  # 4 x m6a.4xlarge
    assert apps(twin, labels.any_run_selector()) == []
    assert len(apps(twin)) == 2  # the foreign apps are untouched
    assert bench_nodes(twin) == 0
    assert stack.scaling("bench") == {"minSize": 0, "desiredSize": 0, "maxSize": 200}
    assert stack.scaling("operator")["desiredSize"] == 1

    again = run(capsys, "teardown", "--stack", STACK, "--timeout", "60s")
    assert again.startswith(
        "teardown (all benchkit runs): nothing to do — no benchkit SparkApplications, bench already at 0 nodes"
    )


def test_teardown_of_one_run_leaves_the_others(env: tuple[FakeStack, TwinProcess],
                                               capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    _, twin = env
    create_apps(twin, "keep-me", 2)
    create_apps(twin, "drop-me", 3)
    out = run(capsys, "teardown", "--stack", STACK, "--run", "drop-me", "--keep-nodes")
    assert "teardown (run drop-me):" in out and "deleted 3 in spark-team-a, spark-team-b; none remain" in out
    assert apps(twin, labels.run_selector("drop-me")) == []
    assert len(apps(twin, labels.run_selector("keep-me"))) == 2
    run(capsys, "teardown", "--stack", STACK, "--keep-nodes")  # leave the shared twin clean
    assert apps(twin, labels.any_run_selector()) == []


def test_teardown_of_an_old_run_does_not_scale_a_busy_stack(
    env: tuple[FakeStack, TwinProcess], param: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """--run OLD while another run holds the lease: refused up front (exit 2, nothing deleted, nothing scaled)."""
    stack, twin = env
    stack.set_scaling("bench", minSize=2, desiredSize=2, maxSize=200)
    create_apps(twin, "old-run", 2)
    lease.Lease(param, "alice-run", holder="alice@laptop").acquire()
    with pytest.raises(SystemExit) as exit_info:
        main(["teardown", "--stack", STACK, "--run", "old-run", "--no-wait"])
    lines = capsys.readouterr().err.strip().splitlines()
    assert exit_info.value.code == 2 and len(lines) == 1, lines
    assert lines[0].startswith("benchkit: error: stack is busy: lease held by run alice-run (alice@laptop) for ")
    assert "add --keep-nodes to delete only run old-run's objects, or --force" in lines[0]
    assert len(apps(twin, labels.run_selector("old-run"))) == 2
    assert stack.scaling("bench")["desiredSize"] == 2

    out = run(capsys, "teardown", "--stack", STACK, "--run", "old-run", "--keep-nodes")
    assert "deleted 2 in spark-team-a, spark-team-b; none remain" in out
    assert stack.scaling("bench")["desiredSize"] == 2
    out = run(capsys, "teardown", "--stack", STACK, "--run", "old-run", "--force", "--no-wait")
    assert "desired 2 -> 0" in out
    assert json.loads(boto3.client("ssm").get_parameter(Name=param)["Parameter"]["Value"])["run_id"] == "alice-run"


def _lease(param: str) -> dict[str, Any]:
    return dict(json.loads(boto3.client("ssm").get_parameter(Name=param)["Parameter"]["Value"]))


def test_nodes_scale_holds_the_lease_so_the_janitor_keeps_the_nodes(
    env: tuple[FakeStack, TwinProcess], param: str, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    stack, _ = env
    out = run(capsys, "nodes", "scale", "--stack", STACK, "--to", "3", "--hold", "2h")
    assert f"lease {param}: held by `benchkit nodes scale` until " in out
    held = _lease(param)
    assert held["run_id"] == janitor.NODES_SCALE and 7190 < held["expires"] - time.time() <= 7200
    monkeypatch.setenv("BENCHKIT_CLUSTER", stack.cluster)
    monkeypatch.setenv("BENCHKIT_NODEGROUPS", "bench")
    monkeypatch.setenv("BENCHKIT_LEASE_PARAMETER", param)
    assert janitor.handler({}, None)["groups"][0]["action"] == janitor.NONE  # the janitor leaves them alone
    assert stack.scaling("bench")["desiredSize"] == 3

    run(capsys, "nodes", "scale", "--stack", STACK, "--to", "4")  # again: the default 30 min from now
    assert 1790 < _lease(param)["expires"] - time.time() <= 1800
    out = run(capsys, "nodes", "scale", "--stack", STACK, "--to", "0")
    assert f"lease {param}: released (was held by `benchkit nodes scale`)" in out
    assert _lease(param)["run_id"] is None and stack.scaling("bench")["desiredSize"] == 0


def test_nodes_scale_refuses_while_a_run_holds_the_stack(
    env: tuple[FakeStack, TwinProcess], param: str, capsys: pytest.CaptureFixture[str]
) -> None:
    stack, _ = env
    stack.set_scaling("bench", minSize=2, desiredSize=2, maxSize=200)
    lease.Lease(param, "alice-run", holder="alice@laptop").acquire()
    for size in ("5", "0"):
        with pytest.raises(SystemExit) as exit_info:
            main(["nodes", "scale", "--stack", STACK, "--to", size])
        lines = capsys.readouterr().err.strip().splitlines()
        assert exit_info.value.code == 2 and len(lines) == 1, lines
        assert lines[0].startswith("benchkit: error: stack is busy: lease held by run alice-run (alice@laptop) for ")
        assert lines[0].endswith("wait for it, or pass --force")
    assert stack.scaling("bench")["desiredSize"] == 2 and _lease(param)["run_id"] == "alice-run"
    main(["nodes", "scale", "--stack", STACK, "--to", "5", "--force"])
    assert "--force: lease held by run alice-run" in capsys.readouterr().err
    assert stack.scaling("bench")["desiredSize"] == 5 and _lease(param)["run_id"] == "alice-run"
    stack.set_scaling("bench", minSize=0, desiredSize=0, maxSize=200)


def test_kubeconfig_only_teardown_touches_no_node_group(
    env: tuple[FakeStack, TwinProcess], capsys: pytest.CaptureFixture[str]
) -> None:
    stack, twin = env
    stack.set_scaling("bench", minSize=1, desiredSize=1, maxSize=200)
    create_apps(twin, "local-run", 2)
    main(["teardown", "--kubeconfig", str(twin.kubeconfig)])
    captured = capsys.readouterr()
    assert "no --stack/--cluster: node groups are not touched" in captured.err
    assert "deleted 2 in spark-team-a, spark-team-b; none remain" in captured.out
    assert stack.scaling("bench")["desiredSize"] == 1
    stack.set_scaling("bench", minSize=0, desiredSize=0, maxSize=200)

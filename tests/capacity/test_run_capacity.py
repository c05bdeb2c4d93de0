"""`benchkit run` with --stack (moto + the twin): lease, --prescale, --autoscale, --teardown; checks before start."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from rich.console import Console

from benchkit.capacity import lease
from benchkit.errors import ConfigError
from benchkit.kube.connect import connect
from benchkit.kube.stack import read_stack_outputs
from benchkit.orchestrate import capacity_steps
from benchkit.orchestrate.context import RunContext
from benchkit.results import journal
from benchkit.settings import run as run_settings
from benchkit.twin.config import TwinOptions
from benchkit.twin.process import TwinProcess

from .conftest import FakeStack
from .twin_side import NodeGroupMirror, fake_pulumi, path_with, stack_outputs

STACK = "bench-run"
NAMESPACES = ("default", "spark-team-a", "spark-team-b", "spark-team-c")


@pytest.fixture(scope="module")
def twin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TwinProcess]:
    options = TwinOptions(nodes=0, namespaces=NAMESPACES)
    with TwinProcess(options, workdir=tmp_path_factory.mktemp("twin")) as process:
        yield process


@pytest.fixture
def env(stack: FakeStack, twin: TwinProcess, param: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeStack]:  # fmt: skip
    monkeypatch.setenv("PATH", path_with(fake_pulumi(tmp_path / "bin", STACK, stack_outputs(stack, twin, param))))
    with NodeGroupMirror(stack, twin):
        yield stack


def benchkit_run(results: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "benchkit", "run", "--stack", STACK, "--results-dir", str(results),
                           *args], capture_output=True, text=True, timeout=240, env=env, check=False)  # fmt: skip


def run_events(results: Path) -> list[dict[str, Any]]:
    [run_dir] = [p for p in results.iterdir() if p.is_dir()]
    return list(journal.read(run_dir))


def lease_value(param: str) -> dict[str, Any]:
    return dict(json.loads(boto3.client("ssm").get_parameter(Name=param)["Parameter"]["Value"]))


@pytest.mark.slow
def test_prescale_lease_and_teardown(env: FakeStack, param: str, tmp_path: Path) -> None:
    proc = benchkit_run(tmp_path / "runs", "--total-jobs", "12", "--jobs-per-min", "600", "--app-seconds", "1",
                        "--nodes", "3", "--prescale", "--teardown", "--timeout", "60", "--budget", "100")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    events = run_events(tmp_path / "runs")
    names = [e.get("name") or e["ev"] for e in events if e["ev"] in (journal.STAGE, journal.RUN_END)]
    assert names.index("teardown") < names.index("cost") < names.index(journal.RUN_END)  # the drain is metered
    cost = next(e for e in events if e.get("name") == "cost")["detail"]
    assert cost["elapsed_usd"] > 0 and cost["exceeded"] is False and cost["stopped_run"] is False
    [prescaled] = [e for e in events if e["ev"] == journal.NODE_COUNT]
    assert prescaled["group"] == "bench" and prescaled["desired"] == 3 and prescaled["ready"] == 3
    assert prescaled["reason"] == "prescale: desired 0 -> 3"
    end = next(e for e in events if e["ev"] == journal.RUN_END)
    assert end["reason"] == "done"
    stages = [e["name"] for e in events if e["ev"] == journal.STAGE]
    assert stages.index("teardown") < len(stages)
    assert f"pre-scaling bench ({env.cluster}/bench) to 3 nodes" in proc.stderr
    assert "node group bench" in proc.stderr and "desired 3 -> 0" in proc.stderr
    assert "hourly cost now avoided: $2.07/h" in proc.stderr  # 3 x m6a.4xlarge
    assert env.scaling("bench") == {"minSize": 0, "desiredSize": 0, "maxSize": 200}
    released = lease_value(param)
    assert released["run_id"] is None and released["expires"] == 0  # held during the run, released at its end


@pytest.mark.slow
def test_autoscale_sizes_the_group_and_journals_every_decision(env: FakeStack, tmp_path: Path) -> None:
    proc = benchkit_run(tmp_path / "runs", "--total-jobs", "30", "--jobs-per-min", "900", "--app-seconds", "2",
                        "--autoscale", "1:6", "--teardown", "--timeout", "90")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    decisions = [e for e in run_events(tmp_path / "runs") if e["ev"] == journal.NODE_COUNT]
    assert decisions and all(e["src"] == "autoscaler" for e in decisions)
    first = decisions[0]
    # 30 jobs due within the lead time x 6 pods, 157 pods per m6a.4xlarge: 2 nodes, from 0 (below MIN)
    assert first["reason"].startswith("0 is below MIN 1: scale up 0 -> 2: 180 pods wanted (0 pending, 180 to come)")
    assert max(e["desired"] for e in decisions) == 2
    assert {"needed", "active_pods", "pending_pods", "backlog_pods", "ready"} <= set(first)
    assert "autoscaling bench" in proc.stderr and "within 1:6 (pods per node 157)" in proc.stderr
    assert env.scaling("bench")["desiredSize"] == 0  # --teardown


def test_the_budget_meter_covers_node_boot_and_drain() -> None:
    """The plan charges boot (pre-scale) and drain (after teardown) time, so the meter runs across both."""
    from benchkit.orchestrate.run import LIFECYCLE, UNWIND

    names = [step.name for step in LIFECYCLE]
    assert names.index("lease") < names.index("budget_meter") < names.index("manifest") < names.index("prescale")
    # unwinding: teardown (the drain), then the meter's final sample, then the results
    assert UNWIND.index("teardown") < UNWIND.index("budget_meter") < UNWIND.index("results")
    assert next(step for step in LIFECYCLE if step.name == "budget_meter").hold is not None


def test_busy_stack_is_refused_before_anything_starts(env: FakeStack, param: str) -> None:
    lease.Lease(param, "someone-else", holder="alice@laptop").acquire()
    ctx = _ctx(total_jobs=3, prescale=True, nodes=2, stack=STACK)
    capacity_steps.check(ctx)
    with pytest.raises(ConfigError, match=r"^stack is busy: lease held by run someone-else \(alice@laptop\) for "):
        capacity_steps.lease_held(ctx).__enter__()  # the step right after preflight: no run folder, no node yet
    assert env.scaling("bench")["desiredSize"] == 0
    assert lease_value(param)["run_id"] == "someone-else"


def test_a_refused_run_leaves_the_busy_stack_alone(env: FakeStack, param: str, tmp_path: Path) -> None:
    """`stack is busy` is exit 2 and nothing else: the refused run's --teardown must not scale alice's nodes."""
    env.set_scaling("bench", minSize=5, desiredSize=5)
    lease.Lease(param, "alice-run", holder="alice@laptop").acquire()
    proc = benchkit_run(tmp_path / "runs", "--total-jobs", "3", "--nodes", "5", "--prescale", "--teardown")
    assert proc.returncode == 2, proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("benchkit: error: stack is busy: lease held by run alice-run (alice@laptop) for ")
    assert "teardown" not in proc.stderr.replace("benchkit teardown", "")
    assert env.scaling("bench") == {"minSize": 5, "desiredSize": 5, "maxSize": 200}
    assert lease_value(param)["run_id"] == "alice-run"
    assert not (tmp_path / "runs").exists()


def test_a_run_refused_after_taking_the_lease_scales_nothing(env: FakeStack, param: str, tmp_path: Path) -> None:
    """Bad input found after the lease (the results folder cannot be made) is exit 2 with no teardown either."""
    env.set_scaling("bench", minSize=3, desiredSize=3)
    (tmp_path / "not-a-dir").write_text("")
    proc = benchkit_run(tmp_path / "not-a-dir" / "runs", "--total-jobs", "3", "--teardown")
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip().splitlines()[-1].startswith("benchkit: error: results-dir: cannot create ")
    assert env.scaling("bench") == {"minSize": 3, "desiredSize": 3, "maxSize": 200}
    assert lease_value(param)["run_id"] is None  # taken, then released


def test_only_the_lease_holder_scales_in_teardown(env: FakeStack, param: str, tmp_path: Path) -> None:
    env.set_scaling("bench", minSize=2, desiredSize=2)
    lease.Lease(param, "alice-run", holder="alice@laptop").acquire()
    ctx = _ctx(total_jobs=3, stack=STACK, teardown=True, results_dir=str(tmp_path))
    capacity_steps.check(ctx)
    ctx.target = connect(stack=read_stack_outputs(STACK))
    with pytest.raises(ConfigError, match="stack is busy"):
        capacity_steps.lease_held(ctx).__enter__()
    ctx.journal = journal.Journal(_run_dir(ctx), src="orchestrator")  # even as if the run had started
    capacity_steps.teardown(ctx)
    assert env.scaling("bench")["desiredSize"] == 2


def test_a_run_takes_over_a_nodes_scale_hold_and_gives_it_back(env: FakeStack, param: str, tmp_path: Path) -> None:
    env.set_scaling("bench", minSize=1, desiredSize=1)
    lease.hold(param, env.region, 1800)
    held = lease_value(param)
    ctx = _ctx(total_jobs=3, stack=STACK, results_dir=str(tmp_path))
    capacity_steps.check(ctx)
    with capacity_steps.lease_held(ctx):
        assert lease_value(param)["run_id"] == "check" and ctx.capacity.owns_stack
    assert lease_value(param) == held  # the hold is back: the pre-scaled nodes stay for the next run
    ctx = _ctx(total_jobs=3, stack=STACK, results_dir=str(tmp_path), teardown=True)
    capacity_steps.check(ctx)
    ctx.target = connect(stack=read_stack_outputs(STACK))
    with capacity_steps.lease_held(ctx):
        ctx.journal = journal.Journal(_run_dir(ctx), src="orchestrator")
        capacity_steps.teardown(ctx)  # --teardown: the bench group goes to zero, so the hold is not handed back
    assert env.scaling("bench")["desiredSize"] == 0 and lease_value(param)["run_id"] is None


def _ctx(**overrides: Any) -> RunContext:
    ctx = RunContext(
        settings=run_settings.build(overrides=overrides), console=Console(quiet=True), out=Console(quiet=True)
    )
    ctx.run_id = "check"
    return ctx


def _run_dir(ctx: RunContext) -> Path:
    ctx.run_dir = ctx.settings.results_dir / ctx.run_id
    ctx.run_dir.mkdir(parents=True)
    return ctx.run_dir


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"autoscale": "0:10", "prescale": True, "stack": STACK}, "--autoscale and --prescale exclude each other"),
        ({"autoscale": "0:10"}, "--autoscale needs --stack"),
        ({"prescale": True, "kubeconfig": __file__}, r"--prescale needs --stack \(or the embedded twin\)"),
        ({"prescale": True, "stack": STACK, "nodes": 500}, "500 nodes exceeds its maxSize 200"),
        ({"autoscale": "0:300", "stack": STACK}, "300 nodes exceeds its maxSize 200"),
        (
            {"budget": 0.01, "total_jobs": 10, "app_seconds": 60},
            r"budget: the plan estimates \$20\.\d\d for this run, "
            r"over --budget \$0\.01 .*pass --yes",
        ),
    ],
)
def test_checks_before_start(env: FakeStack, overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        capacity_steps.check(_ctx(**overrides))
    assert env.scaling("bench")["desiredSize"] == 0


def test_budget_within_or_forced(env: FakeStack) -> None:
    ctx = _ctx(budget=0.01, total_jobs=10, app_seconds=60, yes=True)
    capacity_steps.check(ctx)  # over budget, but --yes
    assert ctx.capacity.plan is not None and ctx.capacity.plan.cost.total_usd > 0.01
    ctx = _ctx(budget=1000.0, total_jobs=10, app_seconds=60, stack=STACK)
    capacity_steps.check(ctx)
    assert ctx.capacity.aws is not None and ctx.capacity.plan is not None
    assert ctx.capacity.aws.cluster == env.cluster and ctx.capacity.plan.cost.prices.region == env.region


def embedded_run(results: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "benchkit", "run", "--results-dir", str(results), "--prometheus-url",
                           "off", *args],
                          capture_output=True, text=True, timeout=240, env=env, check=False)  # fmt: skip


def test_budget_guard_refuses_to_start(tmp_path: Path) -> None:
    proc = embedded_run(tmp_path / "runs", "--total-jobs", "40", "--app-seconds", "60", "--nodes", "5",
                        "--budget", "0.01")  # fmt: skip
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "benchkit: error: budget: the plan estimates $0.92 for this run, over --budget $0.01 (see `benchkit plan` "
        "for the breakdown); pass --yes to start anyway"
    ]
    assert not (tmp_path / "runs").exists()


@pytest.mark.slow
def test_budget_abort_stops_and_tears_down(tmp_path: Path) -> None:
    """--yes starts over budget; the meter (every 5 s) sees 5 bench nodes + the stack pass $0.01 and stops."""
    proc = embedded_run(tmp_path / "runs", "--total-jobs", "40", "--jobs-per-min", "60", "--app-seconds", "60",
                        "--nodes", "5", "--budget", "0.01", "--yes", "--scenario", "keep")  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("benchkit: error: budget: the run's elapsed cost $0.0") and "passed --budget $0.01" in last
    events = run_events(tmp_path / "runs")
    assert next(e for e in events if e["ev"] == journal.RUN_END)["reason"] == "budget"
    cost = next(e for e in events if e["ev"] == journal.STAGE and e["name"] == "cost")["detail"]
    assert cost["exceeded"] is True and cost["elapsed_usd"] > 0.01
    submitted = sum(1 for e in events if e["ev"] == journal.SUBMIT)
    assert 0 < submitted < 40  # stopped early
    assert any(e["ev"] == journal.STAGE and e["name"] == "teardown" for e in events)
    cleanup = next(e for e in events if e["ev"] == journal.CLEANUP)
    assert cleanup["remaining"] == 0 and cleanup["deleted"] == submitted  # keep scenario: all deleted at the end


def test_a_stack_without_janitor_gets_no_lease(env: FakeStack, param: str) -> None:
    ctx = _ctx(total_jobs=3, stack=STACK)
    capacity_steps.check(ctx)  # a plain --stack run: the lease is taken whatever the flags
    assert ctx.capacity.aws is not None
    ctx.capacity.aws = dataclasses.replace(ctx.capacity.aws, lease_parameter=None)  # janitorEnabled false
    with capacity_steps.lease_held(ctx):
        assert ctx.capacity.lease is None and ctx.capacity.owns_stack
    ctx.capacity.aws = dataclasses.replace(ctx.capacity.aws, lease_parameter=param)
    with capacity_steps.lease_held(ctx):
        assert lease_value(param)["run_id"] == "check"
    assert lease_value(param)["run_id"] is None

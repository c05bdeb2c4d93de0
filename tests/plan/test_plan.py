"""`benchkit plan`: reproduces the published Kubeflow figures, prices the run correctly, rejects bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from benchkit.capacity import pricing
from benchkit.cli import main
from benchkit.orchestrate import planning
from benchkit.plan.cost import NODE_BOOT_S, NODE_DRAIN_S, replay_autoscaler
from benchkit.settings import run as run_settings

PAPER = ["--jobs-per-min", "1000", "--operator-workers", "10", "--operator-cpus", "36", "--app-seconds", "1h"]


def plan_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    main(["plan", *args, "--json"])
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize(("jobs", "minutes"), [(2000, 15), (4000, 30)])
def test_reproduces_the_published_kubeflow_figures(capsys: pytest.CaptureFixture[str], jobs: int, minutes: int) -> None:
    """Kubeflow's benchmark (10 workers, c5.9xlarge 36 vCPU, submitted at ~1000/min): ~130 apps/min,
    2000 apps processed in ~15 min, 4000 in ~30 min. The plan must land within ±10 %."""
    plan = plan_json(capsys, "--total-jobs", str(jobs), *PAPER)
    assert plan["processed_per_min"] == pytest.approx(130, rel=0.10)
    assert plan["operator_window_s"] / 60 == pytest.approx(minutes, rel=0.10)
    assert plan["submit_window_s"] == pytest.approx((jobs - 1) * 60 / 1000, abs=0.1)
    assert plan["final_states"] == {"COMPLETED": jobs}
    assert plan["pods"] == 6 * jobs
    assert plan["end_s"] >= plan["last_start_s"] + 3600  # every app sleeps an hour once started
    assert any("exceeds what the operator processes" in n for n in plan["notes"])


def test_cost_is_node_hours_times_prices(capsys: pytest.CaptureFixture[str]) -> None:
    plan = plan_json(capsys, "--total-jobs", "30", "--jobs-per-min", "600", "--app-seconds", "60", "--nodes", "10",
                     "--model", "fast", "--region", "us-west-2", "--price", "m6a.4xlarge=1.0")  # fmt: skip
    cost = plan["cost"]
    wall = NODE_BOOT_S + plan["end_s"] + NODE_DRAIN_S
    assert cost["wall_s"] == pytest.approx(wall, abs=0.1)
    lines = {line["item"]: line for line in cost["lines"]}
    assert lines["bench nodes"]["hours"] == pytest.approx(10 * wall / 3600, abs=1e-3)
    assert lines["bench nodes"]["usd_per_hour"] == 1.0  # the --price override
    assert lines["operator nodes"]["usd_per_hour"] == 1.53
    assert lines["core nodes"]["hours"] == pytest.approx(2 * wall / 3600, abs=1e-3)
    assert lines["EKS control plane"]["usd"] == pytest.approx(0.10 * wall / 3600, abs=0.01)
    assert lines["NAT gateway"]["usd"] == pytest.approx(0.045 * wall / 3600, abs=0.01)
    assert cost["total_usd"] == pytest.approx(sum(line["usd"] for line in cost["lines"]), abs=0.02)
    node_hours = sum(lines[f"{g} nodes"]["hours"] for g in ("bench", "core", "operator", "monitoring"))
    assert lines["EBS root volumes"]["hours"] == pytest.approx(node_hours, abs=1e-2)
    assert lines["EBS root volumes"]["usd"] == pytest.approx(node_hours * 100 * 0.08 / 730, abs=0.01)
    assert cost["stack_idle_usd_per_hour"] == pytest.approx(
        2 * 0.192 + 1.53 + 0.4536 + 4 * 100 * 0.08 / 730 + 0.145, abs=1e-4
    )
    assert cost["prices"]["as_of"] == pricing.PRICES_AS_OF and cost["prices"]["region"] == "us-west-2"


def test_autoscaled_bench_costs_what_the_replayed_autoscaler_keeps(capsys: pytest.CaptureFixture[str]) -> None:
    fixed = plan_json(capsys, "--total-jobs", "60", "--jobs-per-min", "600", "--app-seconds", "120", "--nodes", "40",
                      "--model", "fast")  # fmt: skip
    auto = plan_json(capsys, "--total-jobs", "60", "--jobs-per-min", "600", "--app-seconds", "120", "--nodes", "40",
                     "--model", "fast", "--autoscale", "0:40")  # fmt: skip
    fixed_line, auto_line = fixed["cost"]["lines"][0], auto["cost"]["lines"][0]
    assert fixed_line["detail"] == "40 x m6a.4xlarge, pre-scaled for the whole run"
    assert auto_line["detail"].startswith("m6a.4xlarge, autoscaled 0:40 (peak ")
    assert 0 < auto_line["usd"] < fixed_line["usd"]
    always_on = ("core nodes", "operator nodes", "monitoring nodes", "EKS control plane", "NAT gateway")
    assert [li for li in auto["cost"]["lines"] if li["item"] in always_on] == [
        li for li in fixed["cost"]["lines"] if li["item"] in always_on
    ]  # the always-on part does not change


def test_replay_follows_the_need_in_bounded_steps() -> None:
    need = [(0.0, 0), (10.0, 50), (400.0, 5), (1000.0, 0)]
    node_s, peak = replay_autoscaler(need, (2, 40), run_s=1200, interval=15)
    assert peak == 40  # capped at MAX although 50 were needed
    # 2 nodes for the first tick, then +20 per minute (cooldown) up to 40; the drain is billed at the end
    assert 2 * 15 + 40 * 300 < node_s < 40 * (1200 + 15) + 40 * NODE_DRAIN_S
    assert replay_autoscaler([], (0, 10), run_s=100, interval=10) == (0.0, 0)


def test_budget_is_reported(capsys: pytest.CaptureFixture[str]) -> None:
    plan = plan_json(capsys, "--total-jobs", "10", "--model", "fast", "--app-seconds", "10", "--budget", "0.5")
    assert plan["budget_usd"] == 0.5 and plan["within_budget"] is False


def test_peak_node_need_beyond_the_group_is_flagged(capsys: pytest.CaptureFixture[str]) -> None:
    plan = plan_json(capsys, "--total-jobs", "300", "--jobs-per-min", "6000", "--app-seconds", "300", "--nodes", "2",
                     "--model", "fast")  # fmt: skip
    assert plan["peak_nodes_needed"]["bench"] > 2
    assert any("bench nodes at its peak but has 2: pods wait for nodes" in n for n in plan["notes"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--jobs-per-min", "0"], "jobs-per-min must be > 0"),
        (["--instance-type", "bench"], "--instance-type: expected ROLE=TYPE"),
        (["--instance-type", "gpu=p5.48xlarge"], "unknown node group role 'gpu'"),
        (["--instance-type", "bench=x9.huge"], "no price for instance type 'x9.huge'"),
        (["--price", "m6a.4xlarge=free"], "expected USD per hour"),
        (["--prices", "/no/such/prices.yaml"], "prices: cannot read"),
        (["--model", "exact"], "'exact' is not one of 'paper', 'fast'"),
        (["--autoscale", "10:5"], "autoscale: expected 0 <= MIN <= MAX"),
        (["--spark-template", "/no/such/template.yaml"], "spark-template: cannot read"),
        (["/no/such/scenario.yaml"], "cannot read scenario file"),
        (["--region", "mars-1"], "region: 'mars-1' is not an AWS region name"),
    ],
)
def test_bad_input(capsys: pytest.CaptureFixture[str], args: list[str], message: str) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["plan", *args])
    err = capsys.readouterr().err.strip().splitlines()
    assert exit_info.value.code == 2 and len(err) == 1 and message in err[0], err


def test_same_schedule_as_run() -> None:
    """The plan's due times come from the run's own RateProfile (constant or --ramp)."""
    constant = planning.rate_profile(run_settings.build(overrides={"total_jobs": 5, "jobs_per_min": 120}))
    assert [constant.due_offset(k) for k in range(3)] == [0.0, 0.5, 1.0]
    ramp = planning.rate_profile(run_settings.build(overrides={"total_jobs": 100, "ramp": "60:60:30s"}))
    assert [(st.start_s, st.per_min) for st in ramp.steps[:2]] == [(0.0, 60.0), (30.0, 120.0)]
    assert ramp.due_offset(30) == 30.0 and ramp.due_offset(31) == 30.5


def test_table_output_in_a_subprocess() -> None:
    result = subprocess.run([sys.executable, "-m", "benchkit", "plan", "--total-jobs", "20", "--model", "fast",
                             "--app-seconds", "30", "--region", "us-west-2"],
                            capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert result.returncode == 0, result.stderr
    for text in (
        "benchkit plan: 20 jobs, 120 pods (model 'fast')",
        "operator processes",
        "peak node need",
        "cost (on-demand, us-west-2, prices as of",
        "bench nodes",
        "EKS control plane",
        "total",
    ):
        assert text in result.stdout, text


def test_default_stack_shape_is_infras() -> None:
    """Without a stack, the plan prices the stack infra builds by default."""
    from benchkit.plan.cost import DEFAULT_FIXED_NODES, DEFAULT_INSTANCE_TYPES
    from benchkit.plan.predict import MAX_PODS
    from infra import settings as infra_settings

    groups = infra_settings.parse({"janitorEnabled": "false"}, stack="dev", region="us-west-2").node_groups
    assert {role: g.instance_type for role, g in groups.items()} == DEFAULT_INSTANCE_TYPES
    assert {role: g.desired_size for role, g in groups.items() if role != "bench"} == DEFAULT_FIXED_NODES
    assert groups["bench"].max_size == run_settings.RunSettings().nodes and groups["bench"].max_pods == MAX_PODS


def test_stack_outputs_set_region_and_instance_types(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.capacity.twin_side import fake_pulumi, path_with

    types = {"bench": "m6i.4xlarge", "core": "m5.large"}
    outputs = {"clusterName": "c", "region": "eu-west-1", "kubeconfig": {"clusters": []},
               "nodeGroups": {"bench": "bench-ng"}, "instanceTypes": types}  # fmt: skip
    monkeypatch.setenv("PATH", path_with(fake_pulumi(tmp_path / "bin", "prod", outputs)))
    plan = plan_json(capsys, "--stack", "prod", "--total-jobs", "10", "--app-seconds", "10", "--model", "fast")
    lines = {line["item"]: line for line in plan["cost"]["lines"]}
    assert lines["bench nodes"]["usd_per_hour"] == 0.768 and lines["core nodes"]["usd_per_hour"] == 0.096
    assert plan["cost"]["prices"]["region"] == "eu-west-1"
    assert any("no built-in prices for eu-west-1" in n for n in plan["notes"])
    # the stack's own bench type is simulated (not only priced): no caveat note about m6a.4xlarge any more
    assert not any("m6a.4xlarge" in n for n in plan["notes"])


def test_plan_simulates_the_stacks_bench_type_and_max_pods(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bench nodes needed at the peak follow the stack's instance type (vCPU/memory from the cluster-shape
    file) and its stackShape.benchMaxPods."""
    from tests.capacity.twin_side import fake_pulumi, path_with

    def peak(name: str, itype: str, max_pods: int | None) -> int:
        outputs: dict[str, Any] = {"clusterName": "c", "region": "us-west-2", "kubeconfig": {"clusters": []},
                                   "nodeGroups": {"bench": "bench-ng"}, "instanceTypes": {"bench": itype}}  # fmt: skip
        if max_pods is not None:
            outputs["stackShape"] = {"benchMaxPods": max_pods}
        monkeypatch.setenv("PATH", path_with(fake_pulumi(tmp_path / name, name, outputs)))
        plan = plan_json(capsys, "--stack", name, "--total-jobs", "400", "--jobs-per-min", "400", "--app-seconds",
                         "120", "--model", "fast")  # fmt: skip
        return int(plan["peak_nodes_needed"]["bench"])

    default = peak("a", "m6a.4xlarge", None)
    assert default == peak("b", "m6a.4xlarge", 220)  # 220 is the data file's bench maxPods
    assert peak("c", "m6a.8xlarge", None) < default  # twice the vCPUs and memory per node
    assert peak("d", "m6a.4xlarge", 12) > default  # maxPods binds before CPU does

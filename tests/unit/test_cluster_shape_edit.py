"""Edit the cluster-shape data file and every reader follows: infra (by path) and benchkit (the twin's
options and node model, its DaemonSets, run settings, `plan`, `doctor`) read each fact from the file, none
re-hard-codes it.

Readers take their facts at import (module constants, dataclass defaults), so the check runs in a fresh
interpreter on a copy of benchkit/ and infra/ whose data file differs from the real one in every fact below.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from benchkit.settings import cluster_shape

REPO = Path(__file__).resolve().parents[2]

# Runs in the copy; prints what each reader took from the file.
READERS = """
import json, sys
from pathlib import Path
import benchkit, infra
assert all(Path(m.__file__).is_relative_to(sys.argv[1]) for m in (benchkit, infra)), "not the copy"
from benchkit.capacity import doctor_aws
from benchkit.plan import cost, predict
from benchkit.settings import cluster_shape
from benchkit.settings.run import RunSettings
from benchkit.twin import daemonsets
from benchkit.twin.config import TwinOptions
from benchkit.twin.model.nodes import DaemonSetLoad, default_groups
from infra import instances, preflight, settings, sizing

types = sorted(cluster_shape.instance_types())
groups = default_groups(TwinOptions().max_pods)
stack = settings.parse({"janitorEnabled": "false"}, stack="t", region="us-west-2")
try:
    settings.parse({"janitorEnabled": "false", "benchMaxNodes": str(settings.EKS_MAX_NODES_PER_GROUP + 1)},
                   stack="t", region="us-west-2")
    over_quota = "accepted"
except settings.ConfigError as exc:
    over_quota = str(exc)
load = DaemonSetLoad.from_shape()
op = sizing.operator_sizing(instances.lookup("c5.9xlarge"))
print(json.dumps({
    "benchkit": {
        "twin_max_pods": TwinOptions().max_pods,
        "bench_nodes": [TwinOptions().nodes, RunSettings().nodes],
        "group_max_pods": {role: g.max_pods for role, g in groups.items()},
        "plan_max_pods": [cost.StackShape(bench_nodes=1).max_pods, predict.MAX_PODS],
        "allocatable": {t: list(cluster_shape.allocatable(cluster_shape.instance(t))) for t in types},
        "bench_allocatable": [groups["bench"].allocatable()[0], groups["bench"].allocatable()[1] // 2**20],
        "standard_max_pods": {t: cluster_shape.instance(t).standard_max_pods for t in types},
        "daemonsets": sorted(daemonsets.SETS),
        "daemonset_load": [load.cpu_m, load.memory // 2**20, load.pods],
        "addresses_per_node": doctor_aws.addresses_per_node(220, 1),
        "instances": {t: list(vars(cluster_shape.instance(t)).values()) for t in types},
    },
    "infra": {
        "bench_max_pods": stack.node_groups["bench"].max_pods,
        "bench_max_nodes": stack.node_groups["bench"].max_size,
        "allocatable": {t: [sizing.allocatable(instances.lookup(t)).cpu_m,
                            sizing.allocatable(instances.lookup(t)).memory_mib] for t in types},
        "standard_max_pods": {t: sizing.standard_max_pods(instances.lookup(t)) for t in types},
        "node_allowance": [sizing.DAEMONSET_CPU_M, sizing.DAEMONSET_MEMORY_MIB],
        "operator_controller_cpu": int(op.controller_cpu),
        "addresses_per_node": preflight.addresses_per_node(220, 1),
        "over_quota": over_quota,
        "instances": {t: list(vars(instances.lookup(t)).values()) for t in types},
    },
}))
"""


def _edit(shape: dict[str, Any]) -> None:
    """Change every fact the readers are checked on."""
    alloc = shape["allocatable"]
    alloc["cpu_reserve_basis_points"] = [700, 200, 100, 50]
    alloc["memory_reserved_base_mib"] += 45
    alloc["memory_reserved_per_pod_mib"] += 1
    alloc["eviction_hard_memory_mib"] *= 2
    alloc["visible_memory_fraction"] = 0.9
    shape["max_pods"]["bench"] = 200
    shape["defaults"]["bench_max_nodes"] = 150
    shape["eks"]["max_nodes_per_node_group"] = 300
    shape["eks"]["prefix_addresses"] = 32
    shape["node_allowance"] = {"cpu_m": 2000, "memory_mib": 3072}
    shape["daemonsets"]["extra-agent"] = {"image": "example.com/agent:v1", "cpu": "45m", "memory": "56Mi"}
    for row in shape["instance_types"].values():
        row["enis"] += 1
        row.pop("kubelet_memory_mib", None)


def _read(root: Path) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(root)}
    done = subprocess.run([sys.executable, "-c", READERS, str(root)], check=False, cwd=root, env=env,
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    out: dict[str, Any] = json.loads(done.stdout)
    return out


@pytest.fixture(scope="module")
def readings(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], dict[str, Any]]:
    """(what the readers take from the real file, what they take from the edited copy)."""
    root = tmp_path_factory.mktemp("edited")
    for package in ("benchkit", "infra"):
        shutil.copytree(REPO / package, root / package, ignore=shutil.ignore_patterns("__pycache__"))
    shape_file = root / "benchkit" / "data" / "cluster_shape.yaml"
    shape = yaml.safe_load(shape_file.read_text())
    _edit(shape)
    shape_file.write_text(yaml.safe_dump(shape))
    return _read(REPO), _read(root)


def test_infra_and_benchkit_agree_on_the_real_file_and_on_an_edited_one(
    readings: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    for got in readings:
        bk, infra = got["benchkit"], got["infra"]
        assert bk["allocatable"] == infra["allocatable"]
        assert bk["standard_max_pods"] == infra["standard_max_pods"]
        assert bk["instances"] == infra["instances"]
        assert bk["addresses_per_node"] == infra["addresses_per_node"]
        assert bk["twin_max_pods"] == bk["group_max_pods"]["bench"] == infra["bench_max_pods"]
        assert bk["plan_max_pods"] == [infra["bench_max_pods"]] * 2
        assert bk["bench_nodes"] == [infra["bench_max_nodes"]] * 2


def test_every_reader_follows_the_edited_file(readings: tuple[dict[str, Any], dict[str, Any]]) -> None:
    real, edited = readings
    bk, infra = edited["benchkit"], edited["infra"]
    assert real["benchkit"]["twin_max_pods"] == cluster_shape.bench_max_pods()
    assert bk["twin_max_pods"] == infra["bench_max_pods"] == 200
    assert bk["plan_max_pods"] == [200, 200]
    assert bk["bench_nodes"] == [150, 150] and infra["bench_max_nodes"] == 150
    for role in ("core", "operator", "monitoring"):  # no NodeConfig: nodeadm's standard maxPods, one more ENI
        assert bk["group_max_pods"][role] > real["benchkit"]["group_max_pods"][role]
    for t, (cpu_m, memory_mib) in infra["allocatable"].items():
        was_cpu_m, was_memory_mib = real["infra"]["allocatable"][t]
        assert cpu_m < was_cpu_m and memory_mib != was_memory_mib, t
    assert bk["bench_allocatable"] == bk["allocatable"][cluster_shape.default_instance_types()["bench"]]
    assert bk["daemonsets"] == sorted([*cluster_shape.daemonsets(), "extra-agent"])
    was_cpu, was_mib, was_pods = real["benchkit"]["daemonset_load"]
    assert bk["daemonset_load"] == [was_cpu + 45, was_mib + 56, was_pods + 1]
    assert infra["node_allowance"] == [2000, 3072]
    # c5.9xlarge: allocatable CPU - the allowance - the webhook's 1 CPU, in whole CPUs
    assert infra["operator_controller_cpu"] == (infra["allocatable"]["c5.9xlarge"][0] - 2000 - 1000) // 1000
    assert infra["addresses_per_node"] == bk["addresses_per_node"] == (7 + 1) * 32 + 1  # ceil(220/32) + warm 1
    assert "at most 300 nodes per managed node group" in infra["over_quota"]
    assert f"at most {cluster_shape.max_nodes_per_group()} nodes" in real["infra"]["over_quota"]

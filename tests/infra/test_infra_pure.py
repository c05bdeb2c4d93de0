"""Pure functions of infra: IP preflight, address plan, CPU sizing, instance table (no Pulumi runtime)."""

from __future__ import annotations

from ipaddress import IPv4Network

import pytest

from infra import sizing
from infra.addressing import plan_subnets
from infra.instances import INSTANCE_TYPES, lookup
from infra.preflight import PreflightError, addresses_per_node, check_pod_ip_capacity, prefixes_per_node
from infra.zones import eks_zones

SLASH16 = IPv4Network("100.64.0.0/16")


def _quantity_m(cpu: str) -> int:
    return int(cpu[:-1]) if cpu.endswith("m") else int(float(cpu) * 1000)


def _quantity_mib(mem: str) -> int:
    assert mem.endswith("Gi"), mem
    return int(mem[:-2]) * 1024


# --- IP preflight --------------------------------------------------------------------------------


def test_200_nodes_of_220_pods_need_about_48k_addresses() -> None:
    assert prefixes_per_node(220, 1) == 15  # ceil(220/16) = 14, plus one warm prefix
    assert addresses_per_node(220, 1) == 241
    capacity = check_pod_ip_capacity([SLASH16], 200, 220, 1, group="bench")
    assert capacity.addresses_in_use == 48_200
    assert capacity.blocks_needed_per_subnet <= capacity.blocks_available_per_subnet


def test_three_slash_18s_are_too_tight_for_200_nodes() -> None:
    three = list(SLASH16.subnets(new_prefix=18))[:3]
    assert sum(s.num_addresses for s in three) > 48_200  # enough on paper ...
    with pytest.raises(PreflightError) as err:  # ... but not in whole /28 blocks per AZ
        check_pod_ip_capacity(three, 200, 220, 1, group="bench")
    message = str(err.value)
    assert "bench: 200 nodes x 220 pods need ~48,200 pod IPs" in message
    assert "3 subnet(s) of /18" in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("subnets", "nodes", "max_pods", "ok"),
    [
        ([IPv4Network("100.64.0.0/17"), IPv4Network("100.64.128.0/17")], 200, 220, True),
        ([IPv4Network("100.64.0.0/17")], 200, 220, False),  # data-on-eks' one-AZ /17
        ([IPv4Network("100.64.0.0/17")], 120, 220, True),
        ([IPv4Network("100.64.0.0/17")], 200, 110, True),  # the default maxPods halves the need
        ([IPv4Network("10.0.0.0/19")], 3, 250, True),
        ([IPv4Network("10.0.0.0/28")], 1, 10, False),  # a /28 is all AWS-reserved blocks
    ],
)
def test_preflight_accepts_and_rejects(subnets: list[IPv4Network], nodes: int, max_pods: int, ok: bool) -> None:
    if ok:
        check_pod_ip_capacity(subnets, nodes, max_pods, 1, group="g")
    else:
        with pytest.raises(PreflightError):
            check_pod_ip_capacity(subnets, nodes, max_pods, 1, group="g")


def test_warm_prefixes_count_against_capacity() -> None:
    subnet = [IPv4Network("100.64.0.0/20")]  # 254 usable /28 blocks
    check_pod_ip_capacity(subnet, 15, 220, 0, group="g")  # 15 x (14 + 1) = 225 blocks
    with pytest.raises(PreflightError):
        check_pod_ip_capacity(subnet, 15, 220, 2, group="g")  # 15 x (16 + 1) = 255 blocks


def test_preflight_without_subnets_is_an_error() -> None:
    with pytest.raises(PreflightError, match="no subnets"):
        check_pod_ip_capacity([], 1, 10, 1, group="g")


def test_address_plan_defaults_and_bench_split() -> None:
    plan = plan_subnets(IPv4Network("10.0.0.0/16"), SLASH16, 3, 1)
    assert [str(s) for s in plan.bench] == ["100.64.0.0/16"]
    assert [str(s) for s in plan.private] == ["10.0.0.0/19", "10.0.32.0/19", "10.0.64.0/19"]
    assert [str(s) for s in plan.public] == ["10.0.224.0/24", "10.0.225.0/24", "10.0.226.0/24"]
    three = plan_subnets(IPv4Network("10.0.0.0/16"), SLASH16, 3, 3)
    assert [str(s) for s in three.bench] == ["100.64.0.0/18", "100.64.64.0/18", "100.64.128.0/18"]
    all_subnets = [*three.public, *three.private]
    assert not any(a.overlaps(b) for i, a in enumerate(all_subnets) for b in all_subnets[i + 1 :])


# --- sizing --------------------------------------------------------------------------------------


def test_operator_on_c5_9xlarge_matches_the_published_benchmark() -> None:
    s = sizing.operator_sizing(lookup("c5.9xlarge"))
    assert (s.controller_cpu, s.controller_memory, s.workers) == ("33", "50Gi", 20)
    assert (s.webhook_cpu, s.webhook_memory) == ("1000m", "9Gi")


@pytest.mark.parametrize(
    ("itype", "cpu", "workers"),
    [("c5.12xlarge", "45", 27), ("c5.4xlarge", "13", 10), ("c6i.16xlarge", "61", 37), ("c5.2xlarge", "5", 10)],
)
def test_operator_sizing_follows_the_instance(itype: str, cpu: str, workers: int) -> None:
    s = sizing.operator_sizing(lookup(itype))
    assert (s.controller_cpu, s.workers) == (cpu, workers)


def test_without_webhook_the_controller_gets_its_cpu() -> None:
    s = sizing.operator_sizing(lookup("c5.9xlarge"), webhook_enabled=False)
    assert s.controller_cpu == "34"
    assert s.webhook_cpu == "0"


def test_kube_reserved_follows_the_eks_formula() -> None:
    assert sizing.kube_reserved_cpu_m(1) == 60
    assert sizing.kube_reserved_cpu_m(4) == 80
    assert sizing.kube_reserved_cpu_m(36) == 160
    assert sizing.kube_reserved_memory_mib(110) == 1465


def test_reserved_matches_nodeadms_own_expected_kubelet_configs() -> None:
    """awslabs/amazon-eks-ami v20260724 nodeadm/test/e2e/cases: mime-userdata-merge expects kubeReserved
    cpu 70m / memory 893Mi for a 2-vCPU node with standard maxPods 58; custom-max-pods-expression expects
    memory 915Mi for maxPods 60 while its drop-in sets maxPods 1 (the drop-in does not move kube-reserved)."""
    assert sizing.kube_reserved_cpu_m(2) == 70
    assert sizing.kube_reserved_memory_mib(58) == 893
    assert sizing.kube_reserved_memory_mib(60) == 915


def test_bench_node_allocatable_with_max_pods_220() -> None:
    """m6a.4xlarge: standard maxPods 8 x (30 - 1) + 2 = 234 (nodeadm eni_max_pods.go) sets kube-reserved,
    whatever maxPods the NodeConfig gives the kubelet (220)."""
    itype = lookup("m6a.4xlarge")
    assert sizing.standard_max_pods(itype) == 234
    assert sizing.allocatable(itype) == sizing.Allocatable(cpu_m=16_000 - 110, memory_mib=63_380 - 2_829 - 100)


@pytest.mark.parametrize("name", sorted(INSTANCE_TYPES))
def test_requests_always_fit_the_node(name: str) -> None:
    """Whatever type is chosen, the pods we size for a node must be schedulable on it."""
    itype = lookup(name)
    alloc = sizing.allocatable(itype)
    try:
        op = sizing.operator_sizing(itype)
    except ValueError:
        assert itype.vcpu <= 2
    else:
        cpu = _quantity_m(op.controller_cpu) + _quantity_m(op.webhook_cpu) + sizing.DAEMONSET_CPU_M
        mem = _quantity_mib(op.controller_memory) + _quantity_mib(op.webhook_memory) + sizing.DAEMONSET_MEMORY_MIB
        assert cpu <= alloc.cpu_m and mem <= alloc.memory_mib
    try:
        mon = sizing.monitoring_sizing(itype)
    except ValueError:
        assert itype.vcpu <= 2
    else:
        cpu = _quantity_m(mon.prometheus_cpu) + _quantity_m(mon.grafana_cpu) + sizing.DAEMONSET_CPU_M
        mem = _quantity_mib(mon.prometheus_memory) + _quantity_mib(mon.grafana_memory) + sizing.DAEMONSET_MEMORY_MIB
        assert cpu <= alloc.cpu_m and mem <= alloc.memory_mib


def test_monitoring_requests_from_the_node_size() -> None:
    small = sizing.monitoring_sizing(lookup("r6a.2xlarge"))
    # 63380 MiB capacity - (255 + 11 x 58) kube-reserved - 100 eviction = 62387; minus DaemonSets and Grafana, x 0.9
    assert small == sizing.MonitoringSizing("5700m", "53Gi", "500m", "1Gi")
    big = sizing.monitoring_sizing(lookup("r6a.4xlarge"))
    assert _quantity_mib(big.prometheus_memory) > 2 * _quantity_mib(small.prometheus_memory) - 4096
    assert big.grafana_cpu == "1000m"


def test_instance_table() -> None:
    assert lookup("m6a.4xlarge").vcpu == 16 and lookup("m6a.4xlarge").memory_gib == 64
    assert lookup("c5.9xlarge").vcpu == 36 and lookup("c5.9xlarge").memory_gib == 72
    assert all(t.memory_gib >= 2 * t.vcpu for t in INSTANCE_TYPES.values())
    with pytest.raises(KeyError):
        lookup("m6g.4xlarge")  # Graviton: the AMI type is x86_64


# --- availability zones --------------------------------------------------------------------------


def test_zones_eks_rejects_are_left_out_by_id_not_by_name() -> None:
    # zone names map to different zone IDs in every account: us-east-1a may well be use1-az3
    names = ["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d"]
    assert eks_zones(names, ["use1-az3", "use1-az6", "use1-az1", "use1-az2"]) == names[1:]
    assert eks_zones(names, ["use1-az1", "use1-az2", "use1-az4", "use1-az6"]) == names
    assert eks_zones(["us-west-1a", "us-west-1c"], ["usw1-az2", "usw1-az1"]) == ["us-west-1c"]
    assert eks_zones(["ca-central-1a", "ca-central-1b", "ca-central-1d"], ["cac1-az1", "cac1-az2", "cac1-az4"]) == [
        "ca-central-1a", "ca-central-1b", "ca-central-1d"]  # fmt: skip
    assert eks_zones(["ca-central-1a", "ca-central-1b"], ["cac1-az3", "cac1-az1"]) == ["ca-central-1b"]
    with pytest.raises(ValueError):
        eks_zones(names, ["use1-az1"])

"""Pod-IP capacity under VPC CNI prefix delegation, checked before anything is created.

With prefix delegation every node takes whole /28 blocks (16 addresses) for its pods:
ceil(maxPods / 16) blocks plus WARM_PREFIX_TARGET spare ones, and its own primary address. A /28
must be free and aligned, so in the worst case every node's primary address spoils one more block.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from ipaddress import IPv4Network

from infra.instances import shape

PREFIX_ADDRESSES: int = shape()["eks"]["prefix_addresses"]  # a /28 (the cluster-shape data file)
# AWS keeps the first four and the last address of every subnet: they spoil the first and last /28.
RESERVED_BLOCKS_PER_SUBNET = 2


class PreflightError(ValueError):
    """The subnets cannot hold the pods the node groups may run."""


@dataclass(frozen=True)
class IpCapacity:
    """The outcome of a passing check (for docs and logs)."""

    nodes: int
    addresses_in_use: int
    """nodes x (prefix addresses + primary address): what the nodes hold at full maxPods."""
    blocks_needed_per_subnet: int
    blocks_available_per_subnet: int


def prefixes_per_node(max_pods: int, warm_prefix_target: int) -> int:
    """The /28 prefixes a node holds when it runs max_pods pods."""
    return math.ceil(max_pods / PREFIX_ADDRESSES) + warm_prefix_target


def addresses_per_node(max_pods: int, warm_prefix_target: int) -> int:
    """Addresses a full node takes: its prefixes plus its primary address (220 pods, warm 1 -> 241)."""
    return prefixes_per_node(max_pods, warm_prefix_target) * PREFIX_ADDRESSES + 1


def usable_blocks(subnet: IPv4Network) -> int:
    """Aligned /28 blocks of a subnet that prefix delegation can use."""
    return max(subnet.num_addresses // PREFIX_ADDRESSES - RESERVED_BLOCKS_PER_SUBNET, 0)


def check_pod_ip_capacity(
    subnets: Sequence[IPv4Network], nodes: int, max_pods: int, warm_prefix_target: int, *, group: str
) -> IpCapacity:
    """Fail when `nodes` full nodes spread over `subnets` (one per AZ) cannot get their prefixes.

    The node group balances across AZs, not perfectly: each subnet must hold ceil(nodes / len(subnets))
    nodes, each needing its prefixes plus one block spoiled by its primary address (worst case).

    >>> check_pod_ip_capacity([IPv4Network("100.64.0.0/16")], 200, 220, 1, group="bench").addresses_in_use
    48200
    """
    if not subnets:
        raise PreflightError(f"{group}: no subnets to place {nodes} nodes in")
    per_subnet = math.ceil(nodes / len(subnets))
    need = per_subnet * (prefixes_per_node(max_pods, warm_prefix_target) + 1)
    have = min(usable_blocks(s) for s in subnets)
    in_use = nodes * addresses_per_node(max_pods, warm_prefix_target)
    if need > have:
        sizes = ", ".join(sorted({f"/{s.prefixlen}" for s in subnets}))
        raise PreflightError(
            f"{group}: {nodes} nodes x {max_pods} pods need ~{in_use:,} pod IPs "
            f"({per_subnet} nodes x {prefixes_per_node(max_pods, warm_prefix_target) + 1} /28 blocks = "
            f"{need * PREFIX_ADDRESSES:,} addresses per subnet), but {len(subnets)} subnet(s) of {sizes} "
            f"offer {have * PREFIX_ADDRESSES:,} each in whole /28 blocks"
        )
    return IpCapacity(nodes, in_use, need, have)

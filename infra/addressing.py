"""The VPC's address plan: which CIDR each subnet gets (pure, so the IP preflight can run on it).

Primary CIDR: one private /19-equivalent per AZ (system nodes, control-plane ENIs) and small public
subnets (NAT, load balancers) carved from its last eighth. Secondary CIDR (default 100.64.0.0/16):
the bench subnets, one per bench AZ, as large as the block allows — that is where 44k pods live.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from ipaddress import IPv4Network

PRIVATE_SPLIT_BITS = 3  # the primary CIDR in eighths: up to 7 private subnets + 1 eighth for public ones
PUBLIC_EXTRA_BITS = 5  # public subnets: 1/32 of that last eighth each (/24 in a /16)


@dataclass(frozen=True)
class SubnetPlan:
    """Subnet CIDRs in AZ order (index i lives in the i-th availability zone)."""

    public: tuple[IPv4Network, ...]
    private: tuple[IPv4Network, ...]
    bench: tuple[IPv4Network, ...]


def plan_subnets(vpc_cidr: IPv4Network, secondary_cidr: IPv4Network, az_count: int, bench_az_count: int) -> SubnetPlan:
    """Carve the two CIDRs.

    >>> p = plan_subnets(IPv4Network("10.0.0.0/16"), IPv4Network("100.64.0.0/16"), 3, 1)
    >>> [str(n) for n in p.private]
    ['10.0.0.0/19', '10.0.32.0/19', '10.0.64.0/19']
    >>> [str(n) for n in p.public], [str(n) for n in p.bench]
    (['10.0.224.0/24', '10.0.225.0/24', '10.0.226.0/24'], ['100.64.0.0/16'])
    """
    eighths = list(vpc_cidr.subnets(prefixlen_diff=PRIVATE_SPLIT_BITS))
    private = tuple(eighths[:az_count])
    public = tuple(list(eighths[-1].subnets(prefixlen_diff=PUBLIC_EXTRA_BITS))[:az_count])
    bench_bits = math.ceil(math.log2(bench_az_count)) if bench_az_count > 1 else 0
    bench = tuple(list(secondary_cidr.subnets(prefixlen_diff=bench_bits))[:bench_az_count])
    return SubnetPlan(public=public, private=private, bench=bench)

"""The availability zones infra picks on its own: the region's available zones minus those EKS rejects."""

from __future__ import annotations

from collections.abc import Sequence

# Zone IDs (the same zone in every account, unlike zone names) in which EKS does not accept a cluster's
# subnets, as listed in the EKS user guide's subnet requirements (network-reqs, #network-requirements-subnets).
EKS_UNSUPPORTED_ZONE_IDS = frozenset({"use1-az3", "usw1-az2", "cac1-az3"})


def eks_zones(names: Sequence[str], zone_ids: Sequence[str]) -> list[str]:
    """Zone names in the region's order, without the zones whose ID EKS does not support."""
    if len(names) != len(zone_ids):
        raise ValueError(f"{len(names)} zone names but {len(zone_ids)} zone IDs")
    return [name for name, zone_id in zip(names, zone_ids, strict=True) if zone_id not in EKS_UNSUPPORTED_ZONE_IDS]

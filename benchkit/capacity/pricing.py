"""On-demand prices (USD/hour) for the stack's instance types, EKS control plane and NAT gateway.

A small dated table, overridable by a YAML/JSON file (`--prices`) or `TYPE=USD` flags (`--price`), and
optionally refreshed from the AWS Pricing API when credentials exist.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from benchkit.capacity import regions
from benchkit.errors import ConfigError

PRICES_AS_OF = "2025-06-01"
PRICES_SOURCE = (
    "AWS public on-demand price list (Linux, shared tenancy, no Savings Plans), as known on "
    f"{PRICES_AS_OF}; not fetched from this machine — check https://aws.amazon.com/ec2/pricing/on-demand/"
)
DEFAULT_REGION = "us-east-1"
PRICES_ENV = "BENCHKIT_PRICES"
"""Path of a price override file used when no --prices flag is given."""

# USD per instance-hour, Linux on-demand. us-east-1, us-east-2 and us-west-2 share these rates for every
# family below. Covers every instance type benchkit/data/cluster_shape.yaml allows (tests keep it so).
_US_INSTANCES: dict[str, float] = {
    # general purpose: core and bench nodes
    "m5.large": 0.096, "m5.xlarge": 0.192, "m5.2xlarge": 0.384, "m5.4xlarge": 0.768,
    "m6a.large": 0.0864, "m6a.xlarge": 0.1728, "m6a.2xlarge": 0.3456, "m6a.4xlarge": 0.6912, "m6a.8xlarge": 1.3824,
    "m6i.xlarge": 0.192, "m6i.2xlarge": 0.384, "m6i.4xlarge": 0.768, "m6i.8xlarge": 1.536,
    "m7i.4xlarge": 0.8064, "m7i.8xlarge": 1.6128, "m7a.4xlarge": 0.92736,
    # compute optimised: the operator node
    "c5.2xlarge": 0.34, "c5.4xlarge": 0.68, "c5.9xlarge": 1.53, "c5.12xlarge": 2.04, "c5.18xlarge": 3.06,
    "c6a.8xlarge": 1.224, "c6a.16xlarge": 2.448, "c6i.8xlarge": 1.36, "c6i.16xlarge": 2.72,
    "c7i.8xlarge": 1.428, "c7i.16xlarge": 2.856,
    # memory optimised: the monitoring node
    "r5.xlarge": 0.252, "r5.2xlarge": 0.504, "r6a.xlarge": 0.2268, "r6a.2xlarge": 0.4536, "r6a.4xlarge": 0.9072,
    "r6i.2xlarge": 0.504, "r6i.4xlarge": 1.008,
}  # fmt: skip
_EKS_CONTROL_PLANE = 0.10  # standard support; a version in extended support costs 0.60
_NAT_GATEWAY = 0.045  # per gateway-hour; data processing ($0.045/GB) is not modelled
_EBS_GP3 = 0.08  # per GB-month of gp3 (3000 IOPS / 125 MB/s included): the nodes' root volumes
HOURS_PER_MONTH = 730.0  # AWS bills GB-months over 730 hours
_TABLE: dict[str, dict[str, float]] = dict.fromkeys(("us-east-1", "us-east-2", "us-west-2"), _US_INSTANCES)


@dataclass(frozen=True)
class PriceTable:
    """Hourly USD prices for one region, with where they came from."""

    region: str
    instances: Mapping[str, float]
    eks_control_plane: float = _EKS_CONTROL_PLANE
    nat_gateway: float = _NAT_GATEWAY
    ebs_gp3_gb_month: float = _EBS_GP3
    as_of: str = PRICES_AS_OF
    source: str = PRICES_SOURCE
    notes: tuple[str, ...] = field(default=())
    """Caveats worth showing next to a cost (a region fallback, a failed API lookup)."""

    def volume(self, disk_gib: float) -> float:
        """USD/hour of one node's gp3 root volume."""
        return disk_gib * self.ebs_gp3_gb_month / HOURS_PER_MONTH

    def instance(self, instance_type: str) -> float:
        """USD/hour of one instance. Raises ConfigError (exit 2) for a type the table does not know."""
        try:
            return self.instances[instance_type]
        except KeyError:
            raise ConfigError(
                f"no price for instance type {instance_type!r} in {self.region}; "
                f"add it with --price {instance_type}=USD or a --prices file"
            ) from None

    def to_dict(self) -> dict[str, Any]:
        return {
            "region": self.region, "as_of": self.as_of, "source": self.source, "notes": list(self.notes),
            "instances": dict(sorted(self.instances.items())), "eks_control_plane": self.eks_control_plane,
            "nat_gateway": self.nat_gateway, "ebs_gp3_gb_month": self.ebs_gp3_gb_month,
        }  # fmt: skip


def default_table(region: str) -> PriceTable:
    """The built-in table for a region; other regions get us-east-1 figures and a note saying so.

    A name that cannot be a region (`mars-1`) is bad input (ConfigError), not a fallback.
    """
    regions.check(region)
    if region in _TABLE:
        return PriceTable(region=region, instances=dict(_TABLE[region]))
    note = f"no built-in prices for {region}: showing {DEFAULT_REGION} figures (override with --prices)"
    return PriceTable(region=region, instances=dict(_TABLE[DEFAULT_REGION]), notes=(note,))


def load_overrides(path: Path) -> dict[str, Any]:
    """Read a price file (YAML or JSON):

    as_of: "2026-01-15"            # optional; shown with every cost
    source: "our EDP rates"        # optional
    instances: {m6a.4xlarge: 0.62} # USD per instance-hour
    eks_control_plane: 0.10        # USD per cluster-hour
    nat_gateway: 0.045             # USD per gateway-hour
        ebs_gp3_gb_month: 0.08         # USD per GB-month of the nodes' gp3 root volumes
    """
    try:
        data = yaml.safe_load(path.read_text())  # YAML is a superset of JSON
    except OSError as exc:
        raise ConfigError(f"prices: cannot read {path}: {exc.strerror or exc}") from None
    except yaml.YAMLError:
        raise ConfigError(f"prices: {path} is neither valid YAML nor JSON") from None
    if not isinstance(data, dict):
        raise ConfigError(
            f"prices: {path} must hold a mapping (instances, eks_control_plane, nat_gateway, ebs_gp3_gb_month)"
        )
    known = {"as_of", "source", "instances", "eks_control_plane", "nat_gateway", "ebs_gp3_gb_month"}
    unknown = sorted(set(map(str, data)) - known)
    if unknown:
        raise ConfigError(f"prices: {path}: unknown key {unknown[0]!r} (known: {', '.join(sorted(known))})")
    out: dict[str, Any] = {k: str(data[k]) for k in ("as_of", "source") if k in data}
    instances = data.get("instances") or {}
    if not isinstance(instances, dict):
        raise ConfigError(f"prices: {path}: instances must map instance type -> USD per hour")
    out["instances"] = {str(k): _usd(v, f"{path}: instances.{k}") for k, v in instances.items()}
    for key in ("eks_control_plane", "nat_gateway", "ebs_gp3_gb_month"):
        if key in data:
            out[key] = _usd(data[key], f"{path}: {key}")
    return out


def parse_price_flags(values: Iterable[str]) -> dict[str, float]:
    """["m6a.4xlarge=0.62", "eks=0.6", "nat=0.05"] -> {type or eks/nat: USD/hour}."""
    out: dict[str, float] = {}
    for text in values:
        key, sep, value = text.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--price: expected TYPE=USD_PER_HOUR (e.g. m6a.4xlarge=0.69), got {text!r}")
        out[key.strip()] = _usd(value, f"--price {key.strip()}")
    return out


def with_overrides(
    table: PriceTable, file_overrides: Mapping[str, Any] | None = None, flags: Mapping[str, float] | None = None
) -> PriceTable:
    """Apply a price file, then --price flags (flags win). `eks` and `nat` in flags name the two services."""
    instances = dict(table.instances)
    changes: dict[str, Any] = {}
    if file_overrides:
        instances.update(file_overrides.get("instances", {}))
        changes.update({k: v for k, v in file_overrides.items() if k != "instances"})
        if "source" not in file_overrides:
            changes["source"] = f"{table.source}; overridden by a price file"
    for key, usd in (flags or {}).items():
        if key == "eks":
            changes["eks_control_plane"] = usd
        elif key == "nat":
            changes["nat_gateway"] = usd
        else:
            instances[key] = usd
    if flags:
        changes["notes"] = (*table.notes, f"--price overrides: {', '.join(f'{k}={v:g}' for k, v in flags.items())}")
    return replace(table, instances=instances, **changes)


def resolve(
    region: str,
    prices_file: Path | None = None,
    price_flags: Iterable[str] = (),
    use_pricing_api: bool = False,
    instance_types: Iterable[str] = (),
) -> PriceTable:
    """The table a plan or budget uses: built-in, then the Pricing API (if asked), then file, then flags."""
    table = default_table(region)
    if use_pricing_api:
        table = _with_api_prices(table, sorted(set(instance_types)))
    path = prices_file or (Path(os.environ[PRICES_ENV]) if os.environ.get(PRICES_ENV) else None)
    overrides = load_overrides(path) if path is not None else None
    return with_overrides(table, overrides, parse_price_flags(price_flags))


def _with_api_prices(table: PriceTable, instance_types: list[str]) -> PriceTable:
    # Imported here: the Pricing API needs boto3 and credentials only when asked for.
    from benchkit.capacity import pricing_api  # noqa: PLC0415

    try:
        found = pricing_api.on_demand_prices(table.region, instance_types)
    except pricing_api.PricingUnavailable as exc:
        return replace(table, notes=(*table.notes, f"Pricing API not used: {exc}"))
    if not found:
        return replace(table, notes=(*table.notes, "Pricing API returned no prices: using the built-in table"))
    today = datetime.now(UTC).date().isoformat()
    source = f"AWS Pricing API for {', '.join(sorted(found))} (fetched {today}); built-in table for the rest"
    return replace(table, instances={**table.instances, **found}, source=source, as_of=today)


def _usd(value: Any, what: str) -> float:
    if isinstance(value, bool):
        raise ConfigError(f"prices: {what}: expected USD per hour, got {value!r}")
    try:
        usd = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"prices: {what}: expected USD per hour, got {value!r}") from None
    if not usd >= 0:  # also rejects NaN
        raise ConfigError(f"prices: {what}: expected a price >= 0, got {value!r}")
    return usd

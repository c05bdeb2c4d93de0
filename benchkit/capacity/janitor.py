"""The dead-man's switch: a Lambda that scales a stack's bench node group(s) to zero when no run holds the lease.

Self-contained (stdlib + boto3 only) so infra can zip this one file as the Lambda's code. It also defines
the lease format, which `benchkit.capacity.lease` writes (a run's lease, or a `benchkit nodes scale` hold).
Environment: BENCHKIT_CLUSTER, BENCHKIT_NODEGROUPS (comma-separated), BENCHKIT_LEASE_PARAMETER. Event:
`{"dry_run": true}` decides without scaling.
"""

from __future__ import annotations

import json
import logging
import os
import time
from typing import Any

import boto3
from botocore.exceptions import ClientError

LOG = logging.getLogger("benchkit.janitor")
LOG.setLevel(logging.INFO)

# Lease states.
MISSING = "missing"
INVALID = "invalid"
EXPIRED = "expired"
VALID = "valid"

NODES_SCALE = "nodes-scale"
"""The `run_id` of a hold written by `benchkit nodes scale --to N` (run ids start with a date: no clash)."""

# Per-group actions.
SCALED_TO_ZERO = "scaled_to_zero"
WOULD_SCALE = "would_scale_to_zero"
NONE = "none"
ERROR = "error"


def parse_lease(value: str | None) -> dict[str, Any] | None:
    """The lease JSON `{"run_id", "holder", "expires"}` (expires: epoch seconds), or None if malformed."""
    if value is None:
        return None
    try:
        lease = json.loads(value)
    except ValueError:
        return None
    if not isinstance(lease, dict):
        return None
    expires = lease.get("expires")
    if isinstance(expires, bool) or not isinstance(expires, int | float):
        return None
    return lease


def lease_state(value: str | None, now: float) -> tuple[str, str]:
    """(state, why) for the parameter's value at `now`: missing, invalid, expired or valid."""
    if value is None:
        return MISSING, "no lease parameter: no run is active"
    lease = parse_lease(value)
    if lease is None:
        return INVALID, f"lease value is not a benchkit lease: {value[:80]!r}"
    if lease.get("run_id") is None:
        return EXPIRED, f"no run holds the lease (released by {lease.get('holder')!s})"
    run_id = lease.get("run_id")
    who = f"{'`benchkit nodes scale`' if run_id == NODES_SCALE else f'run {run_id!s}'} ({lease.get('holder')!s})"
    left = float(lease["expires"]) - now
    if left <= 0:
        return EXPIRED, f"lease of {who} expired {-left:.0f} s ago"
    return VALID, f"lease held by {who} for {left:.0f} s more"


def decide(scaling: dict[str, int], state: str, why: str) -> tuple[bool, str]:
    """Pure: should a node group with this scalingConfig go to zero under this lease state? (yes?, reason)."""
    desired, low = int(scaling.get("desiredSize", 0)), int(scaling.get("minSize", 0))
    if desired == 0 and low == 0:
        return False, f"already at zero (min 0, desired 0); {why}"
    if state == VALID:
        return False, f"{why}; keeping {desired} node(s)"
    return True, f"{why}; group has desired {desired} (min {low}): scaling to zero"


def handler(event: dict[str, Any] | None, context: Any) -> dict[str, Any]:
    """Lambda entry point. Returns the decision; raises after logging if a node group could not be scaled."""
    cluster = _env("BENCHKIT_CLUSTER")
    groups = [g.strip() for g in _env("BENCHKIT_NODEGROUPS").split(",") if g.strip()]
    parameter = _env("BENCHKIT_LEASE_PARAMETER")
    dry_run = bool((event or {}).get("dry_run", False))
    now = time.time()
    state, why = lease_state(_read_parameter(boto3.client("ssm"), parameter), now)
    eks = boto3.client("eks")
    result: dict[str, Any] = {"cluster": cluster, "lease_parameter": parameter, "lease": state, "lease_detail": why,
                              "checked_at": now, "dry_run": dry_run, "groups": []}  # fmt: skip
    for group in groups:
        result["groups"].append(_handle_group(eks, cluster, group, (state, why), dry_run=dry_run))
    LOG.info(json.dumps(result, default=str))
    failed = [g for g in result["groups"] if g["action"] == ERROR]
    if failed:
        raise RuntimeError(f"janitor could not scale {', '.join(g['nodegroup'] for g in failed)}: see the log")
    return result


def _handle_group(eks: Any, cluster: str, group: str, lease: tuple[str, str], *, dry_run: bool) -> dict[str, Any]:
    state, why = lease
    out: dict[str, Any] = {"nodegroup": group}
    try:
        scaling = eks.describe_nodegroup(clusterName=cluster, nodegroupName=group)["nodegroup"]["scalingConfig"]
        out["before"] = {k: scaling.get(k) for k in ("minSize", "desiredSize", "maxSize")}
        act, reason = decide(scaling, state, why)
        out["reason"] = reason
        if not act:
            out["action"] = NONE
        elif dry_run:
            out["action"] = WOULD_SCALE
        else:
            eks.update_nodegroup_config(clusterName=cluster, nodegroupName=group,
                                        scalingConfig={"minSize": 0, "desiredSize": 0})  # fmt: skip
            out["action"] = SCALED_TO_ZERO
    except ClientError as exc:
        out["action"], out["reason"] = ERROR, " ".join(str(exc).split())
    LOG.info("nodegroup %s: %s (%s)", group, out["action"], out["reason"])
    return out


def _read_parameter(ssm: Any, name: str) -> str | None:
    try:
        return str(ssm.get_parameter(Name=name)["Parameter"]["Value"])
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ParameterNotFound":
            return None
        raise


def _env(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise RuntimeError(f"janitor misconfigured: environment variable {name} is not set")
    return value

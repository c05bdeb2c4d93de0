"""Teardown: delete benchkit's SparkApplications by label, scale node groups to zero, wait, release the lease.

Every step runs even when an earlier one failed; the failures are collected and raised together at the
end (TeardownError). Running it twice is safe: the second call finds nothing and says so.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from benchkit.capacity import lease as lease_mod
from benchkit.capacity import readiness
from benchkit.capacity.nodegroups import SCALE_TIMEOUT_S, NodeGroupRef, NodeGroups
from benchkit.capacity.pricing import PriceTable
from benchkit.capacity.readiness import GroupState
from benchkit.errors import BenchkitError, TeardownError
from benchkit.kube import cleanup
from benchkit.kube.rest import ApiClient


@dataclass
class GroupOutcome:
    ref: NodeGroupRef
    desired_before: int = 0
    nodes_before: int = 0
    nodes_after: int | None = None
    scaled: bool = False
    instance_type: str | None = None
    hourly_usd: float | None = None
    """What the group's nodes cost per hour before teardown (None when the price is unknown)."""


@dataclass
class TeardownReport:
    run_id: str | None
    apps: cleanup.Deleted | None = None
    groups: list[GroupOutcome] = field(default_factory=list)
    lease_released: str | None = None
    notes: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def hourly_avoided(self) -> float:
        return sum(g.hourly_usd or 0.0 for g in self.groups if g.scaled or g.nodes_before)

    @property
    def nothing_to_do(self) -> bool:
        apps_found = self.apps is not None and (self.apps.deleted or self.apps.remaining)
        groups_busy = any(g.scaled or g.nodes_before for g in self.groups)
        return not self.errors and not apps_found and not groups_busy and self.lease_released is None

    def lines(self) -> list[str]:
        """What a person reads: one line per thing done, the cost avoided, and the failures."""
        scope = f"run {self.run_id}" if self.run_id else "all benchkit runs"
        if self.nothing_to_do:
            return [f"teardown ({scope}): nothing to do — {self._idle_summary()}", *self.notes]
        out = [f"teardown ({scope}):"]
        if self.apps is not None:
            out.append(f"  SparkApplications: {self.apps.describe()}")
        for g in self.groups:
            out.append(f"  node group {g.ref}: {_group_line(g)}")
        if self.lease_released is not None:
            out.append(f"  lease: released (was held by {lease_mod.who(self.lease_released)})")
        if any(g.scaled or g.nodes_before for g in self.groups):
            out.append(f"  hourly cost now avoided: ${self.hourly_avoided:,.2f}/h")
        out += [f"  note: {n}" for n in self.notes]
        out += [f"  FAILED: {e}" for e in self.errors]
        return out

    def _idle_summary(self) -> str:
        parts = ["no benchkit SparkApplications" if self.apps is not None else "Kubernetes not checked"]
        parts += [f"{g.ref.role or g.ref.name} already at 0 nodes" for g in self.groups]
        return ", ".join(parts)


def teardown(
    *,
    kube: ApiClient | None,
    run_id: str | None = None,
    groups: Sequence[NodeGroupRef] = (),
    node_groups: NodeGroups | None = None,
    prices: PriceTable | None = None,
    instance_types: dict[str, str] | None = None,
    lease_parameter: str | None = None,
    wait: bool = True,
    timeout: float = SCALE_TIMEOUT_S,
    poll: float = readiness.POLL_S,
    on_progress: Callable[[GroupState, float], None] | None = None,
) -> TeardownReport:
    """Run every teardown step; raise TeardownError listing what failed (`.report` holds the rest).

    >>> teardown(kube=api, groups=[NodeGroupRef("c", "us-west-2", "bench-ng", "bench")], prices=table)
    """
    report = TeardownReport(run_id=run_id, groups=[GroupOutcome(ref) for ref in groups])
    if kube is not None:
        _attempt(report, "deleting SparkApplications", _delete_apps, report, kube, run_id)
    else:
        report.notes.append("no Kubernetes connection: SparkApplications not checked")
    if report.groups:
        ng = node_groups or NodeGroups(report.groups[0].ref.region)
        for o in report.groups:
            _attempt(report, f"scaling {o.ref} to 0", _scale_down, o, ng, kube, prices, instance_types or {})
    if wait and kube is not None:
        for o in report.groups:
            if o.scaled or o.nodes_before:
                _attempt(report, f"waiting for {o.ref} nodes to leave", _wait_gone, o, kube, timeout, poll, on_progress)
    if lease_parameter is not None and report.groups:
        _attempt(report, "releasing the lease", _release, report, lease_parameter, report.groups[0].ref.region)
    if report.errors:
        raise TeardownFailed(report)
    return report


class TeardownFailed(TeardownError):
    """Some steps failed; the others ran. The message lists the failures, `report` what was done."""

    def __init__(self, report: TeardownReport) -> None:
        super().__init__("; ".join(report.errors))
        self.report = report


def _attempt(report: TeardownReport, doing: str, action: Callable[..., object], *args: Any) -> None:
    try:
        action(*args)
    except BenchkitError as exc:
        report.errors.append(f"{doing}: {exc}")
    except Exception as exc:  # one broken step must never skip the others
        report.errors.append(f"{doing}: {type(exc).__name__}: {' '.join(str(exc).split())}")


def _release(report: TeardownReport, parameter: str, region: str) -> None:
    report.lease_released = lease_mod.clear(parameter, region, report.run_id)


def _delete_apps(report: TeardownReport, kube: ApiClient, run_id: str | None) -> None:
    report.apps = cleanup.delete_by_label(kube, cleanup.selector(run_id))
    if report.apps.remaining:
        raise TeardownError(
            f"{report.apps.remaining_apps} SparkApplication(s) and {report.apps.remaining_pods} "
            "pod(s) still present after deletion"
        )


def _scale_down(o: GroupOutcome, ng: NodeGroups, kube: ApiClient | None, prices: PriceTable | None,
                instance_types: dict[str, str]) -> None:  # fmt: skip
    if kube is not None:
        o.nodes_before = readiness.observe(kube, o.ref.name).nodes
    before, _after, changed = ng.set_size(o.ref, 0, pin_min=True)
    o.desired_before, o.scaled = before.desired, changed
    o.instance_type = instance_types.get(o.ref.role or "") or (
        before.instance_types[0] if before.instance_types else None
    )
    count = max(o.desired_before, o.nodes_before)
    if prices is not None and o.instance_type is not None and o.instance_type in prices.instances:
        o.hourly_usd = count * prices.instance(o.instance_type)


def _wait_gone(o: GroupOutcome, kube: ApiClient, timeout: float, poll: float,
               on_progress: Callable[[GroupState, float], None] | None) -> None:  # fmt: skip
    state = readiness.wait_for(kube, o.ref.name, 0, timeout=timeout, poll=poll, on_progress=on_progress)
    o.nodes_after = state.nodes


def _group_line(g: GroupOutcome) -> str:
    if not g.scaled and not g.nodes_before:
        return "already at 0"
    text = f"desired {g.desired_before} -> 0" if g.scaled else "already set to 0"
    if g.nodes_before:
        text += f", {g.nodes_before} node(s) before"
    if g.nodes_after is not None:
        text += ", all nodes gone" if g.nodes_after == 0 else f", {g.nodes_after} node(s) still present"
    price = f" x {g.instance_type}" if g.instance_type else ""
    if g.hourly_usd is not None:
        text += f" (${g.hourly_usd:,.2f}/h{price})"
    elif g.instance_type:
        text += f" (no price for {g.instance_type})"
    return text

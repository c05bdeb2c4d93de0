"""The step autoscaler wired to a run: what it observes (tracker counts, pending pods, the schedule), what it
changes (the stack's bench node group) and where it writes (`node_count` events in the journal).
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass

from benchkit import clock
from benchkit.capacity import readiness
from benchkit.capacity.autoscaler import Autoscaler, Observation, Policy, Tick
from benchkit.capacity.nodegroups import NodeGroupRef, NodeGroups
from benchkit.kube import labels, rest
from benchkit.load.schedule import RateProfile
from benchkit.orchestrate.context import RunContext
from benchkit.plan import podsize, workload
from benchkit.results import journal
from benchkit.settings.run import parse_min_max
from benchkit.spark import template

LEAD_S = 180.0
"""How far ahead the autoscaler provisions for due submissions: about the time new nodes take to be Ready."""
INTERVAL_S = 15.0


@dataclass
class RunDemand:
    """Observes one run for the autoscaler."""

    ctx: RunContext
    ref: NodeGroupRef
    groups: NodeGroups
    profile: RateProfile
    pods_per_app: int
    lead_s: float = LEAD_S

    def observe(self) -> tuple[Observation, int]:
        api = self._api()
        desired = self.groups.describe(self.ref).desired
        nodes = readiness.group_nodes(lambda sel: rest.list_items(api, readiness.NODES, selector=sel), self.ref.name)
        ready = sum(1 for n in nodes if readiness.is_ready(n))
        counts = self.ctx.counts
        seen = counts.seen if counts is not None else 0
        active_apps = seen - (counts.completed + counts.failed if counts is not None else 0)
        pending = len(rest.list_items(api, "/api/v1/pods", selector=labels.run_selector(self.ctx.run_id),
                                      field_selector="status.phase=Pending"))  # fmt: skip
        upcoming = max(0, self.due_by(self._offset() + self.lead_s) - seen)
        obs = Observation(clock.mono(), desired, max(0, active_apps) * self.pods_per_app, pending,
                          upcoming * self.pods_per_app)  # fmt: skip
        return obs, ready

    def due_by(self, offset: float) -> int:
        """Jobs of the run due at or before `offset` seconds after t0."""
        if offset < 0:
            return 0
        steps, before = self.profile.steps, self.profile.arrivals_before
        i = bisect.bisect_right([s.start_s for s in steps], offset) - 1
        arrived = before[i] + (offset - steps[i].start_s) * steps[i].per_min / 60.0
        return min(self.ctx.settings.total, math.floor(arrived + 1e-9) + 1)

    def _offset(self) -> float:
        return 0.0 if self.ctx.t0_mono is None else clock.mono() - self.ctx.t0_mono

    def _api(self) -> rest.ApiClient:
        assert self.ctx.target is not None
        return self.ctx.target.api


def build(ctx: RunContext, ref: NodeGroupRef, groups: NodeGroups, profile: RateProfile) -> Autoscaler:
    """An Autoscaler for `--autoscale MIN:MAX` on this run, journalling to `<run>/events.jsonl` as "autoscaler"."""
    assert ctx.template is not None and ctx.run_dir is not None and ctx.settings.autoscale is not None
    low, high = parse_min_max(ctx.settings.autoscale, "autoscale")
    s = ctx.settings
    sample = template.render(ctx.template, run_id=ctx.run_id, scenario=s.scenario, seq=0,
                             namespace=s.spark_namespaces[0], app_seconds=s.app_seconds)  # fmt: skip
    policy = Policy(min_nodes=low, max_nodes=high, pods_per_node=podsize.pods_per_node(sample))
    demand = RunDemand(ctx, ref, groups, profile, workload.pods_per_app(sample))
    writer = journal.Journal(ctx.run_dir, src="autoscaler")

    def apply(size: int) -> None:
        groups.set_size(ref, size, pin_min=True)

    def record(tick: Tick) -> None:
        o, d = tick.observation, tick.decision
        writer.emit(journal.NODE_COUNT, group=ref.name, desired=d.desired, ready=tick.ready, reason=d.reason,
                    needed=d.needed, active_pods=o.active_pods, pending_pods=o.pending_pods,
                    backlog_pods=o.backlog_pods)  # fmt: skip

    return Autoscaler(policy, demand.observe, apply, record, interval=INTERVAL_S)

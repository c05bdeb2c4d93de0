"""The cluster's nodes by node group: the starting nodes, scaling a group up (join NotReady, Ready later)
or down (pods on removed nodes are evicted), and node-seconds per group for cost estimates."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from benchkit.twin.model.context import Ctx
from benchkit.twin.model.interface import NodeAdded, NodeRemoved, NodeUpdated
from benchkit.twin.model.nodes import GroupSpec, Node, node_name, node_object, node_status
from benchkit.twin.model.pods import Pod
from benchkit.twin.model.scheduler import Scheduler

STARTING_SIZES = {"core": 2, "operator": 1, "monitoring": 1}


class Cluster:
    def __init__(self, ctx: Ctx, groups: dict[str, GroupSpec], on_bound: Callable[[Pod], None]) -> None:
        self._ctx = ctx
        self.groups = groups
        self.by_group: dict[str, list[Node]] = {name: [] for name in groups}
        self.scheduler = Scheduler(ctx, self.nodes, on_bound)
        self.evict: Callable[[Pod], None] = lambda pod: None  # set by the model: delete an evicted pod
        self.pods_on: Callable[[Node], list[Pod]] = lambda node: []
        self._seq = 0
        self._node_seconds = dict.fromkeys(groups, 0.0)
        self._accounted_at = 0.0

    def nodes(self) -> Iterator[Node]:
        for nodes in self.by_group.values():
            yield from nodes

    def start(self, bench_nodes: int) -> None:
        """The cluster as it is when the twin starts: every node Ready."""
        self._accounted_at = self._ctx.now
        for group in self.groups:
            for _ in range(bench_nodes if group == "bench" else STARTING_SIZES.get(group, 0)):
                self._add(group, ready=True)
        self.scheduler.nodes_changed()

    def scale(self, group: str, count: int) -> None:
        if group not in self.groups:
            raise ValueError(f"unknown node group {group!r} (expected one of: {', '.join(self.groups)})")
        if count < 0:
            raise ValueError(f"node count must be >= 0, got {count}")
        self._account(self._ctx.now)
        nodes = self.by_group[group]
        for _ in range(count - len(nodes)):
            self._add(group, ready=False)
        if count < len(nodes):
            # scale-in takes the emptiest nodes first, newest first among equals
            doomed = sorted(nodes, key=lambda n: (len(n.pods), -n.seq))[: len(nodes) - count]
            for node in doomed:
                self._remove(node)
        self.scheduler.nodes_changed()

    def _add(self, group: str, ready: bool) -> None:
        spec = self.groups[group]
        self._seq += 1
        zone = spec.zones[self._seq % len(spec.zones)]
        node = Node(node_name(self._seq), spec, self._seq, zone, self._ctx.now)
        node.ready = ready
        self.by_group[group].append(node)
        self._ctx.out.append(NodeAdded(node_object(node, spec, self._ctx.ts(self._ctx.now))))
        if not ready:
            self._ctx.events.after(self._ctx.jitter(self._ctx.profile.node_ready), self._became_ready, node)

    def _became_ready(self, node: Node, now: float) -> None:
        if not node.alive:
            return
        node.ready = True
        self._ctx.out.append(NodeUpdated(node.name, node_status(node, self.groups[node.group], self._ctx.ts(now))))
        self.scheduler.nodes_changed()
        self.scheduler.capacity_grew(node)

    def _remove(self, node: Node) -> None:
        for pod in self.pods_on(node):
            self.evict(pod)
        node.alive = False
        self.by_group[node.group].remove(node)
        self._ctx.out.append(NodeRemoved(node.name))

    def _account(self, now: float) -> None:
        dt = now - self._accounted_at
        if dt > 0:
            for group, nodes in self.by_group.items():
                self._node_seconds[group] += dt * len(nodes)
        self._accounted_at = max(self._accounted_at, now)

    def node_seconds(self, now: float) -> dict[str, float]:
        self._account(now)
        return dict(self._node_seconds)

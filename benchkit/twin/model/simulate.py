"""Run a model on a virtual clock and summarise the run for `benchkit plan`, from the changes a watching
client would see (README.md, "simulate").
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from benchkit.twin.model.interface import (
    AppDeleted,
    AppStatus,
    Change,
    NodeAdded,
    NodeRemoved,
    Obj,
    PodCreated,
    PodDeleted,
    PodUpdated,
)
from benchkit.twin.model.model import Model
from benchkit.twin.model.nodes import GroupSpec
from benchkit.twin.model.quantity import cpu_millis, k8s_bytes

TERMINAL = ("COMPLETED", "FAILED")


@dataclass
class AppTimeline:
    """When things happened to one app (virtual seconds; None: did not happen within the simulation)."""

    namespace: str
    name: str
    created: float
    submitted: float | None = None
    """The operator finished processing it: status SUBMITTED (or SUBMISSION_FAILED) written."""
    driver_created: float | None = None
    driver_scheduled: float | None = None
    driver_running: float | None = None
    """The driver container started."""
    running: float | None = None
    """The app's status showed RUNNING (lags the driver under load; may be skipped for short apps)."""
    terminal: float | None = None
    state: str = "NEW"


@dataclass
class SimResult:
    apps: list[AppTimeline]
    processed_per_min: float | None
    """Operator throughput in steady state: submissions per minute between the 10th and 90th percentile."""
    first_submitted: float | None
    last_submitted: float | None
    last_start: float | None
    """The last driver to start."""
    end: float | None
    """The last app to reach COMPLETED/FAILED."""
    peak_pending_pods: int
    peak_nodes_needed: dict[str, int]
    """Per node group: most nodes the alive pods' requests needed at any time (pending pods included)."""
    node_seconds: dict[str, float]
    """Node count × time per group, from the start to the end of the simulation."""
    operator_cpu_seconds: float
    states: dict[str, int] = field(default_factory=dict)
    nodes_needed: dict[str, list[tuple[float, int]]] = field(default_factory=dict)
    """Per node group: (time, nodes the alive pods' requests need) at every change of that number."""

    @property
    def submission_window(self) -> float | None:
        if self.first_submitted is None or self.last_submitted is None:
            return None
        return self.last_submitted - self.first_submitted


def simulate(arrivals: Sequence[tuple[float, Obj]], model: Model, *, until: float | None = None) -> SimResult:
    """Create each app at its time, run until nothing is left to do (or `until`), and summarise."""
    tracker = _Tracker(model.cluster.groups)
    start = min((t for t, _ in arrivals), default=0.0)
    tracker.feed(start, model.initial_changes(start))
    for t, app in sorted(arrivals, key=lambda item: item[0]):
        _run_until(model, tracker, t)
        tracker.created(t, app)
        tracker.feed(t, model.app_created(app, t))
    end = _run_until(model, tracker, until)
    return tracker.result(model, start, end)


def _run_until(model: Model, tracker: _Tracker, until: float | None) -> float:
    last = model.operator.cpu._events.now
    while True:
        t = model.next_event_time()
        if t is None or (until is not None and t > until):
            break
        tracker.feed(t, model.advance(t))
        last = t
    if until is not None and until > last:
        tracker.feed(until, model.advance(until))
        last = until
    return last


class _Tracker:
    """Follows the change stream like a watching client would."""

    def __init__(self, groups: dict[str, GroupSpec]) -> None:
        self.apps: dict[tuple[str, str], AppTimeline] = {}
        self._groups = groups
        self._capacity = {name: _schedulable(spec) for name, spec in groups.items()}
        self._pods: dict[tuple[str, str], tuple[str, int, int, bool]] = {}  # group, cpu, mem, bound
        self._driver_of: dict[tuple[str, str], AppTimeline] = {}
        self._group_cache: dict[tuple[tuple[str, str], ...], str] = {}
        self._demand = {name: [0, 0, 0] for name in groups}
        self.peak_nodes = dict.fromkeys(groups, 0)
        self.need_timeline: dict[str, list[tuple[float, int]]] = {name: [] for name in groups}
        self._now = 0.0
        self.pending = 0
        self.peak_pending = 0

    def created(self, t: float, app: Obj) -> None:
        meta = app.get("metadata") or {}
        key = (str(meta.get("namespace") or "default"), str(meta.get("name")))
        self.apps[key] = AppTimeline(key[0], key[1], created=t)

    def feed(self, t: float, changes: list[Change]) -> None:
        self._now = t
        for change in changes:
            if isinstance(change, PodUpdated):
                self._pod_updated(t, change)
            elif isinstance(change, PodCreated):
                self._pod_created(t, change.pod)
            elif isinstance(change, AppStatus):
                self._app_status(t, change)
            elif isinstance(change, PodDeleted):
                self._pod_gone((change.namespace, change.name))
            elif isinstance(change, AppDeleted | NodeAdded | NodeRemoved):
                continue

    def _app_status(self, t: float, change: AppStatus) -> None:
        app = self.apps.get((change.namespace, change.name))
        if app is None:
            return
        state = change.status["applicationState"]["state"]
        app.state = state
        if state in ("SUBMITTED", "SUBMISSION_FAILED") and app.submitted is None:
            app.submitted = t
        elif state == "RUNNING" and app.running is None:
            app.running = t
        elif state in TERMINAL and app.terminal is None:
            app.terminal = t

    def _pod_created(self, t: float, pod: Obj) -> None:
        meta, spec = pod["metadata"], pod["spec"]
        key = (meta["namespace"], meta["name"])
        requests = spec["containers"][0]["resources"]["requests"]
        group = self._group_of(spec.get("nodeSelector") or {})
        self._pods[key] = (group, cpu_millis(requests["cpu"]), k8s_bytes(requests["memory"]), False)
        self._add_demand(group, cpu_millis(requests["cpu"]), k8s_bytes(requests["memory"]), 1)
        self.pending += 1
        self.peak_pending = max(self.peak_pending, self.pending)
        if meta["labels"].get("spark-role") == "driver":
            app = self.apps.get((meta["namespace"], meta["labels"].get("sparkoperator.k8s.io/app-name", "")))
            if app is not None:
                app.driver_created = t
                self._driver_of[key] = app

    def _pod_updated(self, t: float, change: PodUpdated) -> None:
        key = (change.namespace, change.name)
        info = self._pods.get(key)
        if info is None:
            return
        group, cpu, mem, bound = info
        if change.node_name and not bound:
            self._pods[key] = (group, cpu, mem, True)
            self.pending -= 1
            self._driver_time(key, "driver_scheduled", t)
        phase = change.status.get("phase")
        if phase == "Running":
            self._driver_time(key, "driver_running", t)
        elif phase in ("Succeeded", "Failed"):
            self._release(key)

    def _driver_time(self, key: tuple[str, str], attr: str, t: float) -> None:
        app = self._driver_of.get(key)
        if app is not None and getattr(app, attr) is None:
            setattr(app, attr, t)

    def _pod_gone(self, key: tuple[str, str]) -> None:
        info = self._pods.get(key)
        if info is not None and not info[3]:
            self.pending -= 1
        self._release(key)
        self._pods.pop(key, None)
        self._driver_of.pop(key, None)

    def _release(self, key: tuple[str, str]) -> None:
        info = self._pods.get(key)
        if info is None or info[1] < 0:
            return
        group, cpu, mem, bound = info
        self._add_demand(group, -cpu, -mem, -1)
        self._pods[key] = (group, -1, -1, bound)  # released: no longer counts

    def _add_demand(self, group: str, cpu: int, mem: int, pods: int) -> None:
        if not group:
            return
        demand = self._demand[group]
        demand[0] += cpu
        demand[1] += mem
        demand[2] += pods
        cap = self._capacity[group]
        need = max(math.ceil(demand[0] / cap[0]), math.ceil(demand[1] / cap[1]), math.ceil(demand[2] / cap[2]), 0)
        self.peak_nodes[group] = max(self.peak_nodes[group], need)
        timeline = self.need_timeline[group]
        if timeline and timeline[-1][0] == self._now:  # several changes at one instant: keep the last
            timeline.pop()
        if not timeline or timeline[-1][1] != need:
            timeline.append((self._now, need))

    def _group_of(self, selector: dict[str, str]) -> str:
        key = tuple(sorted(selector.items()))
        group = self._group_cache.get(key)
        if group is None:
            group = ""
            for name, spec in self._groups.items():
                labels = {**spec.labels, "eks.amazonaws.com/nodegroup": name}
                if all(labels.get(k) == v for k, v in selector.items()):
                    group = name
                    break
            self._group_cache[key] = group
        return group

    def result(self, model: Model, start: float, end: float) -> SimResult:
        apps = list(self.apps.values())
        submitted = sorted(a.submitted for a in apps if a.submitted is not None)
        starts = [a.driver_running for a in apps if a.driver_running is not None]
        ends = [a.terminal for a in apps if a.terminal is not None]
        states: dict[str, int] = {}
        for a in apps:
            states[a.state] = states.get(a.state, 0) + 1
        node_seconds = model.cluster.node_seconds(end)
        return SimResult(
            apps=apps,
            processed_per_min=_steady_rate(submitted),
            first_submitted=submitted[0] if submitted else None,
            last_submitted=submitted[-1] if submitted else None,
            last_start=max(starts, default=None),
            end=max(ends, default=None),
            peak_pending_pods=self.peak_pending,
            peak_nodes_needed=dict(self.peak_nodes),
            node_seconds=node_seconds,
            nodes_needed={g: list(tl) for g, tl in self.need_timeline.items() if tl},
            operator_cpu_seconds=model.operator.cpu.cpu_seconds_at(end),
            states=states,
        )


def _schedulable(spec: GroupSpec) -> tuple[int, int, int]:
    cpu, mem = spec.allocatable(spec.max_pods)
    ds = spec.daemonsets
    return cpu - ds.cpu_m, mem - ds.memory, spec.max_pods - ds.pods


def _steady_rate(times: list[float]) -> float | None:
    """Items per minute between the 10th and 90th percentile of completion times (all of them when few)."""
    n = len(times)
    if n < 2:
        return None
    lo, hi = (n // 10, n - 1 - n // 10) if n >= 20 else (0, n - 1)
    span = times[hi] - times[lo]
    return (hi - lo) / span * 60.0 if span > 0 else None

"""`benchkit run`'s capacity steps: budget guard, lease, budget meter, --prescale, --autoscale, --teardown.

Per target: with `--stack` everything acts on the stack's EKS node groups (and takes the stack's lease);
on the embedded twin `--prescale` waits for the twin's bench nodes and `--teardown` is the run's cleanup
(the twin has no node-group API benchkit may call); `--autoscale` needs `--stack`. `--budget` always
prices the run as on AWS (the default stack, or `--stack`'s), so the guard can be rehearsed locally.

The lease, the budget meter and the autoscaler are context managers (`hold` steps of the lifecycle):
each stops what it started when the run unwinds, whatever happened in between.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from benchkit.capacity import budget, janitor, lease, nodegroups, pricing, readiness, target
from benchkit.capacity import teardown as teardown_mod
from benchkit.capacity.readiness import GroupState
from benchkit.errors import ConfigError
from benchkit.kube.stack import StackOutputs, read_stack_outputs
from benchkit.orchestrate import autoscale_run, planning
from benchkit.orchestrate.context import RunContext
from benchkit.results import journal
from benchkit.settings.run import parse_min_max

EMBEDDED_BENCH_GROUP = "bench"
"""The twin names its node groups by role."""


def check(ctx: RunContext) -> None:
    """Bad combinations and sizes, then the budget guard: all before anything is created (exit 2)."""
    s = ctx.settings
    if s.autoscale and s.prescale:
        raise ConfigError("--autoscale and --prescale exclude each other: the autoscaler sizes the bench group")
    if s.autoscale and s.stack is None:
        raise ConfigError("--autoscale needs --stack: it resizes the stack's EKS node group "
                          "(the embedded twin and a plain --kubeconfig have no node-group API)")  # fmt: skip
    if s.prescale and s.stack is None and not s.embedded:
        raise ConfigError("--prescale needs --stack (or the embedded twin): a plain --kubeconfig names no node group")
    outputs = read_stack_outputs(s.stack) if s.stack else None
    if outputs is not None:
        aws = ctx.capacity.aws = target.from_stack(outputs)
        want = parse_min_max(s.autoscale, "autoscale")[1] if s.autoscale else s.nodes if s.prescale else None
        if want is not None:
            ref = aws.group("bench")
            nodegroups.scaling_config(ref, nodegroups.NodeGroups(aws.region).describe(ref), want)
    if s.budget is not None:
        _budget_guard(ctx, outputs)


def _budget_guard(ctx: RunContext, outputs: StackOutputs | None) -> None:
    s = ctx.settings
    assert s.budget is not None
    estimate = planning.plan_run(s, outputs=outputs)
    ctx.capacity.plan = estimate
    usd = estimate.cost.total_usd
    if usd > s.budget and not s.yes:
        raise ConfigError(f"budget: the plan estimates ${usd:,.2f} for this run, over --budget ${s.budget:,.2f} "
                          "(see `benchkit plan` for the breakdown); pass --yes to start anyway")  # fmt: skip
    verdict = "within" if usd <= s.budget else "OVER (--yes given)"
    ctx.console.print(f"benchkit: plan estimate ${usd:,.2f} for this run: {verdict} the budget ${s.budget:,.2f}; "
                      "the run stops and tears down if its elapsed cost passes it", highlight=False)  # fmt: skip


@contextmanager
def lease_held(ctx: RunContext) -> Iterator[None]:
    """With --stack: hold the stack's lease for the whole run (a busy stack is exit 2, before anything);
    release it at the end (a `nodes scale` hold it took over goes back, unless the nodes were torn down)."""
    aws = ctx.capacity.aws
    if aws is None or ctx.settings.stack is None:
        yield
        return
    parameter = aws.lease_parameter
    if parameter is None:
        ctx.console.print("benchkit: the stack has no janitor (leaseParameter is null): no dead-man's switch for "
                          "this run; tear down yourself if benchkit dies", highlight=False)  # fmt: skip
        ctx.capacity.owns_stack = True
        yield
        return

    def warn(exc: Exception) -> None:
        ctx.console.print(f"benchkit: lease: {exc}", highlight=False)

    mine = lease.Lease(parameter, ctx.run_id, region=aws.region, takes_over=(janitor.NODES_SCALE,))
    keeper = lease.LeaseKeeper(mine, on_error=warn)
    keeper.start()
    ctx.capacity.lease = keeper
    ctx.capacity.owns_stack = True
    if mine.took_over is not None:
        ctx.console.print(f"benchkit: took over the stack's lease from `benchkit nodes scale` "
                          f"({mine.took_over.get('holder')}); it goes back to that hold at the end unless the run "
                          "tears the nodes down", highlight=False)  # fmt: skip
    try:
        yield
    finally:
        ctx.capacity.lease = None
        _release(ctx, keeper)


def prescale(ctx: RunContext) -> None:
    """--prescale: the bench group at --nodes, every node Ready with its DaemonSets, before submitting."""
    s = ctx.settings
    if not s.prescale or ctx.target is None or ctx.journal is None:
        return
    aws = ctx.capacity.aws
    show = _progress(ctx, s.nodes)
    if aws is not None:
        ref = aws.group("bench")
        ctx.console.print(f"benchkit: pre-scaling {ref} to {s.nodes} nodes", highlight=False)
        result = nodegroups.scale(ref, s.nodes, kube=ctx.target.api, wait=True, on_progress=show)
        name, state, how = ref.name, result.state, f"prescale: desired {result.before.desired} -> {s.nodes}"
    else:
        name, how = EMBEDDED_BENCH_GROUP, "prescale: the embedded twin starts at --nodes; waited for them"
        state = readiness.wait_for(ctx.target.api, name, s.nodes, timeout=nodegroups.SCALE_TIMEOUT_S, on_progress=show)
    ready = state.ready if state is not None else 0
    ctx.journal.emit(journal.NODE_COUNT, group=name, desired=s.nodes, ready=ready, reason=how)


@contextmanager
def metered(ctx: RunContext) -> Iterator[None]:
    """--budget: the cost meter thread, from right after the lease (node boot time counts, as the plan says)
    until after teardown (the nodes' drain counts too); then the final sample and the journal's `cost` stage."""
    s = ctx.settings
    if s.budget is None or ctx.target is None:
        yield
        return
    aws = ctx.capacity.aws
    region = aws.region if aws is not None else planning.region_of(planning.PriceOptions(), None)
    prices = pricing.resolve(region)
    api = ctx.target.api
    meter = budget.CostMeter(lambda: budget.hourly_rate(budget.nodes_by_type(api), prices), s.budget,
                             lambda spent: _over_budget(ctx, spent))  # fmt: skip
    meter.start()
    ctx.capacity.meter = meter
    try:
        yield
    finally:
        _stop_meter(ctx, meter)


@contextmanager
def autoscaling(ctx: RunContext) -> Iterator[None]:
    """--autoscale: the first decision before the first submission (at least MIN nodes), then every 15 s, until
    the run unwinds (tracking is over)."""
    s = ctx.settings
    aws = ctx.capacity.aws
    if not s.autoscale or aws is None:
        yield
        return
    ref, groups = aws.group("bench"), nodegroups.NodeGroups(aws.region)
    scaler = autoscale_run.build(ctx, ref, groups, planning.rate_profile(s))
    ctx.console.print(f"benchkit: autoscaling {ref} within {s.autoscale} (pods per node "
                      f"{scaler.policy.pods_per_node})", highlight=False)  # fmt: skip
    scaler.step()
    scaler.start()
    ctx.capacity.autoscaler = scaler
    try:
        yield
    finally:
        ctx.capacity.autoscaler = None
        scaler.stop()
        for error in scaler.errors[-3:]:
            ctx.console.print(f"benchkit: autoscaler: {error}", highlight=False)


def _stop_meter(ctx: RunContext, meter: budget.CostMeter) -> None:
    """After teardown: the final sample (the nodes' drain included) and the `cost` stage in the journal."""
    spent = ctx.capacity.spent_usd = meter.stop()
    if ctx.journal is not None:
        ctx.journal.emit(journal.STAGE, name="cost", detail={"elapsed_usd": round(spent, 4),
                         "budget_usd": ctx.settings.budget, "exceeded": meter.exceeded,
                         "stopped_run": ctx.capacity.budget_abort})  # fmt: skip


def teardown(ctx: RunContext) -> None:
    """--teardown (or a budget abort): the run's objects by label, and with --stack the bench group to zero.

    Only for a run that started (its folder exists: a refusal before that has nothing to undo) and, for the
    node group, only when this run owns the stack: a run refused as `stack is busy` must not scale the nodes
    of the run that holds the lease.
    """
    s = ctx.settings
    if not (s.teardown or ctx.capacity.budget_abort) or ctx.target is None or ctx.journal is None:
        return
    aws = ctx.capacity.aws
    ctx.journal.emit(journal.STAGE, name="teardown", detail={"stack": s.stack})
    if aws is None:
        ctx.console.print("benchkit: teardown: no --stack: deleting the run's objects only (no node group to scale)",
                          highlight=False)  # fmt: skip
    elif not ctx.capacity.owns_stack:
        ctx.console.print("benchkit: teardown: this run does not hold the stack's lease: deleting the run's objects "
                          "only, its node groups are left alone", highlight=False)  # fmt: skip
        aws = None
    groups = [aws.group("bench")] if aws is not None else []
    try:
        report = teardown_mod.teardown(
            kube=ctx.target.api, run_id=ctx.run_id, groups=groups,
            prices=pricing.resolve(aws.region) if aws is not None else None,
            instance_types=aws.instance_types if aws is not None else None,
            on_progress=_progress(ctx, 0),
        )  # fmt: skip
    except teardown_mod.TeardownFailed as exc:
        _print_lines(ctx, exc.report.lines())
        raise
    finally:
        ctx.capacity.torn_down = bool(groups)
    _print_lines(ctx, report.lines())


def _print_lines(ctx: RunContext, lines: list[str]) -> None:
    for line in lines:
        ctx.console.print(f"benchkit: {line.strip()}", highlight=False)


def _release(ctx: RunContext, keeper: lease.LeaseKeeper) -> None:
    """Release the run's lease; a `nodes scale` hold it took over goes back to it unless the nodes were torn down."""
    released = keeper.stop(hand_back=not ctx.capacity.torn_down)
    prior = keeper.lease.took_over
    if released and prior is not None:
        left = float(prior["expires"]) - time.time()
        ctx.console.print(f"benchkit: lease handed back to `benchkit nodes scale` ({prior.get('holder')}) for "
                          f"{left:.0f} s more: the janitor keeps the nodes until then", highlight=False)  # fmt: skip


def verdict(ctx: RunContext) -> None:
    """Last of all: a run the budget stopped is an error (exit 1), after its results and teardown."""
    if ctx.capacity.budget_abort:
        spent, cap = ctx.capacity.spent_usd or 0.0, ctx.settings.budget or 0.0
        raise budget.BudgetExceeded(f"budget: the run's elapsed cost ${spent:,.2f} passed --budget ${cap:,.2f}: "
                                    f"stopped and torn down; results in {ctx.run_dir}")  # fmt: skip


def _over_budget(ctx: RunContext, spent: float) -> None:
    """Called by the meter thread: stop submitting and tracking, as two Ctrl-C would (nothing once tracking ended:
    the journal's `cost` stage still says the budget was exceeded)."""
    if ctx.tracking_over:
        return
    ctx.capacity.budget_abort = True
    ctx.console.print(f"benchkit: budget: elapsed cost ${spent:,.2f} passed ${ctx.settings.budget:,.2f}: stopping",
                      highlight=False)  # fmt: skip
    ctx.interrupt()
    ctx.interrupt()


def _progress(ctx: RunContext, count: int) -> Callable[[GroupState, float], None]:
    last: dict[str, str] = {}

    def show(state: GroupState, elapsed: float) -> None:
        line = state.describe(count)
        if last.get("line") != line:
            ctx.console.print(f"benchkit: [{elapsed:4.0f}s] {line}", highlight=False)
            last["line"] = line

    return show

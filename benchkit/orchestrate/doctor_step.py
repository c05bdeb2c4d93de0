"""The run's doctor step: before anything is scaled, `benchkit run --stack` (and `--prescale` on the twin)
runs doctor's fast subset and stops at the first failing row, with its fix."""

from __future__ import annotations

from benchkit.capacity.doctor_cluster import ClusterExpect
from benchkit.checks import Row
from benchkit.errors import BenchkitError
from benchkit.orchestrate import doctor
from benchkit.orchestrate.context import RunContext
from benchkit.orchestrate.doctor import DoctorOptions
from benchkit.settings import cluster_shape


class DoctorFailed(BenchkitError):
    """A preflight row failed (exit 1): nothing was scaled or created."""


def fast_doctor(ctx: RunContext) -> None:
    s = ctx.settings
    if s.stack is not None:
        rows = doctor.run(DoctorOptions(stack=s.stack, nodes=s.nodes if s.prescale else None, fast=True))
    elif s.prescale and ctx.target is not None:
        expect = ClusterExpect("bench", cluster_shape.bench_max_pods(), (), None)
        rows = doctor.kube_rows(ctx.target.api, expect, fast=True)
    else:
        return
    failed = [r for r in rows if r.status == "fail"]
    if failed:
        raise DoctorFailed(f"doctor: {_line(failed[0])}" + (f" (+{len(failed) - 1} more: run `benchkit doctor`)"
                                                            if len(failed) > 1 else ""))  # fmt: skip
    ctx.console.print(f"benchkit: doctor: {len(rows)} fast checks passed", highlight=False)


def _line(row: Row) -> str:
    return f"{row.check}: {row.detail}; fix: {row.fix}"

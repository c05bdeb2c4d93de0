"""Plan a run from its settings: the schedule `run` would follow, the stack's shape and prices, the simulation.

Used by `benchkit plan` and by `benchkit run --budget` (the estimate it refuses to start above).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from benchkit.capacity import pricing
from benchkit.errors import ConfigError
from benchkit.kube.stack import StackOutputs
from benchkit.load.schedule import RateProfile  # pure: no Locust, no gevent
from benchkit.plan.cost import DEFAULT_INSTANCE_TYPES, StackShape
from benchkit.plan.predict import Plan, plan
from benchkit.settings.run import RunSettings, parse_min_max, parse_ramp


@dataclass(frozen=True)
class PriceOptions:
    """Where prices come from (`benchkit plan` flags; `run` uses the defaults and $BENCHKIT_PRICES)."""

    region: str | None = None
    prices_file: Path | None = None
    price_flags: tuple[str, ...] = ()
    pricing_api: bool = False
    instance_types: Mapping[str, str] = field(default_factory=dict)
    """role -> instance type overrides (`--instance-type bench=m6i.4xlarge`)."""


def rate_profile(settings: RunSettings) -> RateProfile:
    """The offered-rate profile `benchkit run` follows for these settings."""
    if settings.ramp is not None:
        start, step, every, top = parse_ramp(settings.ramp)
        return RateProfile.ramp(start, step, every, top, settings.total)
    return RateProfile.constant(settings.jobs_per_min)


def stack_shape(settings: RunSettings, outputs: StackOutputs | None, overrides: Mapping[str, str]) -> StackShape:
    types = {**DEFAULT_INSTANCE_TYPES, **(outputs.instance_types if outputs else {}), **overrides}
    unknown = sorted(set(types) - set(DEFAULT_INSTANCE_TYPES))
    if unknown:
        raise ConfigError(
            f"--instance-type: unknown node group role {unknown[0]!r} (core, operator, monitoring, bench)"
        )
    autoscale = parse_min_max(settings.autoscale, "autoscale") if settings.autoscale else None
    bench = autoscale[1] if autoscale else settings.nodes
    shape = StackShape(bench_nodes=bench, instance_types=types, autoscale=autoscale)
    if outputs and outputs.shape.get("benchMaxPods"):  # the stack's own bench maxPods
        shape = replace(shape, max_pods=int(outputs.shape["benchMaxPods"]))
    return shape


def region_of(options: PriceOptions, outputs: StackOutputs | None) -> str:
    return (options.region or (outputs.region if outputs else None) or os.environ.get("AWS_REGION")
            or os.environ.get("AWS_DEFAULT_REGION") or pricing.DEFAULT_REGION)  # fmt: skip


def plan_run(settings: RunSettings, options: PriceOptions | None = None, outputs: StackOutputs | None = None,
             model: str = "paper") -> Plan:  # fmt: skip
    """Everything `benchkit plan` prints, for these settings on this stack."""
    options = options or PriceOptions()
    shape = stack_shape(settings, outputs, options.instance_types)
    prices = pricing.resolve(region_of(options, outputs), options.prices_file, options.price_flags,
                             options.pricing_api, shape.instance_types.values())  # fmt: skip
    for itype in shape.instance_types.values():
        prices.instance(itype)  # a ConfigError naming the type before any simulation runs
    return plan(settings, rate_profile(settings).due_offset, prices, shape=shape, model=model)


def parse_instance_types(values: Iterable[str]) -> dict[str, str]:
    """["bench=m6i.4xlarge"] -> {"bench": "m6i.4xlarge"}."""
    out = {}
    for text in values:
        role, sep, itype = text.partition("=")
        if not sep or not role.strip() or not itype.strip():
            raise ConfigError(f"--instance-type: expected ROLE=TYPE (e.g. bench=m6i.4xlarge), got {text!r}")
        out[role.strip()] = itype.strip()
    return out

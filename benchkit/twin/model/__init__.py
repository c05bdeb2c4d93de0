"""The twin's clock-agnostic model of a Spark Operator, its scheduler and nodes (see README.md here).

Callers pass `now` (seconds); the twin's server drives it in real time, `benchkit plan` on a virtual clock.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from benchkit.twin.model.interface import ModelFactory
from benchkit.twin.model.model import Model
from benchkit.twin.model.profiles import PROFILES, get_profile

__all__ = ["PROFILES", "Model", "build_model"]


def build_model(
    profile: str,
    *,
    nodes: int,
    max_pods: int,
    operator_workers: int | None = None,
    operator_cpus: float | None = None,
    seed: int = 0,
    bench_instance_type: str | None = None,
    webhook: bool = True,
) -> Model:
    """A fresh model (see `interface.ModelFactory`). Raises ValueError on an unknown profile or bad sizes."""
    if operator_cpus is not None and operator_cpus <= 0:
        raise ValueError(f"operator cpus must be > 0, got {operator_cpus:g}")
    chosen = get_profile(profile).with_operator(operator_workers, operator_cpus)
    return Model(
        chosen, nodes=nodes, max_pods=max_pods, seed=seed, bench_instance_type=bench_instance_type, webhook=webhook
    )


if TYPE_CHECKING:
    _contract: ModelFactory = build_model  # mypy checks that Model implements the TwinModel protocol

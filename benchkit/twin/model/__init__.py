"""The twin's clock-agnostic model of a Spark Operator and a cluster's nodes and scheduler.

The model never reads a clock and never sleeps: callers pass `now` (seconds; epoch seconds when the
twin serves, any origin on a virtual clock). The twin's server drives it in real time; `benchkit plan`
drives the same model on a virtual clock (`simulate.py`). See `interface.py` for the contract between
the two and README.md here for what is modelled and how it is calibrated.
"""

from __future__ import annotations

from benchkit.twin.model.interface import TwinModel
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
) -> TwinModel:
    """A fresh model (see `interface.ModelFactory`). Raises ValueError on an unknown profile or bad sizes."""
    if operator_cpus is not None and operator_cpus <= 0:
        raise ValueError(f"operator cpus must be > 0, got {operator_cpus:g}")
    chosen = get_profile(profile).with_operator(operator_workers, operator_cpus)
    return Model(chosen, nodes=nodes, max_pods=max_pods, seed=seed)

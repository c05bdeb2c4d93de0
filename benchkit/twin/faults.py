"""Fault injection: errors on a fraction of writes, added latency, watch cuts. Deterministic for a seed."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field

KINDS = ("429", "500", "reset")


@dataclass
class Faults:
    """What to break. `rate` applies to writes (create/delete/deletecollection); `kinds` rotate at random.

    A "reset" closes the connection without a response *after* the write took effect (the case that
    makes clients retry into 409 AlreadyExists), unless `reset_before_write` is set.
    """

    rate: float = 0.0
    latency_ms: float = 0.0
    watch_cut_every: float | None = None
    seed: int = 0
    reset_before_write: bool = False
    injected: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def reseed(self, seed: int) -> None:
        self.seed = seed
        self._rng = random.Random(seed)

    def pick(self) -> str | None:
        """The fault for the next write, if any (counted in `injected`)."""
        if self.rate <= 0.0:
            return None
        if self._rng.random() >= self.rate:
            return None
        kind = KINDS[self._rng.randrange(len(KINDS))]
        self.injected[kind] += 1
        return kind

    @property
    def latency(self) -> float:
        return self.latency_ms / 1000.0

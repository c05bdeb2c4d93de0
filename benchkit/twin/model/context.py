"""What every part of the model shares: the event queue, the output buffer, the profile, the seeded RNG."""

from __future__ import annotations

import random

from benchkit.twin.model.events import EventQueue
from benchkit.twin.model.interface import Change
from benchkit.twin.model.profiles import Profile
from benchkit.twin.model.timefmt import TimeFormat


class Ctx:
    __slots__ = ("events", "out", "profile", "rng", "ts")

    def __init__(self, profile: Profile, seed: int) -> None:
        self.events = EventQueue()
        self.out: list[Change] = []
        self.profile = profile
        self.rng = random.Random(seed)
        self.ts = TimeFormat()

    @property
    def now(self) -> float:
        return self.events.now

    def jitter(self, value: float) -> float:
        """`value` spread uniformly by ± profile.jitter (deterministic for a seed)."""
        spread = self.profile.jitter
        if spread <= 0 or value <= 0:
            return value
        return value * (1.0 + spread * (2.0 * self.rng.random() - 1.0))

    def hex_id(self, digits: int) -> str:
        return f"{self.rng.getrandbits(digits * 4):0{digits}x}"

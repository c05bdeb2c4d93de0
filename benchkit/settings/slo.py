"""SLO gates: the grammar of a scenario's `slo:` entries, checked when settings are validated (exit 2).

    slo   := path op number          e.g.  create_to_running.p99 <= 120
    path  := key ("." key)*          a path into summary.json; a latency phase may drop "latency_s."
    op    := "<=" | "<" | ">=" | ">" | "==" | "!="
    number:= a decimal number        (seconds for latencies, jobs/min for rates, counts for jobs)

In a scenario file `slo:` is a list of such strings, or a mapping `path: "op number"`. Evaluation against
summary.json, junit.xml and the exit code live in `benchkit.report.slo`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from benchkit.errors import ConfigError
from benchkit.results import schema
from benchkit.results.phases import NAMES as PHASES
from benchkit.results.stats import STATS

OPS = ("<=", ">=", "==", "!=", "<", ">")
SECTIONS: dict[str, tuple[str, ...]] = {
    name: schema.numeric_fields(section)
    for name, section in (("jobs", schema.Jobs), ("rate", schema.Rate), ("operator", schema.Operator),
                          ("api", schema.Api), ("tracking", schema.Tracking), ("saturation", schema.Saturation))
}  # fmt: skip
"""summary.json's numeric leaves an SLO may name (besides latency_s.<phase>.<stat> and duration_s), read off
its schema, as the phases and stats are read off their one definition."""
_EXPR = re.compile(r"^\s*(?P<path>[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*)\s*(?P<op><=|>=|==|!=|<|>)\s*(?P<num>\S+)\s*$")


@dataclass(frozen=True)
class Slo:
    """One gate. `path` is the canonical summary.json path (`latency_s.create_to_running.p99`)."""

    text: str
    path: str
    op: str
    threshold: float

    def holds(self, value: float) -> bool:
        return {
            "<=": value <= self.threshold, "<": value < self.threshold, ">=": value >= self.threshold,
            ">": value > self.threshold, "==": value == self.threshold, "!=": value != self.threshold,
        }[self.op]  # fmt: skip


def known_paths() -> list[str]:
    """Every path an SLO may use, canonical form."""
    paths = ["duration_s"]
    paths += [f"latency_s.{phase}.{stat}" for phase in PHASES for stat in STATS]
    paths += [f"{section}.{key}" for section, keys in SECTIONS.items() for key in keys]
    return paths


def canonical(path: str) -> str:
    """`create_to_running.p99` -> `latency_s.create_to_running.p99`; other paths unchanged."""
    return f"latency_s.{path}" if path.split(".", 1)[0] in PHASES else path


def parse(text: str) -> Slo:
    """Parse one `path op number` expression; ConfigError (exit 2) with the reason otherwise."""
    match = _EXPR.match(text)
    if not match:
        raise ConfigError(f"slo {text!r}: expected '<path> <op> <number>' with op one of {' '.join(OPS)}, "
                          "e.g. 'create_to_running.p99 <= 120'")  # fmt: skip
    try:
        threshold = float(match["num"])
    except ValueError:
        raise ConfigError(f"slo {text!r}: {match['num']!r} is not a number") from None
    if not math.isfinite(threshold):
        raise ConfigError(f"slo {text!r}: the threshold must be a finite number")
    path = canonical(match["path"])
    if path not in set(known_paths()):
        raise ConfigError(f"slo {text!r}: unknown summary path {match['path']!r}; {_hint(match['path'])}")
    return Slo(text=" ".join(text.split()), path=path, op=match["op"], threshold=threshold)


def parse_all(entries: dict[str, str]) -> list[Slo]:
    """RunSettings.slo -> gates. List entries arrive as {expr: expr}; mapping entries as {path: "op number"}."""
    return [parse(key if key == value else f"{key} {value}") for key, value in entries.items()]


def _hint(path: str) -> str:
    head = path.split(".", 1)[0]
    if head == "latency_s" or head in PHASES:
        return f"latency phases: {', '.join(PHASES)}; stats: {', '.join(STATS)}"
    if head in SECTIONS:
        return f"{head} has: {', '.join(SECTIONS[head])}"
    return f"sections: duration_s, latency_s (or a phase name), {', '.join(SECTIONS)}"

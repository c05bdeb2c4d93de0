"""The text exposition of `/metrics`, with a fast path for the few families that dominate a scrape.

Why: at 200 nodes a scrape is ~16,000 samples (node_cpu_seconds_total, kube_pod_status_phase,
kube_node_status_condition), and prometheus_client's `generate_latest` formats every sample anew (sorting,
checking and escaping each label on every line): 0.33-0.45 s of twin CPU per scrape (BENCHMARKS.md, "Scrape
cost"), a third of a core or more at the stack's 1 s scrape interval, taken from the simulation the twin is
measuring. prometheus_client has no cache of rendered text (its extension point is the custom collector,
which this keeps), so a collector may yield a `Prerendered` family instead: one whose sample lines are already
text. The lines come from `generate_latest`
itself (`sample_lines`), rendered once per object version and reused while the object is unchanged
(`LineCache`), or, where only the values change (a pod's phase; node CPU counters, on every scrape), label
prefixes rendered once plus the values through prometheus_client's own `floatToGoString`. `render` writes a
`Prerendered` family's text as is and every other family through `generate_latest`, so the page is byte for
byte what `generate_latest` writes for the same families (tests/twin/test_exposition.py compares the two on a
model with many nodes and pods).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator
from typing import Generic, TypeVar

from prometheus_client import generate_latest
from prometheus_client.core import Metric
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

T = TypeVar("T")
go_float: Callable[[float], str] = floatToGoString
"""How prometheus_client writes a sample value (Go's float formatting; the library leaves it untyped)."""


class Families:
    """A fixed list of families as a prometheus_client collector (what `generate_latest` takes)."""

    def __init__(self, families: Iterable[Metric]) -> None:
        self.families = list(families)

    def collect(self) -> Iterator[Metric]:
        return iter(self.families)


def text(family: Metric) -> str:
    """The family as `generate_latest` writes it: HELP and TYPE lines, then one line per sample."""
    return generate_latest(Families([family])).decode()


def header(family: Metric) -> str:
    """The family's HELP and TYPE lines (its samples left out)."""
    head = Metric(family.name, family.documentation, family.type)
    return text(head)


def sample_lines(family: Metric) -> str:
    """The family's sample lines alone, as `generate_latest` writes them (HELP and TYPE are one line each:
    prometheus_client escapes newlines in the help text)."""
    return text(family).split("\n", 2)[2]


class Prerendered(Metric):
    """A family whose text is already rendered (`body` holds its sample lines); `render` writes it as is.

    It carries no `samples`: only `render` (not `generate_latest`) exposes it."""

    def __init__(self, family: Metric, body: str) -> None:
        super().__init__(family.name, family.documentation, family.type)
        self.head = header(family)
        self.body = body


def prefixes(lines: str) -> list[str]:
    """Sample lines cut after the space before each value (a label value may hold a space, the value, the
    last field, none: no timestamps here; and none a newline, which prometheus_client escapes)."""
    return [line.rsplit(" ", 1)[0] + " " for line in lines.split("\n")[:-1]]


def with_values(prefixes: list[str], values: Iterable[float]) -> str:
    """Sample lines from their `prefixes` and values, each value as prometheus_client writes it."""
    return "".join([p + go_float(v) + "\n" for p, v in zip(prefixes, values, strict=True)])


class LineCache(Generic[T]):
    """Rendered sample lines by key, rendered again only when the key's token (its object's version) changes.

    `lines` takes (key, token, item) in exposition order; keys not passed are forgotten. With `values`, an
    item's labels are fixed by its key and only its values follow the token (a pod's phase samples): a
    changed item keeps its cached labels and takes its new values."""

    def __init__(self, family: Callable[[T], Metric], values: Callable[[T], list[float]] | None = None) -> None:
        self.family = family
        """The (reference) family of one item, e.g. one pod's five phase samples."""
        self.values = values
        self._cached: dict[Hashable, tuple[object, str]] = {}

    def lines(self, items: Iterable[tuple[Hashable, object, T]]) -> str:
        old = self._cached
        new: dict[Hashable, tuple[object, str]] = {}
        parts = []
        for key, token, item in items:
            hit = old.get(key)
            if hit is None or not (hit[0] is token or hit[0] == token):
                if hit is not None and self.values is not None:
                    hit = (token, with_values(prefixes(hit[1]), self.values(item)))
                else:
                    hit = (token, sample_lines(self.family(item)))
            new[key] = hit
            parts.append(hit[1])
        self._cached = new
        return "".join(parts)


def render(registry: Collector, plain: Callable[[Collector], bytes] = generate_latest) -> bytes:
    """The registry's families in order: `Prerendered` ones as they are, runs of others through `plain`."""
    out: list[bytes] = []
    run: list[Metric] = []
    for family in registry.collect():
        if isinstance(family, Prerendered):
            if run:
                out.append(plain(Families(run)))
                run = []
            out.append((family.head + family.body).encode())
        else:
            run.append(family)
    if run:
        out.append(plain(Families(run)))
    return b"".join(out)

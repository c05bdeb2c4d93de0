"""Metric profiles: YAML lists of `{name, query, kind: range|instant}` (plus optional unit, help), strictly validated.

The built-in profiles live beside this module (`profiles/operator.yaml`, `apiserver.yaml`, `cluster.yaml`);
a user can pass their own file. Queries may use `$rate`, `$step`, `$window` and `$controller` (the
SparkApplication controller's controller-runtime name under the chart version in the run's manifest), filled
in per run.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from benchkit.errors import ConfigError
from benchkit.spark import operator_versions

KINDS = ("range", "instant")
BUILTIN = ("operator", "apiserver", "cluster")
VARIABLES = frozenset({"rate", "step", "window", "controller"})
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,79}$")
_REQUIRED = ("name", "query", "kind")
_OPTIONAL = ("unit", "help")


@dataclass(frozen=True)
class Metric:
    """One query of a profile. `name` is also the CSV file name (`metrics/<name>.csv`)."""

    name: str
    query: str
    kind: str
    unit: str = ""
    help: str = ""
    profile: str = ""

    def render(self, *, rate: str, step: str, window: str, controller: str = operator_versions.OLD_CONTROLLER) -> str:
        """The query with its variables filled in, e.g. `$rate` -> `30s`."""
        return string.Template(self.query).substitute(rate=rate, step=step, window=window, controller=controller)


def load(names_or_paths: list[str] | tuple[str, ...] = BUILTIN) -> list[Metric]:
    """Load built-in profiles by name and/or profile files by path; metric names must be unique overall."""
    metrics: list[Metric] = []
    seen: dict[str, str] = {}
    for item in names_or_paths:
        for metric in _load_one(item):
            if metric.name in seen:
                raise ConfigError(f"metric profile {item}: {metric.name!r} is already defined in {seen[metric.name]}")
            seen[metric.name] = item
            metrics.append(metric)
    return metrics


def _load_one(item: str) -> list[Metric]:
    if item in BUILTIN:
        text = resources.files("benchkit.observe").joinpath("profiles", f"{item}.yaml").read_text()
        return parse(text, item)
    path = Path(item)
    try:
        text = path.read_text()
    except OSError as exc:
        raise ConfigError(
            f"metric profile {item!r}: not a built-in profile ({', '.join(BUILTIN)}) "
            f"and cannot read it as a file: {exc.strerror or exc}"
        ) from None
    return parse(text, path.stem, source=str(path))


def parse(text: str, profile: str, source: str | None = None) -> list[Metric]:
    """Parse and validate one profile's YAML text. Raises ConfigError naming the entry and the key."""
    where = source or f"profile {profile}"
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        raise ConfigError(f"metric {where}: invalid YAML") from None
    if not isinstance(data, list) or not data:
        raise ConfigError(f"metric {where}: expected a non-empty list of {{name, query, kind}} entries")
    return [_entry(raw, i, where, profile) for i, raw in enumerate(data)]


def _entry(raw: Any, index: int, where: str, profile: str) -> Metric:
    label = f"metric {where} entry {index + 1}"
    if not isinstance(raw, dict):
        raise ConfigError(f"{label}: expected a mapping with name, query and kind")
    unknown = sorted(set(map(str, raw)) - set(_REQUIRED) - set(_OPTIONAL))
    if unknown:
        raise ConfigError(f"{label}: unknown key {unknown[0]!r} (allowed: {', '.join(_REQUIRED + _OPTIONAL)})")
    missing = [k for k in _REQUIRED if k not in raw]
    if missing:
        raise ConfigError(f"{label}: missing {missing[0]!r}")
    for key in (*_REQUIRED, *_OPTIONAL):
        if key in raw and not isinstance(raw[key], str):
            raise ConfigError(f"{label}: {key} must be a string, got {type(raw[key]).__name__}")
    name, query, kind = raw["name"], raw["query"].strip(), raw["kind"]
    if not _NAME.match(name):
        raise ConfigError(f"{label}: name {name!r} must match {_NAME.pattern} (it becomes a file name)")
    label = f"metric {where} {name!r}"
    if kind not in KINDS:
        raise ConfigError(f"{label}: kind must be one of {', '.join(KINDS)}, got {kind!r}")
    if not query:
        raise ConfigError(f"{label}: empty query")
    template = string.Template(query)
    if not template.is_valid():
        raise ConfigError(f"{label}: a '$' in the query is not one of ${', $'.join(sorted(VARIABLES))}")
    unknown_vars = sorted(set(template.get_identifiers()) - VARIABLES)
    if unknown_vars:
        raise ConfigError(f"{label}: unknown variable ${unknown_vars[0]} (known: ${', $'.join(sorted(VARIABLES))})")
    return Metric(name=name, query=query, kind=kind, unit=raw.get("unit", ""), help=raw.get("help", ""),
                  profile=profile)  # fmt: skip

"""Jinja2 rendering of benchkit's HTML pages (report, compare, suite) and small value formatters."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import jinja2

from benchkit import __version__


def fmt(value: Any) -> str:  # noqa: PLR0911 - one return per kind of value
    """Numbers to at most 4 significant digits, None to an en dash, the rest as text."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 10000 else f"{value:.4g}"
    if isinstance(value, list | tuple):
        return ", ".join(fmt(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True)
    return str(value)


LEAVES = ("slo",)
"""Mappings kept whole when flattening (their keys are expressions, not names)."""


def flatten(data: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """Nested dicts to (dotted key, value) rows, in order; a list of named dicts is keyed by their names.

    >>> flatten({"deployments": [{"name": "ctl", "replicas": 1}]})
    [('deployments.ctl.replicas', 1)]
    """
    rows: list[tuple[str, Any]] = []
    for key, value in data.items():
        name = f"{prefix}{key}"
        by_name = _by_name(value)
        if by_name is not None:
            rows += flatten(by_name, f"{name}.")
        elif isinstance(value, dict) and value and key not in LEAVES:
            rows += flatten(value, f"{name}.")
        elif key in LEAVES and isinstance(value, dict):
            rows.append((name, sorted(value.values())))
        else:
            rows.append((name, value))
    return rows


def _by_name(value: Any) -> dict[str, Any] | None:
    """A non-empty list of dicts with distinct `name`s as {name: the rest}; None for anything else."""
    if not isinstance(value, list) or not value or not all(isinstance(v, dict) and "name" in v for v in value):
        return None
    names = [str(v["name"]) for v in value]
    if len(set(names)) != len(names):
        return None
    return {n: {k: x for k, x in v.items() if k != "name"} for n, v in zip(names, value, strict=True)}


_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("benchkit.report", "templates"),
    autoescape=jinja2.select_autoescape(["html", "j2"]),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def render(template: str, **context: Any) -> str:
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
    return _ENV.get_template(template).render(fmt=fmt, version=__version__, generated=generated, **context)

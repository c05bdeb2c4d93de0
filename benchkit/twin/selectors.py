"""Label and field selectors, parsed as kube-apiserver parses them (`labels.Parse`, `fields.ParseSelector`)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from benchkit.twin.status import ApiFailure, bad_request

_KEY = re.compile(r"^([a-z0-9A-Z]([-a-z0-9A-Z.]*[a-z0-9A-Z])?/)?[a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?$")
_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_SET_OP = re.compile(r"^(\S+)\s+(in|notin)\s*\((.*)\)$")
_CMP_OP = re.compile(r"^([^!=<>\s]+)\s*(==|!=|=|<|>)\s*(.*)$")


@dataclass(frozen=True)
class Requirement:
    key: str
    op: str  # "exists", "!", "=", "!=", "in", "notin", "<", ">"
    values: frozenset[str] = frozenset()

    def matches(self, labels: Mapping[str, str]) -> bool:  # noqa: PLR0911 - one branch per operator
        op = self.op
        if op == "=":
            return labels.get(self.key) in self.values
        if op == "exists":
            return self.key in labels
        if op == "in":
            return labels.get(self.key) in self.values
        if op in {"!=", "notin"}:
            return labels.get(self.key) not in self.values
        if op == "!":
            return self.key not in labels
        value = labels.get(self.key)
        if value is None or not value.lstrip("-").isdigit():
            return False
        (bound,) = self.values
        return int(value) < int(bound) if op == "<" else int(value) > int(bound)


@dataclass(frozen=True)
class LabelSelector:
    requirements: tuple[Requirement, ...]

    def matches(self, labels: Mapping[str, str]) -> bool:
        for r in self.requirements:  # noqa: SIM110 - a loop, not all(genexpr): this runs per event per watcher
            if not r.matches(labels):
                return False
        return True

    def equality(self, key: str) -> str | None:
        """The value `key` must equal (for index lookups), if the selector pins one."""
        for r in self.requirements:
            if r.key == key and r.op in ("=", "in") and len(r.values) == 1:
                return next(iter(r.values))
        return None

    @property
    def empty(self) -> bool:
        return not self.requirements


EVERYTHING = LabelSelector(())


def _split(text: str) -> list[str]:
    """Split on commas outside parentheses."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p.strip() for p in parts]


def _check_key(key: str, text: str) -> str:
    if not _KEY.match(key) or len(key.rsplit("/", 1)[-1]) > 63:
        raise bad_request(f"unable to parse requirement: invalid label key {key!r} in {text!r}")
    return key


def _check_value(value: str, text: str) -> str:
    if len(value) > 63 or not _VALUE.match(value):
        raise bad_request(f"unable to parse requirement: invalid label value {value!r} in {text!r}")
    return value


def _requirement(part: str, text: str) -> Requirement:
    if not part:
        raise bad_request(f"unable to parse requirement: found '', expected: identifier in {text!r}")
    if part.startswith("!"):
        return Requirement(_check_key(part[1:].strip(), text), "!")
    match = _SET_OP.match(part)
    if match:
        values = frozenset(_check_value(v.strip(), text) for v in match.group(3).split(","))
        return Requirement(_check_key(match.group(1), text), match.group(2), values)
    match = _CMP_OP.match(part)
    if match:
        key, op, value = match.group(1), match.group(2), match.group(3).strip()
        if op in ("<", ">") and not value.lstrip("-").isdigit():
            raise bad_request(
                f"unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer in {text!r}"
            )
        return Requirement(_check_key(key, text), "=" if op == "==" else op, frozenset({_check_value(value, text)}))
    return Requirement(_check_key(part, text), "exists")


def parse_labels(text: str | None) -> LabelSelector:
    """Parse a `labelSelector` query value; raises 400 BadRequest on syntax errors."""
    if not text or not text.strip():
        return EVERYTHING
    return LabelSelector(tuple(_requirement(p, text) for p in _split(text)))


@dataclass(frozen=True)
class FieldSelector:
    terms: tuple[tuple[str, bool, str], ...]  # (field, equal?, value)

    def matches(self, fields: Mapping[str, str]) -> bool:
        return all((fields.get(f, "") == v) == eq for f, eq, v in self.terms)

    def equality(self, field: str) -> str | None:
        for f, eq, v in self.terms:
            if f == field and eq:
                return v
        return None

    @property
    def empty(self) -> bool:
        return not self.terms


NO_FIELDS = FieldSelector(())


def parse_fields(text: str | None, supported: tuple[str, ...]) -> FieldSelector:
    """Parse a `fieldSelector` over the fields a resource supports; 400 for unknown fields."""
    if not text or not text.strip():
        return NO_FIELDS
    terms = []
    for part in _split(text):
        for op in ("!=", "==", "="):
            field, sep, value = part.partition(op)
            if sep:
                break
        else:
            raise bad_request(f"invalid selector: '{text}'; can't understand '{part}'")
        field = field.strip()
        if field not in supported:
            known = ", ".join(f'"{f}"' for f in supported)
            raise ApiFailure(400, f"field label not supported: {field} (supported: {known})", "BadRequest")
        terms.append((field, op != "!=", value.strip()))
    return FieldSelector(tuple(terms))

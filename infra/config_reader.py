"""Typed access to raw stack config strings, with one-line errors naming the key.

Pure (no pulumi.Config): `settings.load()` hands it the raw strings, tests hand it a dict.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from ipaddress import IPv4Network
from typing import TypeVar

import pulumi

NAMESPACE = "benchkit"
T = TypeVar("T")


class ConfigError(pulumi.RunError):
    """A bad stack config value. A RunError, so `pulumi preview` prints the one line, not a traceback."""

    def __init__(self, key: str, message: str) -> None:
        self.key = key
        super().__init__(f"{key if ':' in key else f'{NAMESPACE}:{key}'}: {message}")


class Reader:
    """Reads raw config values by key and remembers which keys it was asked for."""

    def __init__(self, raw: Mapping[str, str]) -> None:
        self._raw = dict(raw)
        self.used: set[str] = set()

    def is_set(self, key: str) -> bool:
        return self._raw.get(key) not in (None, "")

    def _get(self, key: str) -> str | None:
        self.used.add(key)
        value = self._raw.get(key)
        return None if value is None or value == "" else str(value).strip()

    def text(self, key: str, default: str, pattern: str | None = None, hint: str = "") -> str:
        value = self._get(key)
        if value is None:
            return default
        if pattern is not None and not re.fullmatch(pattern, value):
            raise ConfigError(key, f"{value!r} is not valid{f' ({hint})' if hint else ''}")
        return value

    def optional(self, key: str, pattern: str, hint: str) -> str | None:
        value = self._get(key)
        if value is not None and not re.fullmatch(pattern, value):
            raise ConfigError(key, f"{value!r} is not valid ({hint})")
        return value

    def integer(self, key: str, default: int, lo: int, hi: int) -> int:
        return self._checked_int(key, self._get(key), default, lo, hi)

    def optional_integer(self, key: str, lo: int, hi: int) -> int | None:
        value = self._get(key)
        return None if value is None else self._checked_int(key, value, 0, lo, hi)

    @staticmethod
    def _checked_int(key: str, value: str | None, default: int, lo: int, hi: int) -> int:
        if value is None:
            return default
        try:
            number = int(value)
        except ValueError:
            raise ConfigError(key, f"expected an integer, got {value!r}") from None
        if not lo <= number <= hi:
            raise ConfigError(key, f"must be between {lo} and {hi}, got {number}")
        return number

    def flag(self, key: str, default: bool) -> bool:
        value = self._get(key)
        if value is None:
            return default
        if value.lower() in ("true", "yes", "1"):
            return True
        if value.lower() in ("false", "no", "0"):
            return False
        raise ConfigError(key, f"expected true or false, got {value!r}")

    def choice(self, key: str, default: str, allowed: Iterable[str], what: str) -> str:
        value = self.text(key, default)
        options = sorted(allowed)
        if value not in options:
            raise ConfigError(key, f"unknown {what} {value!r} (allowed: {', '.join(options)})")
        return value

    def items(self, key: str, default: tuple[str, ...], item: Callable[[str], T] | None = None) -> tuple[str, ...]:
        """A JSON array (`pulumi config set --path 'k[0]' v`) or a comma-separated string."""
        value = self._get(key)
        if value is None:
            return default
        if value.startswith("["):
            try:
                items = json.loads(value)
            except json.JSONDecodeError:
                raise ConfigError(key, "is not a valid JSON list") from None
            if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
                raise ConfigError(key, "expected a list of strings")
        else:
            items = [part.strip() for part in value.split(",") if part.strip()]
        if item is not None:
            for entry in items:
                try:
                    item(entry)
                except ValueError as exc:
                    raise ConfigError(key, f"{entry!r}: {exc}") from None
        return tuple(items)

    def mapping(self, key: str) -> dict[str, str]:
        value = self._get(key)
        if value is None:
            return {}
        try:
            data = json.loads(value)
        except json.JSONDecodeError:
            raise ConfigError(key, "expected a JSON object of strings") from None
        if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
            raise ConfigError(key, "expected a JSON object of strings")
        return {str(k): v for k, v in data.items()}

    def cidr(self, key: str, default: str, min_prefix: int, max_prefix: int) -> IPv4Network:
        value = self.text(key, default)
        try:
            network = IPv4Network(value)
        except ValueError as exc:
            raise ConfigError(key, f"{value!r} is not an IPv4 CIDR ({exc})") from None
        if not min_prefix <= network.prefixlen <= max_prefix:
            raise ConfigError(key, f"prefix length must be /{min_prefix} to /{max_prefix}, got /{network.prefixlen}")
        return network

    def unknown(self) -> list[str]:
        """Keys set in the stack config that nothing asked for (typos are otherwise silent)."""
        return sorted(k for k in self._raw if k not in self.used)


def version_tuple(version: str) -> tuple[int, ...]:
    """'2.5.1' -> (2, 5, 1)."""
    return tuple(int(part) for part in version.split("."))

"""One row of a preflight (`benchkit doctor`): a check's name, ok / warn / fail, what was seen, the fix.

Shared by the check modules of several packages (capacity, observe, kube readers), so it sits at the bottom.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

Status = Literal["ok", "warn", "fail"]


@dataclass(frozen=True)
class Row:
    check: str
    status: Status
    detail: str
    fix: str = ""
    """One line telling the user what to do; set on every fail."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def ok(check: str, detail: str) -> Row:
    return Row(check, "ok", detail)


def warn(check: str, detail: str, fix: str = "") -> Row:
    return Row(check, "warn", detail, fix)


def fail(check: str, detail: str, fix: str) -> Row:
    return Row(check, "fail", detail, fix)


def cannot_check(check: str, why: str) -> Row:
    """A check the account or endpoint does not let us make: a warn saying so, never a traceback."""
    return Row(check, "warn", f"not checked: {' '.join(why.split())}")

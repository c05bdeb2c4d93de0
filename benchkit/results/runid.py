"""Run ids: `<UTC yyyymmdd-hhmmss>[-<name>]-<4 random chars>`, sortable, unique, valid label values."""

from __future__ import annotations

import secrets
import string
from datetime import UTC, datetime


def new_run_id(name: str | None = None) -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    token = "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(4))
    return "-".join(p for p in (stamp, name, token) if p)

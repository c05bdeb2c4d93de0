"""Shared by benchkit's benchmarks: machine description and appending a section to BENCHMARKS.md."""

from __future__ import annotations

import os
import platform
import shlex
import sys
from datetime import UTC, datetime
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
BENCHMARKS = REPO / "BENCHMARKS.md"


def machine() -> str:
    mem = psutil.virtual_memory().total / 2**30
    load = os.getloadavg()[0]
    return (f"{platform.processor() or platform.machine()}, {psutil.cpu_count()} cores, {mem:.0f} GiB, "
            f"Python {platform.python_version()}, load average {load:.1f} at start")  # fmt: skip


def command() -> str:
    return "uv run python " + " ".join(shlex.quote(a) for a in [os.path.relpath(sys.argv[0], REPO), *sys.argv[1:]])


def append(title: str, table: str, notes: str, started_machine: str) -> None:
    """Append one dated section (title, machine, exact command, table, notes) to BENCHMARKS.md."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    section = (f"\n## {title} ({stamp})\n\n- machine: {started_machine}\n- command: `{command()}`\n\n"
               f"{table}\n\n{notes.strip()}\n")  # fmt: skip
    if not BENCHMARKS.exists():
        BENCHMARKS.write_text("# benchkit benchmarks\n\nFigures measured by the scripts in `bench/`; each section says "
                              "when, on what machine, and with which command.\n")  # fmt: skip
    with BENCHMARKS.open("a") as fh:
        fh.write(section)


def markdown_table(header: list[str], rows: list[list[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)

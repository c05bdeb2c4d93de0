"""Shared by benchkit's benchmarks: what was measured where (machine, commit, command line) and appending a
section with that header to BENCHMARKS.md (or the file given with --out)."""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
BENCHMARKS = REPO / "BENCHMARKS.md"


@dataclass(frozen=True)
class Header:
    """Taken when a benchmark starts, written at the top of its section."""

    machine: str
    commit: str
    command: str
    started: str = ""
    """UTC, "YYYY-MM-DD HH:MM UTC"; empty when unknown."""


def output_args(parser: argparse.ArgumentParser) -> None:
    """--out FILE and --no-append, the same on every benchmark."""
    parser.add_argument("--out", type=Path, default=BENCHMARKS, help="append the section here (default: BENCHMARKS.md)")
    parser.add_argument("--no-append", action="store_true", help="print only; write no section")


def begin(out: Path) -> Header:
    """The header of a section about to be measured (`out`, where it will go, does not count as a change)."""
    return Header(machine(), commit(out), command(), _now())


def machine() -> str:
    mem = psutil.virtual_memory().total / 2**30
    load = os.getloadavg()[0]
    return (f"{platform.processor() or platform.machine()}, {psutil.cpu_count()} cores, {mem:.0f} GiB, "
            f"Python {platform.python_version()}, load average {load:.1f} at start")  # fmt: skip


def commit(out: Path = BENCHMARKS) -> str:
    """`git rev-parse --short HEAD`, plus "+dirty" when the tree differs from it (other than in `out`)."""
    head = _git("rev-parse", "--short", "HEAD")
    if not head:
        return "unknown (not a git checkout)"
    spec = ["."]
    if out.resolve().is_relative_to(REPO):
        spec.append(f":(exclude){out.resolve().relative_to(REPO)}")
    return head + ("+dirty" if _git("status", "--porcelain", "--", *spec) else "")


def command() -> str:
    """The command line as typed: `uv run [flags] python bench/x.py ...` when uv started us, else our own argv."""
    try:
        launcher = psutil.Process().parent().cmdline()
    except (psutil.Error, AttributeError):
        launcher = []
    if launcher and Path(launcher[0]).name == "uv" and "run" in launcher:
        return shlex.join(["uv", *launcher[1:]])
    return shlex.join([Path(sys.orig_argv[0]).name, *sys.orig_argv[1:]])


def append(title: str, table: str, notes: str, header: Header, out: Path = BENCHMARKS) -> None:
    """Append one section (title with date and time, machine, commit, exact command, table, notes) to `out`."""
    ended = _now()
    # "YYYY-MM-DD HH:MM to HH:MM UTC" on one day; only the (dated) end when started is unknown or the day changed
    stamp = f"{header.started.removesuffix(' UTC')} to {ended[11:]}" if header.started[:10] == ended[:10] else ended
    section = (f"\n## {title} ({stamp})\n\n- machine: {header.machine}\n- commit: `{header.commit}`\n"
               f"- command: `{header.command}`\n\n{table}\n\n{notes.strip()}\n")  # fmt: skip
    if not out.exists():
        out.write_text("# benchkit benchmarks\n\nFigures measured by the scripts in `bench/`; each section says "
                       "when, on what machine, at which commit, and with which command.\n")  # fmt: skip
    with out.open("a") as fh:
        fh.write(section)
    print(f"appended to {out}")


def publish(title: str, table: str, notes: str, header: Header, args: argparse.Namespace) -> None:
    """Print the table and notes; append the section to `args.out` unless `args.no_append` (see output_args)."""
    print(table)
    print(notes)
    if not args.no_append:
        append(title, table, notes, header, args.out)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")


def markdown_table(header: list[str], rows: list[list[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _git(*args: str) -> str:
    try:
        done = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, check=False, timeout=30)
    except OSError:
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""

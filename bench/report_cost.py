"""What the results cost: `benchkit summarize` and `benchkit report` time and peak memory on a full-scale run.

    uv run python bench/report_cost.py [RUN_DIR] [--repeat 3] [--out FILE]

RUN_DIR defaults to the newest full-scale run under runs/ (made by `make bench-full`). Each command runs
--repeat times as a subprocess of the real CLI; wall time is measured around it and peak RSS is the
child's own maximum resident set (`wait4` rusage), so no sample can miss a peak. Both commands only
derive files from the run folder (summary.json, apps.csv, report.html) and are safe to repeat. Prints a
table and appends it to BENCHMARKS.md (or --out).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import REPO, begin, markdown_table, output_args, publish

COMMANDS = ("summarize", "report")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", nargs="?", type=Path, help="a run folder (default: newest full-scale run in runs/)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each command (median time, max RSS)")
    output_args(parser)
    args = parser.parse_args()
    run_dir = args.run_dir or newest_full_scale(REPO / "runs")
    if not (run_dir / "events.jsonl").is_file():
        raise SystemExit(f"{run_dir}: no events.jsonl (not a run folder)")
    started = begin(args.out)
    events = sum(1 for _ in (run_dir / "events.jsonl").open("rb"))
    journal_mb = (run_dir / "events.jsonl").stat().st_size / 1e6
    rows = []
    for name in COMMANDS:
        times, peaks = [], []
        for _ in range(args.repeat):
            seconds, peak = measure([sys.executable, "-m", "benchkit", name, str(run_dir)])
            times.append(seconds)
            peaks.append(peak)
        rows.append([f"benchkit {name}", f"{statistics.median(times):.1f}", f"{min(times):.1f} - {max(times):.1f}",
                     f"{max(peaks) / 2**20:.0f}"])  # fmt: skip
        print(rows[-1], flush=True)
    table = markdown_table(["command", "median s", "range s", "peak RSS (MiB)"], rows)
    report_mb = (run_dir / "report.html").stat().st_size / 1e6
    metrics = len(list((run_dir / "metrics").glob("*.csv"))) if (run_dir / "metrics").is_dir() else 0
    notes = (
        f"On run `{run_dir.name}`: a journal of {events:,} events ({journal_mb:.1f} MB), "
        f"{_apps(run_dir):,} apps in apps.csv, {metrics} metric CSVs; report.html is {report_mb:.1f} MB. "
        f"{args.repeat} runs of each command (a fresh Python process each time, imports included); peak RSS is "
        "the process's own maximum resident set from `wait4`."
    )
    publish("Report cost: summarize and report on the full-scale run", table, notes, started, args)


def newest_full_scale(runs: Path) -> Path:
    dirs = [p for p in runs.glob("*-full-scale-*") if (p / "events.jsonl").is_file()] if runs.is_dir() else []
    if not dirs:
        raise SystemExit(f"no full-scale run under {runs}: run `make bench-full` first, or give RUN_DIR")
    return max(dirs, key=lambda p: p.name)


def measure(cmd: list[str]) -> tuple[float, int]:
    """(wall seconds, peak RSS bytes) of one run of `cmd`; exits if it fails."""
    with tempfile.TemporaryFile() as err:
        started = time.monotonic()
        proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)  # the child's own rusage (Popen.wait would not give it)
        seconds = time.monotonic() - started
        proc.returncode = code = os.waitstatus_to_exitcode(status)
        if code != 0:
            err.seek(0)
            raise SystemExit(f"{' '.join(cmd[2:])} exited with {code}: {err.read().decode()[-2000:]}")
    return seconds, usage.ru_maxrss * 1024  # Linux reports kilobytes


def _apps(run_dir: Path) -> int:
    path = run_dir / "apps.csv"
    return max(0, sum(1 for _ in path.open()) - 1) if path.is_file() else 0


if __name__ == "__main__":
    main()

"""Full scale: the seed-002 shape (6,000 jobs, 36,000 pods, 200 nodes x maxPods 220) on the embedded twin.

    uv run python bench/full_scale.py [--scenario scenarios/full-scale.yaml] [--results-dir runs] [--out FILE]
                                      [--run-dir-file FILE] [-- RUN FLAGS]

Runs `benchkit run scenarios/full-scale.yaml` (3 users x 2,000 jobs at 1,000 jobs/min over 3 namespaces,
fast operator profile, apps sleeping 5 minutes) as users would, embedded twin and local Prometheus
included, while sampling the process tree with psutil every 0.5 s: peak RSS of benchkit (the `benchkit
run` process and any Locust workers, summed), of the twin, and of the local Prometheus. Reports the
run's summary figures (from the run folder `benchkit run` names on its `results:` line), those peaks,
CPU time and wall time; prints a table and appends it to BENCHMARKS.md (or --out). Extra flags after
`--` go to `benchkit run` (e.g. `-- --job-limit-per-user 100`).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import REPO, begin, markdown_table, output_args, publish

PHASES = ("create_call", "create_to_submitted", "create_to_running", "create_to_terminal", "status_lag")
ROLES = ("benchkit", "twin", "prometheus")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="scenarios/full-scale.yaml", help="the scenario file to run")
    parser.add_argument("--results-dir", default="runs", help="where the run folder goes (default: runs/)")
    parser.add_argument("--run-dir-file", type=Path, help="write the run folder's path here (for report_cost.py)")
    output_args(parser)
    parser.add_argument("run_flags", nargs="*", help="extra `benchkit run` flags (after --)")
    args = parser.parse_args()
    started = begin(args.out)
    cmd = [sys.executable, "-m", "benchkit", "run", args.scenario, "--results-dir", args.results_dir, *args.run_flags]
    print("running:", " ".join(cmd[1:]), flush=True)
    wall_start = time.monotonic()
    # stdout (the final table and the `results:` line) is captured; progress goes on stderr, to the terminal
    proc = subprocess.Popen(cmd, cwd=REPO, env={**os.environ, "COLUMNS": "160"}, stdout=subprocess.PIPE, text=True)
    sampler = TreeSampler(proc.pid)
    sampler.start()
    out, _ = proc.communicate()
    wall = time.monotonic() - wall_start
    sampler.stop()
    print(out, end="", flush=True)
    if proc.returncode != 0:
        raise SystemExit(f"benchkit run exited with {proc.returncode}")
    run_dir = run_folder(out)
    if args.run_dir_file:
        args.run_dir_file.write_text(f"{run_dir.relative_to(REPO) if run_dir.is_relative_to(REPO) else run_dir}\n")
    summary = json.loads((run_dir / "summary.json").read_text())
    manifest = json.loads((run_dir / "manifest.json").read_text())
    table = markdown_table(["figure", "value"], rows(summary, manifest, sampler, wall, run_dir))
    notes = notes_for(summary, manifest, args.scenario, run_dir)
    jobs, pods = summary["jobs"]["planned"], summary["tracking"]["pods_seen"]
    publish(f"Full scale: {jobs:,} jobs / {pods:,} pods on the twin", table, notes, started, args)


class TreeSampler(threading.Thread):
    """Samples RSS and CPU time of a process and its descendants, by role (benchkit, twin, prometheus)."""

    def __init__(self, pid: int, every: float = 0.5) -> None:
        super().__init__(daemon=True)
        self.root, self.every = pid, every
        self.peak_rss: dict[str, int] = defaultdict(int)
        """Peak of the role's summed RSS over simultaneous processes."""
        self.peak_single: dict[str, int] = defaultdict(int)
        self.cpu: dict[int, tuple[str, float]] = {}
        """pid -> (role, CPU seconds at its last sample)."""
        self.processes: dict[str, set[int]] = defaultdict(set)
        self._roles: dict[int, str] = {}
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.is_set():
            self.sample()
            self._done.wait(self.every)

    def stop(self) -> None:
        self._done.set()
        self.join()

    def sample(self) -> None:
        try:
            root = psutil.Process(self.root)
            procs = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return
        totals: dict[str, int] = defaultdict(int)
        for p in procs:
            try:
                role = self._role(p)
                rss = p.memory_info().rss
                t = p.cpu_times()
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
            totals[role] += rss
            self.peak_single[role] = max(self.peak_single[role], rss)
            self.cpu[p.pid] = (role, t.user + t.system)
            self.processes[role].add(p.pid)
        for role, rss in totals.items():
            self.peak_rss[role] = max(self.peak_rss[role], rss)

    def cpu_seconds(self, role: str) -> float:
        return sum(seconds for r, seconds in self.cpu.values() if r == role)

    def _role(self, p: psutil.Process) -> str:
        if p.pid not in self._roles:
            cmdline = p.cmdline()
            if "twin" in cmdline and "benchkit" in cmdline:
                role = "twin"
            elif Path(cmdline[0] if cmdline else p.name()).name == "prometheus":
                role = "prometheus"
            else:
                role = "benchkit"
            self._roles[p.pid] = role
        return self._roles[p.pid]


def run_folder(stdout: str) -> Path:
    """The folder this run wrote, from the `results: PATH` line `benchkit run` ends its output with (not the newest
    folder in the results dir, which could be another run's)."""
    lines = [line.removeprefix("results: ") for line in stdout.splitlines() if line.startswith("results: ")]
    if len(lines) != 1:
        raise SystemExit(f"expected one `results:` line in benchkit run's output, found {len(lines)}")
    path = Path(lines[0].strip())
    return path if path.is_absolute() else REPO / path


def peak_objects(run_dir: Path) -> dict[str, float]:
    """Peak objects the twin stored, by resource, from the run's collected metrics (if any)."""
    path = run_dir / "metrics" / "apiserver_objects.csv"
    peaks: dict[str, float] = {}
    if not path.is_file():
        return peaks
    with path.open() as fh:
        for row in csv.DictReader(fh):
            resource = row.get("resource", "")
            peaks[resource] = max(peaks.get(resource, 0.0), float(row["value"]))
    return peaks


def rows(summary: dict[str, Any], manifest: dict[str, Any], s: TreeSampler, wall: float, run_dir: Path) -> list[Any]:
    jobs, rate, lat = summary["jobs"], summary["rate"], summary["latency_s"]
    twin = manifest.get("embedded_twin") or {}
    mib = 2**20
    out: list[list[Any]] = [
        ["shape", f"{manifest['settings'].get('users')} users x {manifest['settings'].get('job_limit_per_user')} jobs, "
                  f"{len(summary.get('namespaces') or {})} namespaces, {twin.get('nodes')} nodes x maxPods "
                  f"{twin.get('max_pods')}, profile {twin.get('profile')}, scenario {summary['scenario']}"],
        ["jobs planned / submitted / created / create failed", f"{jobs['planned']} / {jobs['submitted']} / "
                                                              f"{jobs['created']} / {jobs['create_failed']}"],
        ["jobs completed / failed / unfinished", f"{jobs['completed']} / {jobs['failed']} / {jobs['unfinished']}"],
        ["rate target / achieved (jobs/min), achieved/target",
         f"{rate['target_per_min']:g} / {rate['achieved_per_min']:.1f}, {rate['achieved_ratio']:.4f}"],
        ["submission lateness p99 / max (s)", f"{rate['lateness_p99_s']:.3f} / {rate['max_lateness_s']:.3f}"],
    ]  # fmt: skip
    for phase in PHASES:
        q = lat.get(phase) or {}
        if q.get("count"):
            quantiles = " / ".join(f"{q[k]:.3f}" for k in ("p50", "p90", "p99", "max"))
            out.append([f"latency {phase} p50 / p90 / p99 / max (s), n", f"{quantiles}, {q['count']}"])
    out += [
        ["operator throughput (apps/min)", f"{summary['operator']['apps_per_min']:.1f}"],
        ["tracker API requests (per job)", f"{summary['tracking']['api_requests']} "
                                          f"({summary['tracking']['api_requests_per_job']:.4f})"],
        ["pods seen by the tracker", summary["tracking"]["pods_seen"]],
    ]  # fmt: skip
    peaks = peak_objects(run_dir)
    if peaks:
        out.append(["peak objects stored by the twin (pods / apps / nodes)",
                    " / ".join(f"{peaks.get(r, 0):.0f}" for r in
                               ("pods", "sparkapplications.sparkoperator.k8s.io", "nodes"))])  # fmt: skip
    n_bk = len(s.processes["benchkit"])
    out += [
        [f"peak RSS benchkit, all processes ({n_bk}) / largest one (MiB)",
         f"{s.peak_rss['benchkit'] / mib:.0f} / {s.peak_single['benchkit'] / mib:.0f}"],
        ["peak RSS twin (MiB)", f"{s.peak_rss['twin'] / mib:.0f}"],
        ["peak RSS local Prometheus (MiB)", f"{s.peak_rss['prometheus'] / mib:.0f}" if s.processes["prometheus"]
                                            else "-"],
        ["CPU seconds benchkit / twin / Prometheus", " / ".join(f"{s.cpu_seconds(r):.0f}" for r in ROLES)],
        ["run duration (run_start -> run_end, s)", f"{summary['duration_s']:.0f}"],
        ["wall time, whole command (s)", f"{wall:.0f}"],
    ]  # fmt: skip
    return out


def notes_for(summary: dict[str, Any], manifest: dict[str, Any], scenario: str, run_dir: Path) -> str:
    settings = manifest["settings"]
    ttl = (manifest.get("time_to_live_seconds") or {}).get("apps")
    ttl_text = "no timeToLiveSeconds: scenario keep drops the template's" if ttl is None else f"timeToLiveSeconds {ttl}"
    return (
        f"Run `{summary['run_id']}`: `benchkit run {scenario}` on the embedded twin (app-seconds "
        f"{settings.get('app_seconds')}, {ttl_text}), with the local Prometheus "
        "scraping the twin every second, metrics collection and report included in the wall time. RSS is sampled "
        "every 0.5 s with psutil over the process tree (benchkit = the `benchkit run` process plus any Locust "
        "workers; the twin and Prometheus are its children but counted apart). CPU seconds are the sampled "
        "processes' user+system time at their last sample. Latencies are client-side, from the journal "
        f"(`{run_dir.name}/summary.json`); see docs/run.md for the phases. Targets (issues 2 and 3): achieved/target "
        ">= 0.99; tracker <= 1.05 API requests per job; twin < 500 MB."
    )


if __name__ == "__main__":
    main()

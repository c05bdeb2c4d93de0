"""Pacing accuracy: achieved / target submission rate with 50 ms of API latency, open model vs a naive closed loop.

    uv run python bench/pacing.py [--rates 100,1000,10000] [--processes 1,2] [--seconds 60] [--latency-ms 50]
                                  [--out FILE]

For each rate and process count: one `benchkit run` against a fresh twin (`--api-latency-ms 50`), rate
taken from its summary (jobs sent per minute between the first and the last send; achieved_ratio is the
planned span over the actual one). Then the same schedule driven the common way: each of 3 users creates
an app and then sleeps 60 / (rate / 3) seconds (the data-on-eks kit's pacing, with the rate split over the
users so the intended total is the same). Prints a table and appends it to BENCHMARKS.md (or --out).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import REPO, begin, markdown_table, output_args, publish

from benchkit.kube import connect, rest
from benchkit.spark import template
from benchkit.twin.config import TwinOptions
from benchkit.twin.process import TwinProcess

NAMESPACES = ("spark-team-a", "spark-team-b", "spark-team-c")
USERS = 3
MAX_JOBS = 5000
"""Cap per configuration (at 10,000/min that is 30 s of submission)."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="100,1000,10000", help="jobs/min, comma-separated")
    parser.add_argument("--processes", default="1,2", help="process counts to try, comma-separated")
    parser.add_argument("--seconds", type=float, default=60.0, help="submission time per configuration")
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--no-naive", action="store_true", help="skip the closed-loop comparison")
    output_args(parser)
    args = parser.parse_args()
    started = begin(args.out)
    rows = []
    for rate in (float(r) for r in args.rates.split(",")):
        jobs = max(10, min(MAX_JOBS, round(rate * args.seconds / 60)))
        for processes in (int(p) for p in args.processes.split(",")):
            r = open_model(rate, jobs, processes, args.latency_ms)
            rows.append([f"{rate:g}", jobs, f"benchkit, {processes} process{'es' if processes > 1 else ''}",
                         f"{r['achieved']:.0f}", f"{r['ratio']:.4f}", f"{r['lateness_p99']:.3f}",
                         f"{r['create_p50']:.3f} / {r['create_p99']:.3f}", r["cap_hits"]])  # fmt: skip
            print(rows[-1], flush=True)
        if not args.no_naive:
            n = naive(rate, jobs, args.latency_ms)
            rows.append([f"{rate:g}", jobs, f"naive closed loop, {USERS} users", f"{n['achieved']:.0f}",
                         f"{n['ratio']:.4f}", "-", f"{n['create_p50']:.3f} / {n['create_p99']:.3f}", "-"])  # fmt: skip
            print(rows[-1], flush=True)
    header = ["target/min", "jobs", "driver", "achieved/min", "achieved / target", "lateness p99 (s)",
              "create call p50 / p99 (s)", "in-flight cap hits"]  # fmt: skip
    table = markdown_table(header, rows)
    notes = (f"Twin with `--api-latency-ms {args.latency_ms:g}` (added to every request), 200 nodes, fast profile; "
             f"`benchkit run --scenario keep --app-seconds 1 --users {USERS}`. benchkit's create latency is timed from "
             "the due time (so it includes any lateness); the naive loop's from the send. Target: >= 0.99 at 1,000 "
             "and 10,000 jobs/min. On 2 cores the twin, the load generator and the tracker share the "
             "cores.")  # fmt: skip
    publish(f"Pacing: open model vs naive closed loop, {args.latency_ms:g} ms API latency", table, notes, started, args)


def open_model(rate: float, jobs: int, processes: int, latency_ms: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp, _twin(tmp, latency_ms) as twin:
        results = Path(tmp) / "runs"
        cmd = [sys.executable, "-m", "benchkit", "run", "--kubeconfig", str(twin.kubeconfig), "--results-dir",
               str(results), "--total-jobs", str(jobs), "--jobs-per-min", f"{rate:g}", "--app-seconds", "1",
               "--scenario", "keep", "--no-cleanup", "--timeout", "2m", "--processes", str(processes),
               "--users", str(max(USERS, processes)), "--name", "pacing"]  # fmt: skip
        proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise SystemExit(f"benchkit run failed: {proc.stderr[-2000:]}")
        run_dir = next(p for p in results.iterdir() if p.is_dir())
        s = json.loads((run_dir / "summary.json").read_text())
    create = s["latency_s"]["create_call"]
    return {"achieved": s["rate"]["achieved_per_min"], "ratio": s["rate"]["achieved_ratio"],
            "lateness_p99": s["rate"]["lateness_p99_s"], "create_p50": create["p50"], "create_p99": create["p99"],
            "cap_hits": s["api"]["inflight_cap_hits"]}  # fmt: skip


def naive(rate: float, jobs: int, latency_ms: float) -> dict[str, Any]:
    """Each user: create, then sleep 60 / (rate / users); what the data-on-eks kit's users do."""
    with tempfile.TemporaryDirectory() as tmp, _twin(tmp, latency_ms) as twin:
        api = rest.tuned(connect.connect(twin.kubeconfig).api, pool_maxsize=USERS + 2)
        tpl = template.load()
        sends: list[float] = []
        calls: list[float] = []
        pause = 60.0 / (rate / USERS)
        lock = threading.Lock()

        def user(index: int) -> None:
            for seq in range(index, jobs, USERS):
                ns = template.namespace_for(seq, NAMESPACES)
                body = template.render(tpl, run_id="naive", scenario="keep", seq=seq, namespace=ns, app_seconds=1)
                sent = time.monotonic()
                rest.call_retrying(api, "POST", f"/apis/sparkoperator.k8s.io/v1beta2/namespaces/{ns}/sparkapplications",
                                   body=body, timeout=(10, 60))  # fmt: skip
                with lock:
                    sends.append(sent)
                    calls.append(time.monotonic() - sent)
                time.sleep(pause)

        threads = [threading.Thread(target=user, args=(i,)) for i in range(USERS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    sends.sort()
    calls.sort()
    achieved = 60.0 * (len(sends) - 1) / (sends[-1] - sends[0])
    return {"achieved": achieved, "ratio": achieved / rate, "create_p50": calls[len(calls) // 2],
            "create_p99": calls[min(len(calls) - 1, int(0.99 * len(calls)))]}  # fmt: skip


def _twin(tmp: str, latency_ms: float) -> TwinProcess:
    return TwinProcess(TwinOptions(nodes=200, api_latency_ms=latency_ms), workdir=Path(tmp) / "twin")


if __name__ == "__main__":
    main()

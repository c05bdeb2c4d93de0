"""What tracking costs: API requests per tracked job (benchkit's watch tracker vs naive 5 s polling) and memory.

    uv run python bench/tracking_cost.py [--jobs 1000] [--rate 1000] [--app-seconds 30] [--memory-apps 6000]
                                         [--latency-ms 50] [--out FILE]

Both parts run against a twin that adds --latency-ms to every API request (issue 3 states its targets
with 50 ms of API latency).
1. requests: one `benchkit run` (keep scenario) against the twin while a naive poller GETs every created,
   unfinished app every 5 s (the usual hand-written tracker, POLL_THREADS GETs at a time so the latency
   does not stretch its rounds); requests are counted by benchkit and by the twin (`/twin/v1/stats`,
   server side: LIST and WATCH of apps and pods, GET of single apps).
2. memory: a process running only the tracker (kubernetes client, journal, compact state) follows
   --memory-apps long-running apps of 6 pods each as they are created; its peak RSS is reported in MiB.
Prints a table and appends it to BENCHMARKS.md (or --out).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import orjson
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import REPO, begin, markdown_table, output_args, publish

from benchkit.kube import connect, rest
from benchkit.results import journal
from benchkit.spark import states, template
from benchkit.twin.config import TwinOptions
from benchkit.twin.process import TwinProcess

NAMESPACES = ("spark-team-a", "spark-team-b", "spark-team-c")
POLL_EVERY_S = 5.0
POLL_THREADS = 16
MIB = 2**20
TARGET_MB = 150
"""Issue 3: tracker < 150 MB (10^6 bytes) at 36,000 pods."""
TRACKER_KINDS = ("LIST sparkapplications", "LIST pods", "WATCH sparkapplications", "WATCH pods")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=1000.0, help="jobs/min")
    parser.add_argument("--app-seconds", type=float, default=30.0)
    parser.add_argument("--memory-apps", type=int, default=6000)
    parser.add_argument("--latency-ms", type=float, default=50.0, help="API latency the twin adds to every request")
    output_args(parser)
    args = parser.parse_args()
    started = begin(args.out)
    req = requests_per_job(args.jobs, args.rate, args.app_seconds, args.latency_ms)
    mem = tracker_memory(args.memory_apps, "namespace", args.latency_ms)
    mem_cluster = tracker_memory(args.memory_apps, "cluster", args.latency_ms)
    jobs = req["jobs"]
    rows = [
        ["watch tracker (benchkit's count)", jobs, req["watch_requests"], f"{req['watch_requests'] / jobs:.4f}"],
        ["watch tracker (twin's count)", jobs, req["server_watch_requests"],
         f"{req['server_watch_requests'] / jobs:.4f}"],
        [f"naive polling, GET every app every {POLL_EVERY_S:g} s (twin's count)", jobs, req["poll_requests"],
         f"{req['poll_requests'] / jobs:.2f}"],
    ]  # fmt: skip
    table = markdown_table(["tracker", "jobs", "API requests", "requests per job"], rows)
    mem_rows = [_mem_row(m) for m in (mem, mem_cluster)]
    mem_table = markdown_table(["watches", "apps", "pods tracked", "tracker API requests", "RSS before (MiB)",
                                "peak RSS (MiB)", "MiB per 1,000 pods", "seconds to see all"], mem_rows)  # fmt: skip
    rounds = req["poll_rounds"]
    notes = (
        f"Twin with `--api-latency-ms {args.latency_ms:g}` (added to every request) in both parts. Requests: one "
        f"`benchkit run --total-jobs {args.jobs} --jobs-per-min {args.rate:g} --app-seconds {args.app_seconds:g} "
        "--scenario keep` on the twin (20 nodes), 3 namespaces, one list+watch per namespace for apps and one for "
        f"pods (6 watches). The naive poller made {len(rounds)} rounds, {POLL_THREADS} GETs at a time; the longest "
        f"took {max(rounds, default=0):.1f} s. Targets: <= 1.05 API requests per job; tracker < {TARGET_MB} MB "
        f"({TARGET_MB * 1e6 / MIB:.1f} MiB) at 36,000 pods. The memory rows are a process running only the tracker "
        f"(Python, the kubernetes client and the tracker's state); RSS in MiB (2^20 bytes).\n\n{mem_table}"
    )
    publish("Tracking cost: watch tracker vs naive polling", table, notes, started, args)


def requests_per_job(jobs: int, rate: float, app_seconds: float, latency_ms: float) -> dict[str, Any]:
    options = TwinOptions(nodes=20, api_latency_ms=latency_ms)
    with tempfile.TemporaryDirectory() as tmp, TwinProcess(options, workdir=Path(tmp) / "twin") as twin:
        results = Path(tmp) / "runs"
        before = twin.admin("GET", "stats")["requests"]
        cmd = [sys.executable, "-m", "benchkit", "run", "--kubeconfig", str(twin.kubeconfig), "--results-dir",
               str(results), "--total-jobs", str(jobs), "--jobs-per-min", str(rate), "--app-seconds", str(app_seconds),
               "--scenario", "keep", "--no-cleanup", "--timeout", "10m", "--name", "cost"]  # fmt: skip
        run = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        poller = NaivePoller(connect.connect(twin.kubeconfig).api, results)
        thread = threading.Thread(target=poller.run, args=(run,), daemon=True)
        thread.start()
        _, err = run.communicate()
        if run.returncode != 0:
            raise SystemExit(f"benchkit run failed: {err[-2000:]}")
        thread.join()
        after = twin.admin("GET", "stats")["requests"]
        run_dir = next(p for p in results.iterdir() if p.is_dir())
        summary = json.loads((run_dir / "summary.json").read_text())
    delta = {k: after.get(k, 0) - before.get(k, 0) for k in set(after) | set(before)}
    watch_requests = int(summary["tracking"]["api_requests"])
    return {
        "jobs": summary["jobs"]["created"],
        "watch_requests": watch_requests,
        "watch_per_job": watch_requests / summary["jobs"]["created"],
        "server_watch_requests": sum(delta.get(k, 0) for k in TRACKER_KINDS),
        "poll_requests": delta.get("GET sparkapplications", 0),
        "poller_gets": poller.requests,
        "poll_rounds": poller.rounds,
    }


class NaivePoller:
    """The usual hand-written tracker: every 5 s, GET each app that was created and is not finished."""

    def __init__(self, api: Any, results: Path) -> None:
        self.api, self.results = rest.tuned(api, pool_maxsize=POLL_THREADS), results
        self.requests = 0
        self.rounds: list[float] = []
        """Seconds each round of GETs took."""
        self.pending: set[tuple[str, str]] = set()
        self.done: set[tuple[str, str]] = set()
        self._offset = 0

    def run(self, run: subprocess.Popen[str]) -> None:
        with ThreadPoolExecutor(POLL_THREADS) as pool:
            while True:
                started = time.monotonic()
                self._discover()
                keys = sorted(self.pending)
                self.requests += len(keys)
                for key, terminal in zip(keys, pool.map(self._is_terminal, keys), strict=True):
                    if terminal:
                        self.pending.discard(key)
                        self.done.add(key)
                self.rounds.append(time.monotonic() - started)
                if run.poll() is not None and not self.pending:
                    self._discover()
                    if not self.pending:
                        return
                time.sleep(max(0.0, POLL_EVERY_S - (time.monotonic() - started)))

    def _is_terminal(self, key: tuple[str, str]) -> bool:
        ns, name = key
        try:
            app = rest.call(self.api, "GET", f"/apis/sparkoperator.k8s.io/v1beta2/namespaces/{ns}/"
                                             f"sparkapplications/{name}", timeout=(5, 30))  # fmt: skip
        except Exception:  # a naive poller just tries again next round
            return False
        return states.is_terminal(states.state_of(app))

    def _discover(self) -> None:
        dirs = [p for p in self.results.iterdir() if p.is_dir()] if self.results.exists() else []
        if not dirs or not (dirs[0] / journal.EVENTS_FILE).exists():
            return
        with (dirs[0] / journal.EVENTS_FILE).open("rb") as fh:
            fh.seek(self._offset)
            for line in fh:
                if not line.endswith(b"\n"):
                    break
                self._offset += len(line)
                if b'"ev":"submit"' in line:
                    ev = orjson.loads(line)
                    key = (ev["ns"], ev["app"])
                    if ev.get("ok") and key not in self.done:
                        self.pending.add(key)


def _mem_row(m: dict[str, Any]) -> list[Any]:
    baseline, peak = m["baseline_bytes"] / MIB, m["peak_bytes"] / MIB
    per_1000 = (peak - baseline) / m["pods"] * 1000
    scope = "one per namespace (6)" if m["scope"] == "namespace" else "cluster-wide (2)"
    return [scope, m["apps"], m["pods"], m["requests"], f"{baseline:.1f}", f"{peak:.1f}", f"{per_1000:.2f}",
            f"{m['seconds']:.0f}"]  # fmt: skip


def tracker_memory(apps: int, scope: str, latency_ms: float) -> dict[str, Any]:
    """Peak RSS of a tracker-only process following `apps` apps x 6 pods."""
    run_id = f"mem-{int(time.time())}"
    options = TwinOptions(nodes=max(50, apps // 24), api_latency_ms=latency_ms)
    with tempfile.TemporaryDirectory() as tmp, TwinProcess(options, workdir=Path(tmp) / "twin") as twin:
        out = Path(tmp) / "tracker.json"
        tracker = subprocess.Popen([sys.executable, __file__, "_track", str(twin.kubeconfig), run_id, str(apps * 6),
                                    str(out), tmp, scope], cwd=REPO)  # fmt: skip
        while not out.with_suffix(".ready").exists():
            time.sleep(0.1)
        api = rest.tuned(connect.connect(twin.kubeconfig).api, pool_maxsize=16)
        tpl = template.load()

        def create(seq: int) -> None:
            ns = template.namespace_for(seq, NAMESPACES)
            body = template.render(tpl, run_id=run_id, scenario="keep", seq=seq, namespace=ns, app_seconds=3600)
            rest.call_retrying(api, "POST", f"/apis/sparkoperator.k8s.io/v1beta2/namespaces/{ns}/sparkapplications",
                               body=body, timeout=(10, 60))  # fmt: skip

        with ThreadPoolExecutor(16) as pool:
            list(pool.map(create, range(apps)))
        tracker.wait(timeout=1800)
        return {"apps": apps, "scope": scope, **json.loads(out.read_text())}


def _track(argv: list[str]) -> None:
    """The tracker-only process (a subcommand of this script): KUBECONFIG RUN_ID PODS OUT TMP SCOPE."""
    kubeconfig, run_id, pods_text, out, tmp, scope = argv
    pods = int(pods_text)
    from benchkit.tracker.tracker import Tracker

    me = psutil.Process()
    target = connect.connect(Path(kubeconfig))
    tracker = Tracker(target.api, run_id=run_id, namespaces=NAMESPACES, scenario="keep",
                      journal_=journal.Journal(Path(tmp), src="tracker"), scope=scope)  # fmt: skip
    baseline = me.memory_info().rss
    tracker.start()
    Path(out).with_suffix(".ready").touch()
    started, peak = time.monotonic(), baseline
    while tracker.counts().pods < pods and time.monotonic() - started < 1500:
        peak = max(peak, me.memory_info().rss)
        time.sleep(0.5)
    seconds = time.monotonic() - started
    for _ in range(10):  # a few more samples once everything is held
        peak = max(peak, me.memory_info().rss)
        time.sleep(0.2)
    requests = tracker.stop()["api_requests"]
    Path(out).write_text(json.dumps({"pods": tracker.counts().pods, "baseline_bytes": baseline, "peak_bytes": peak,
                                     "seconds": seconds, "requests": requests}))  # fmt: skip


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_track":
        _track(sys.argv[2:8])
    else:
        main()

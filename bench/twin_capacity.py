"""How many SparkApplication creates per minute the twin sustains on one core, at 6,000 apps / 36,000 pods.

    uv run python bench/twin_capacity.py [--apps 6000] [--executors 5] [--rate 12000] [--seconds 60] [--out FILE]

1. fill:  create --apps long-running apps (driver + --executors executors each) as fast as possible,
          then wait until the model has every pod Running (the size the target is stated at);
2. paced: while holding that, create short apps (TTL 1 s, so the model deletes them) at --rate per
          minute for --seconds; report the achieved rate, create latency and NEW -> RUNNING lag;
3. max:   the same unpaced (--max-rate-guess x --max-seconds creates): the ceiling.
Throughout, a separate process watches apps and pods cluster-wide with a label selector (as
benchkit's tracker does). The twin is pinned to core 0 (taskset), this process and the watcher to
the other cores. Prints a table and appends it to BENCHMARKS.md (or --out).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import ssl
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import aiohttp
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import begin, markdown_table, output_args, publish

from benchkit.twin.process import TwinProcess

NAMESPACES = ("spark-team-a", "spark-team-b", "spark-team-c")
TOLERATION = {"key": "spark-operator-benchmark-ng", "operator": "Exists", "effect": "NoSchedule"}
PATH = "/apis/sparkoperator.k8s.io/v1beta2/namespaces/{ns}/sparkapplications"


def app_body(name: str, run: str, seconds: float, executors: int, ttl: int | None) -> bytes:
    role = {"coreRequest": "50m", "cores": 1, "memory": "32m", "memoryOverhead": "32m", "tolerations": [TOLERATION]}
    spec: dict[str, Any] = {
        "type": "Scala", "mode": "cluster", "image": "spark:3.5.3", "sparkVersion": "3.5.3",
        "mainClass": "org.apache.spark.examples.SparkPi",
        "mainApplicationFile": "local:///opt/spark/examples/jars/spark-examples.jar",
        "arguments": ["1", str(seconds)], "restartPolicy": {"type": "Never"},
        "driver": {**role, "serviceAccount": "spark"}, "executor": {**role, "instances": executors},
    }  # fmt: skip
    if ttl is not None:
        spec["timeToLiveSeconds"] = ttl
    meta = {"name": name, "labels": {"benchkit.io/run-id": run, "app.kubernetes.io/managed-by": "benchkit"}}
    return json.dumps({"apiVersion": "sparkoperator.k8s.io/v1beta2", "kind": "SparkApplication", "metadata": meta,
                       "spec": spec}).encode()  # fmt: skip


class Creator:
    """Creates apps over keep-alive HTTPS connections with a fixed concurrency; records ack latencies."""

    def __init__(self, twin: TwinProcess, concurrency: int) -> None:
        self.twin = twin
        self.concurrency = concurrency
        self.headers = {"Authorization": f"Bearer {twin.token}", "Content-Type": "application/json"}
        self.ssl = ssl.create_default_context(cafile=str(twin.ca_file))

    async def run(self, run: str, count: int, rate: float | None, prefix: str = "", **app: Any) -> dict[str, Any]:
        latencies: list[float] = []
        errors: dict[int, int] = {}
        queue: asyncio.Queue[int] = asyncio.Queue()
        for i in range(count):
            queue.put_nowait(i)
        start = time.monotonic()
        connector = aiohttp.TCPConnector(limit=self.concurrency, ssl=self.ssl)
        async with aiohttp.ClientSession(self.twin.url, connector=connector, headers=self.headers) as session:

            async def worker() -> None:
                while not queue.empty():
                    i = queue.get_nowait()
                    if rate:
                        await asyncio.sleep(max(0.0, start + i * 60.0 / rate - time.monotonic()))
                    body = app_body(f"{prefix or run}-{i:05d}", run, **app)
                    sent = time.monotonic()
                    async with session.post(PATH.format(ns=NAMESPACES[i % 3]), data=body) as resp:
                        await resp.read()
                        if resp.status == 201:
                            latencies.append(time.monotonic() - sent)
                        else:
                            errors[resp.status] = errors.get(resp.status, 0) + 1

            await asyncio.gather(*(worker() for _ in range(self.concurrency)))
        elapsed = time.monotonic() - start
        return {"count": len(latencies), "seconds": elapsed, "per_min": len(latencies) / elapsed * 60,
                "p50_ms": _pct(latencies, 50) * 1000, "p99_ms": _pct(latencies, 99) * 1000,
                "errors": errors}  # fmt: skip


def _pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))]


class Sampler(threading.Thread):
    """Peak RSS and CPU seconds of the twin process."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.proc = psutil.Process(pid)
        self.peak = 0
        self.running = True

    def cpu(self) -> float:
        t = self.proc.cpu_times()
        return float(t.user + t.system)

    def rss(self) -> int:
        return int(self.proc.memory_info().rss)

    def run(self) -> None:
        while self.running:
            self.peak = max(self.peak, self.rss())
            time.sleep(0.5)


def wait_for(twin: TwinProcess, run: str, apps: int, pods: int, timeout: float) -> float:
    """Seconds until `apps` apps of `run` reached RUNNING and the twin stores >= `pods` pods."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        running = sum(1 for t in twin.admin("GET", f"history?labelSelector=benchkit.io/run-id%3D{run}")["items"]
                      if t["state"] == "RUNNING")  # fmt: skip
        objects = twin.admin("GET", "stats")["objects"]
        spark_pods = objects["pods"] - objects.get("daemonsets", 0) * objects["nodes"]  # not the DaemonSets' pods
        if running >= apps and spark_pods >= pods:
            return time.monotonic() - start
        time.sleep(1.0)
    raise SystemExit(f"the model did not catch up within {timeout:g} s")


def run_lag(twin: TwinProcess, run: str) -> tuple[float, float]:
    """p50 / p99 of NEW -> RUNNING (server-side transition times) for the apps of `run`."""
    first: dict[str, dict[str, float]] = {}
    for t in twin.admin("GET", f"history?labelSelector=benchkit.io/run-id%3D{run}")["items"]:
        first.setdefault(f"{t['namespace']}/{t['name']}", {}).setdefault(t["state"], t["time"])
    lags = [s["RUNNING"] - s["NEW"] for s in first.values() if "RUNNING" in s and "NEW" in s]
    return _pct(lags, 50), _pct(lags, 99)


def watcher_main(kubeconfig: str, selector: str) -> None:
    """Watch apps and pods cluster-wide with a label selector, as a lean tracker would: the kubernetes
    client makes the requests, lines are parsed with orjson, the watch resumes from the last
    resourceVersion when a stream ends and relists after a 410. Prints counts when terminated."""
    import orjson
    from kubernetes import client

    from benchkit.kube.connect import connect

    api = connect(Path(kubeconfig)).api
    custom, core = client.CustomObjectsApi(api), client.CoreV1Api(api)
    listers = {
        "apps": lambda **kw: custom.list_cluster_custom_object("sparkoperator.k8s.io", "v1beta2", "sparkapplications",
                                                              label_selector=selector, **kw),
        "pods": lambda **kw: core.list_pod_for_all_namespaces(label_selector=selector, **kw),
    }  # fmt: skip
    counts: dict[str, int] = {"apps": 0, "pods": 0, "reconnects": 0, "relists": 0}

    def follow(kind: str) -> None:
        rv = ""
        while True:
            if not rv:
                counts["relists"] += 1
                resp = listers[kind](_preload_content=False)
                rv = orjson.loads(resp.data)["metadata"]["resourceVersion"]
            try:
                resp = listers[kind](
                    watch=True, resource_version=rv, allow_watch_bookmarks=True, _preload_content=False
                )
                tail = b""
                for chunk in resp.stream(256 * 1024):
                    *lines, tail = (tail + chunk).split(b"\n")
                    for line in lines:
                        event = orjson.loads(line)
                        if event["type"] == "ERROR":
                            rv = ""
                            break
                        rv = event["object"]["metadata"]["resourceVersion"]
                        counts[kind] += event["type"] != "BOOKMARK"
            except Exception:  # a dropped stream: resume from the last version
                pass
            counts["reconnects"] += 1

    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    for kind in listers:
        threading.Thread(target=follow, args=(kind,), daemon=True).start()
    signal.sigwait({signal.SIGTERM})
    print(json.dumps(counts), flush=True)


def main() -> None:  # noqa: PLR0915 - a linear script
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--apps", type=int, default=6000)
    parser.add_argument("--executors", type=int, default=5)
    parser.add_argument("--rate", type=float, default=12000.0, help="paced phase, creates per minute")
    parser.add_argument("--seconds", type=float, default=60.0, help="paced phase length")
    parser.add_argument("--max-seconds", type=float, default=20.0, help="unpaced phase: about this long")
    parser.add_argument(
        "--max-rate-guess", type=float, default=15000.0, help="unpaced phase: creates = this per minute x --max-seconds"
    )
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--note", default="", help="appended to the section's title, e.g. 'busy machine'")
    output_args(parser)
    parser.add_argument("--py-spy", type=Path, help="record the twin with py-spy (collapsed stacks) into this file")
    parser.add_argument("--watcher", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.watcher:
        watcher_main(*args.watcher)
        return
    started = begin(args.out)
    cores = os.sched_getaffinity(0)
    pin = "0" if len(cores) > 1 and 0 in cores else None
    if pin:
        os.sched_setaffinity(0, cores - {0})
    pods_per_app = 1 + args.executors
    selector = "app.kubernetes.io/managed-by=benchkit"
    rows: list[tuple[str, ...]] = []
    with TwinProcess(cpus=pin, nodes=200, max_pods=220, operator_workers=64, operator_cpus=64.0,
                     namespaces=("default", *NAMESPACES)) as twin:  # fmt: skip
        sampler = Sampler(twin.proc.pid if twin.proc else 0)
        sampler.start()
        watcher = subprocess.Popen([sys.executable, __file__, "--watcher", str(twin.kubeconfig), selector],
                                   stdout=subprocess.PIPE, text=True)  # fmt: skip
        time.sleep(2.0)
        creator = Creator(twin, args.concurrency)
        spy = None
        if args.py_spy:
            spy = subprocess.Popen(["uvx", "py-spy", "record", "-p", str(sampler.proc.pid), "-o", str(args.py_spy),
                                    "--format", "raw", "-r", "50"], stdout=subprocess.DEVNULL)  # fmt: skip

        cpu0 = sampler.cpu()
        fill = asyncio.run(creator.run("fill", args.apps, None, seconds=3600, executors=args.executors, ttl=None))
        catch_up = wait_for(twin, "fill", args.apps, args.apps * pods_per_app, timeout=600)
        fill_cpu = sampler.cpu() - cpu0
        rss_full = sampler.rss()
        stats = twin.admin("GET", "stats")
        rows.append(("fill (unpaced)", f"{fill['count']}", f"{fill['seconds']:.1f}", f"{fill['per_min']:,.0f}",
                     f"{fill['p50_ms']:.1f} / {fill['p99_ms']:.1f}", f"{catch_up:.1f} s to all Running",
                     f"{fill_cpu / max(1, fill['count']) * 1000:.2f}", f"{rss_full / 2**20:.0f}"))  # fmt: skip
        print(f"filled: {stats['objects']}, RSS {rss_full / 2**20:.0f} MiB", flush=True)

        for label, rate, seconds in (("paced", args.rate, args.seconds), ("max (unpaced)", None, args.max_seconds)):
            run = "paced" if rate else "max"
            count = int((rate or args.max_rate_guess) * seconds / 60)
            cpu0 = sampler.cpu()
            res = asyncio.run(creator.run(run, count, rate, seconds=1, executors=args.executors, ttl=1))
            cpu = sampler.cpu() - cpu0
            time.sleep(5.0)
            p50, p99 = run_lag(twin, run)
            rows.append((label, f"{res['count']}", f"{res['seconds']:.1f}", f"{res['per_min']:,.0f}",
                         f"{res['p50_ms']:.1f} / {res['p99_ms']:.1f}", f"NEW->RUNNING p50 {p50:.2f} s, p99 {p99:.2f} s",
                         f"{cpu / max(1, res['count']) * 1000:.2f}", f"{sampler.peak / 2**20:.0f}"))  # fmt: skip
            if res["errors"]:
                print(f"{label}: errors {res['errors']}", flush=True)
        sampler.running = False
        if spy is not None:
            spy.send_signal(signal.SIGINT)
            spy.wait(60)
        final = twin.admin("GET", "stats")
        watcher.send_signal(signal.SIGTERM)
        seen = json.loads(watcher.communicate(timeout=30)[0] or "{}")
    header = ["phase", "creates", "s", "creates/min", "ack p50 / p99 ms", "model keeps up", "twin CPU ms/create",
              "twin RSS MiB"]  # fmt: skip
    table = markdown_table(header, [list(r) for r in rows])
    notes = notes_for(args, final, seen, pin)
    note = f" ({args.note})" if args.note else ""
    title = f"Twin capacity: creates/min on one core at {args.apps:,} apps / {args.apps * pods_per_app:,} pods{note}"
    publish(title, table, notes, started, args)


def notes_for(args: argparse.Namespace, final: dict[str, Any], seen: dict[str, int], pin: str | None) -> str:
    return (
        f"Twin pinned to core {pin if pin else '(not pinned: one core only)'}; load generator and watcher on the "
        f"others. Held: {args.apps} apps x {1 + args.executors} pods; watches: apps + pods cluster-wide by label "
        f"selector (events received: apps {seen.get('apps', '?')}, pods {seen.get('pods', '?')}; re-watches "
        f"{seen.get('reconnects', '?')}, lists {seen.get('relists', '?')}). Twin at the end: {final['objects']}. "
        "RSS in MiB (2^20 bytes). Targets: >= 12,000 creates/min; twin < 500 MB (476.8 MiB)."
    )


if __name__ == "__main__":
    main()

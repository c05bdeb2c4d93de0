"""What one scrape of the twin's `/metrics` costs in twin CPU at --nodes 200 (the stack scrapes it every second).

    uv run python bench/scrape_cost.py [--nodes 200] [--scrapes 10] [--renders 10] [--before COMMIT] [--out FILE]

1. in process: a store seeded as the twin seeds it (--nodes bench nodes, the DaemonSet pods on them) and
   `metrics.render` of the twin's registry, --renders times: with the prerendered families (the twin's path)
   and with every family through prometheus_client's generate_latest (the path before them, and the
   reference the fast one is tested against); CPU seconds per render from `time.process_time`;
2. over HTTPS: a `benchkit twin --nodes N` child process; its CPU (user + system, psutil) over --scrapes
   seconds without scrapes, then over --scrapes GET /metrics one second apart; CPU per scrape is the
   difference over the scrapes (TLS and aiohttp included). --before COMMIT first measures, the same way, a
   twin run from that commit's tree (`git archive` unpacked in a temporary directory).
Prints a table and appends it to BENCHMARKS.md (or --out).
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import REPO, begin, markdown_table, output_args, publish

from benchkit.twin import metrics
from benchkit.twin.config import TwinOptions
from benchkit.twin.driver import Driver
from benchkit.twin.model import build_model
from benchkit.twin.process import TwinProcess
from benchkit.twin.resources import PODS
from benchkit.twin.restore import seed_cluster
from benchkit.twin.store import Store


def in_process(nodes: int, renders: int) -> tuple[list[list[object]], str]:
    opts = TwinOptions()
    store = Store(opts.watch_history)
    model = build_model(opts.profile, nodes=nodes, max_pods=opts.max_pods)
    seed_cluster(store, Driver(model, store), opts.namespaces, time.time())
    rows: list[list[object]] = []
    pages = {}
    for prerendered in (False, True):
        collector = metrics.TwinCollector(metrics.RequestStats(), store, lambda: model.metrics(time.time()),
                                          prerendered=prerendered)  # fmt: skip
        reg = metrics.registry(collector)
        pages[prerendered] = metrics.render(reg)  # the first render fills the caches
        start = time.process_time()
        for _ in range(renders):
            metrics.render(reg)
        per = (time.process_time() - start) / renders
        path = "prerendered families (the twin's)" if prerendered else "generate_latest for every family (before)"
        rows.append([f"in process, {path}", renders, f"{per:.3f}"])
    lines = sum(1 for line in pages[True].splitlines() if not line.startswith(b"#"))
    about = f"{store.count(PODS)} pods, a {len(pages[True]) / 1e6:.2f} MB page of {lines:,} samples"
    return rows, about


def twin_cpu(pid: int) -> float:
    t = psutil.Process(pid).cpu_times()
    return t.user + t.system


@contextmanager
def twin_source(commit: str | None) -> Iterator[str]:
    """Run twins started in the block from `commit`'s tree (unpacked from `git archive`); None: this checkout."""
    if commit is None:
        yield "this checkout"
        return
    here, path = Path.cwd(), os.environ.get("PYTHONPATH")
    archive = subprocess.run(["git", "archive", commit], cwd=REPO, capture_output=True, check=True).stdout
    with tempfile.TemporaryDirectory(prefix="scrape-cost-") as tree:
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(tree, filter="data")
        # `python -m` puts the working directory first on the child's path, then PYTHONPATH
        os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [tree, path]))
        os.chdir(tree)
        try:
            yield f"commit {commit}"
        finally:
            os.chdir(here)
            if path is None:
                os.environ.pop("PYTHONPATH", None)
            else:
                os.environ["PYTHONPATH"] = path


def over_https(nodes: int, scrapes: int, commit: str | None) -> list[object]:
    with twin_source(commit) as where, TwinProcess(nodes=nodes, start_timeout=120) as twin:
        assert twin.proc is not None
        pid = twin.proc.pid
        for _ in range(3):  # warm up: first renders, caches, TLS session
            assert twin.request("GET", "/metrics")[0] == 200
        time.sleep(2.0)
        idle_start, t0 = twin_cpu(pid), time.monotonic()
        time.sleep(float(scrapes))
        idle = (twin_cpu(pid) - idle_start) / (time.monotonic() - t0)
        busy_start, t0 = twin_cpu(pid), time.monotonic()
        for i in range(scrapes):
            assert twin.request("GET", "/metrics")[0] == 200
            time.sleep(max(0.0, t0 + i + 1 - time.monotonic()))
        elapsed = time.monotonic() - t0
        per = (twin_cpu(pid) - busy_start - idle * elapsed) / scrapes
    return [f"over HTTPS, twin from {where} (its idle {idle:.3f} CPU s/s subtracted)", scrapes, f"{per:.3f}"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=200)
    parser.add_argument("--scrapes", type=int, default=10, help="GET /metrics over HTTPS, one a second")
    parser.add_argument("--renders", type=int, default=10, help="in-process renders of each path")
    parser.add_argument("--before", metavar="COMMIT", help="also measure over HTTPS a twin run from this commit")
    output_args(parser)
    args = parser.parse_args()
    args.out = args.out.resolve()
    started = begin(args.out)
    rows, about = in_process(args.nodes, args.renders)
    for commit in (args.before, None) if args.before else (None,):
        rows.append(over_https(args.nodes, args.scrapes, commit))
    for row in rows:
        print(row, flush=True)
    table = markdown_table(["what", "scrapes", "twin CPU s per scrape"], rows)
    notes = (
        f"{args.nodes} bench nodes, idle twin (fast profile defaults): {about}. The stack scrapes the twin every "
        "second, so CPU s per scrape is also the share of a core /metrics takes. In process: the twin's registry "
        "(TwinCollector and the twin's own ProcessCollector), `time.process_time` over the renders after a first "
        "one. Over HTTPS: `benchkit twin` as a child, not pinned; its CPU over the scrapes less its idle rate."
    )
    publish(f"Scrape cost: twin CPU per /metrics scrape at {args.nodes} nodes", table, notes, started, args)


if __name__ == "__main__":
    main()

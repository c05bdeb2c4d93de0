"""What one scrape of the twin's `/metrics` costs in twin CPU at --nodes 200 (the stack scrapes it every second).

    uv run python bench/scrape_cost.py [--nodes 200] [--scrapes 10] [--renders 10] [--pods 36000] [--changed 2000]
        [--before COMMIT] [--out FILE]

1. in process: a store seeded as the twin seeds it (--nodes bench nodes, the DaemonSet pods on them) and
   `metrics.render` of the twin's registry, --renders times: with the prerendered families (the twin's path)
   and with every family through prometheus_client's generate_latest (the path before them, and the
   reference the fast one is tested against); CPU seconds per render from `time.process_time`. Then the
   same under churn (--churn-renders times): --pods more pods, --changed of them changing phase before each
   render (the changes are not timed);
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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import REPO, begin, markdown_table, output_args, publish

from benchkit.twin import metrics
from benchkit.twin.config import TwinOptions
from benchkit.twin.driver import Driver
from benchkit.twin.model import build_model
from benchkit.twin.model.interface import TwinModel
from benchkit.twin.process import TwinProcess
from benchkit.twin.resources import NODES, PODS
from benchkit.twin.restore import seed_cluster
from benchkit.twin.store import Store


def seeded(nodes: int) -> tuple[Store, TwinModel]:
    """A store as the twin seeds it at `nodes` bench nodes (nodes, namespaces, DaemonSet pods) and its model."""
    opts = TwinOptions()
    store = Store(opts.watch_history)
    model = build_model(opts.profile, nodes=nodes, max_pods=opts.max_pods)
    seed_cluster(store, Driver(model, store), opts.namespaces, time.time())
    return store, model


def render_cost(
    store: Store, model: TwinModel, renders: int, between: Callable[[int], None]
) -> tuple[list[list[object]], bytes]:
    """CPU s per `metrics.render` of the twin's registry, generate_latest for everything and then prerendered,
    and the last page; `between(i)` changes the store before render i (untimed); a first render before
    fills the caches."""
    rows: list[list[object]] = []
    page = b""
    for prerendered in (False, True):
        collector = metrics.TwinCollector(metrics.RequestStats(), store, lambda: model.metrics(time.time()),
                                          prerendered=prerendered)  # fmt: skip
        reg = metrics.registry(collector)
        metrics.render(reg)
        spent = 0.0
        for i in range(renders):
            between(i)
            start = time.process_time()
            page = metrics.render(reg)
            spent += time.process_time() - start
        path = "prerendered families (the twin's)" if prerendered else "generate_latest for every family (before)"
        rows.append([path, renders, f"{spent / renders:.3f}"])
    return rows, page


def idle(nodes: int, renders: int) -> tuple[list[list[object]], str]:
    store, model = seeded(nodes)
    costs, page = render_cost(store, model, renders, lambda i: None)
    rows = [[f"in process, {path}", n, cpu] for path, n, cpu in costs]
    lines = sum(1 for line in page.splitlines() if not line.startswith(b"#"))
    return rows, f"{store.count(PODS)} pods, a {len(page) / 1e6:.2f} MB page of {lines:,} samples"


def churn(nodes: int, pods: int, changed: int, renders: int) -> list[list[object]]:
    """`pods` more Running pods on the nodes; before each render `changed` of them move Running <-> Succeeded."""
    store, model = seeded(nodes)
    names = [rec.name for rec in store.records(NODES)]
    spaces = TwinOptions().namespaces[1:]
    for i in range(pods):
        container = {"name": "spark", "resources": {"requests": {"cpu": "50m"}}}
        store.create(PODS, {"metadata": {"name": f"pod-{i}", "namespace": spaces[i % len(spaces)]},
                            "spec": {"nodeName": names[i % len(names)], "containers": [container]},
                            "status": {"phase": "Running"}})  # fmt: skip
    keys = [(rec.ns, rec.name) for rec in store.records(PODS) if rec.name.startswith("pod-")]

    def flip(i: int) -> None:
        for ns, name in keys[i * changed % len(keys) :][:changed]:
            rec = store.get(PODS, ns, name)
            assert rec is not None
            phase = "Succeeded" if (rec.fields or {}).get("status.phase") == "Running" else "Running"
            store.update(PODS, ns, name, {"phase": phase})

    what = f"in process, {store.count(PODS):,} pods, {changed:,} changing phase before each scrape"
    return [[f"{what}, {path}", n, cpu] for path, n, cpu in render_cost(store, model, renders, flip)[0]]


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
    parser.add_argument(
        "--pods", type=int, default=36_000, help="in process, under churn: this many more pods (0: skip)"
    )
    parser.add_argument("--changed", type=int, default=2_000, help="pods changing phase before each churn scrape")
    parser.add_argument("--churn-renders", type=int, default=3, help="in-process renders of each path under churn")
    parser.add_argument("--before", metavar="COMMIT", help="also measure over HTTPS a twin run from this commit")
    output_args(parser)
    args = parser.parse_args()
    args.out = args.out.resolve()
    started = begin(args.out)
    rows, about = idle(args.nodes, args.renders)
    if args.pods:
        rows += churn(args.nodes, args.pods, args.changed, args.churn_renders)
    for commit in (args.before, None) if args.before else (None,):
        rows.append(over_https(args.nodes, args.scrapes, commit))
    for row in rows:
        print(row, flush=True)
    table = markdown_table(["what", "scrapes", "twin CPU s per scrape"], rows)
    notes = (
        f"{args.nodes} bench nodes, idle twin (fast profile defaults): {about}. Under churn: --pods more Running "
        "pods (50m CPU each) spread over the nodes, and before each timed render --changed of them (the next ones "
        "in key order) switch between Running and Succeeded. The stack scrapes the twin every "
        "second, so CPU s per scrape is also the share of a core /metrics takes. In process: the twin's registry "
        "(TwinCollector and the twin's own ProcessCollector), `time.process_time` over the renders after a first "
        "one. Over HTTPS: `benchkit twin` as a child, not pinned; its CPU over the scrapes less its idle rate."
    )
    publish(f"Scrape cost: twin CPU per /metrics scrape at {args.nodes} nodes", table, notes, started, args)


if __name__ == "__main__":
    main()

"""`benchkit compare` of a webhook-off run (base) and a webhook-on run (candidate) shows the start-latency
difference and names the webhook in the environment diff.

The two runs are the twin's paper model at a loaded rate on a virtual clock (an hour of real time otherwise),
written as run folders following the journal contract (one event per lifecycle step, as the tracker journals
them); summary.json is derived from the journal by `results.summary`, and the manifest's `embedded_twin` comes
from `orchestrate.target.twin_settings`, as `benchkit run` writes it.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from benchkit.orchestrate.target import twin_settings
from benchkit.report import compare_output, runfolder
from benchkit.report.compare import compare
from benchkit.results import summary
from benchkit.results.journal import Journal
from benchkit.settings import run as run_settings
from benchkit.twin.config import TwinOptions
from benchkit.twin.model.model import Model
from benchkit.twin.model.profiles import PAPER
from benchkit.twin.model.simulate import AppTimeline, simulate
from tests.twin_model.helpers import make_app
from tests.twin_model.test_webhook_calibration import pod_templated

pytestmark = pytest.mark.slow  # two 900-app paper simulations and their compare: ~30 s on the shared machine
APPS, PER_MIN = 900, 1000.0
T0_MONO, T0_WALL = 1000.0, 1_790_000_000.0


def _simulated(webhook: bool) -> list[AppTimeline]:
    # The paper operator as it is, its work queue's rate limiter on (chart 2.1.0: 50/s, burst 500). Measured by
    # bench/webhook_start.py: create_to_running p50 404.1 s on vs 384.2 s off (the limiter off: 406.1 vs 382.6).
    model = Model(PAPER, nodes=200, max_pods=220, seed=2, webhook=webhook)
    arrivals = []
    for i in range(APPS):
        app = make_app(f"app-{i}", "spark-team-a", seconds=3600, ttl=60)
        arrivals.append((i * 60.0 / PER_MIN, app if webhook else pod_templated(app)))
    result = simulate(arrivals, model, until=APPS / 100 * 60 * 1.5)
    assert all(a.running is not None for a in result.apps)
    return result.apps


def _write_run(run_dir: Path, apps: list[AppTimeline], webhook: str) -> Path:
    run_dir.mkdir(parents=True)
    j = Journal(run_dir, "orchestrator")

    def emit(ev: str, t: float, **fields: object) -> None:
        j.emit(ev, mono=T0_MONO + t, wall=T0_WALL + t, **fields)

    emit("run_start", 0.0, run_id=run_dir.name, scenario="delete", planned=len(apps), target_per_min=PER_MIN,
         namespaces=["spark-team-a"], t0_mono=T0_MONO, t0_wall=T0_WALL)  # fmt: skip
    for k, a in enumerate(apps):
        assert a.submitted is not None and a.driver_running is not None and a.running is not None
        due, ack = T0_MONO + a.created, T0_MONO + a.created + 0.01
        emit("submit", a.created + 0.01, app=a.name, ns=a.namespace, seq=k, due_mono=due, sent_mono=due,
             ack_mono=ack, ok=True, http_status=201, attempts=1, error=None, uid=f"u{k}", creation_ts=None)  # fmt: skip
        emit("app", a.created + 0.02, app=a.name, ns=a.namespace, state="NEW", rv="1", observed="watch", server={})
        emit("app", a.submitted, app=a.name, ns=a.namespace, state="SUBMITTED", rv="2", observed="watch", server={})
        emit("pod", a.driver_running, app=a.name, ns=a.namespace, pod=f"{a.name}-driver", role="driver",
             phase="Running", node="n1", rv="3", observed="watch", server={})  # fmt: skip
        emit("app", a.running, app=a.name, ns=a.namespace, state="RUNNING", rv="4", observed="watch", server={})
    emit("run_end", max(a.running or 0.0 for a in apps) + 1, reason="timeout", detail="")
    j.close()
    summary.write(run_dir)
    template = "with-webhook" if webhook == "on" else "without-webhook"
    settings = run_settings.build({"jobs_per_min": PER_MIN, "total_jobs": len(apps), "webhook": webhook,
                                   "twin_profile": "paper", "spark_template": template})  # fmt: skip
    ctx = SimpleNamespace(twin=SimpleNamespace(options=TwinOptions(profile="paper", webhook=webhook)))
    twin = twin_settings(ctx)  # type: ignore[arg-type]  # only ctx.twin.options is read
    manifest = {"run_id": run_dir.name, "settings": settings.to_dict(), "embedded_twin": twin,
                "target": {"kind": "embedded twin", "server": "https://127.0.0.1:1"}}  # fmt: skip
    (run_dir / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str))
    return run_dir


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[runfolder.RunFolder, runfolder.RunFolder]:
    tmp = tmp_path_factory.mktemp("webhook-compare")
    off = _write_run(tmp / "20261204-100000-off-aaaa", _simulated(webhook=False), "off")
    on = _write_run(tmp / "20261204-110000-on-bbbb", _simulated(webhook=True), "on")
    return runfolder.load(off), runfolder.load(on)


def test_compare_shows_the_webhook_start_latency_and_names_the_webhook(
    runs: tuple[runfolder.RunFolder, runfolder.RunFolder],
) -> None:
    off, on = runs
    result = compare(off, on)
    figures = {r.path: r for r in result.figures}
    p50 = figures["latency_s.create_to_running.p50"]
    assert p50.base is not None and p50.cand is not None and p50.delta is not None
    assert p50.delta > 10 and p50.verdict == "worse"  # start latency up with the webhook on (+20.0 s measured)
    test = next(t for t in result.tests if t.phase == "create_to_running")
    assert test.significant and test.verdict == "slower"
    env = {k: (b, c) for k, b, c in result.env}
    assert env["embedded_twin.webhook"] == (False, True)
    assert env["settings.webhook"] == ("off", "on")
    assert result.env[0][0] in ("embedded_twin.webhook", "settings.webhook")  # the webhook is named first
    md = compare_output.to_markdown(result)
    assert "| embedded_twin.webhook | no | yes |" in md and "| settings.webhook | off | on |" in md
    assert next(line for line in md.splitlines() if line.startswith("| create_to_running |")).endswith("| slower |")

"""Bad input across run, plan, teardown, twin flags and scenario files: exit 2, one line, nothing created.

One twin serves the whole table, and every command that could reach a cluster is pointed at it. It holds
one app of another run, so "nothing created" is checked both ways after each case: no object appeared,
nothing was deleted (the twin counts every write it receives), no run folder was left behind, and a
`benchkit twin` given bad flags wrote no kubeconfig and left every file it was given as it was (a user's
kubeconfig is never overwritten).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from benchkit.spark import template
from benchkit.twin.config import TwinOptions
from benchkit.twin.process import TwinProcess
from tests.run.conftest import NAMESPACES, benchkit

pytestmark = pytest.mark.faults

KC = "{kubeconfig}"  # placeholders, filled per case (see `_fill`)
NEW_KC = "{new_kubeconfig}"
USER_KUBECONFIG = """apiVersion: v1
kind: Config
clusters: [{name: prod, cluster: {server: "https://prod.example:6443"}}]
users: [{name: me, user: {token: secret}}]
contexts: [{name: prod, context: {cluster: prod, user: me}}]
current-context: prod
"""

CASES: list[tuple[str, list[str], str]] = [
    # (id, argv, message the one stderr line must match)
    ("run: rate 0", ["run", "--kubeconfig", KC, "--jobs-per-min", "0"], "jobs-per-min must be > 0"),
    ("run: rate < 0", ["run", "--kubeconfig", KC, "--jobs-per-min", "-5"], "jobs-per-min must be > 0"),
    ("run: total 0", ["run", "--kubeconfig", KC, "--total-jobs", "0"], "total-jobs must be >= 1"),
    ("run: users 0", ["run", "--kubeconfig", KC, "--users", "0"], "users must be >= 1"),
    ("run: timeout", ["run", "--kubeconfig", KC, "--timeout", "soon"], "timeout: expected a duration"),
    ("run: ramp", ["run", "--kubeconfig", KC, "--ramp", "10:5"], "ramp: expected START:STEP:EVERY"),
    ("run: scenario", ["run", "--kubeconfig", KC, "--scenario", "maybe"], "'maybe' is not one of 'delete', 'keep'"),
    ("run: twin profile", ["run", "--twin-profile", "slow"], "'slow' is not one of 'fast', 'paper'"),
    ("run: namespace name", ["run", "--kubeconfig", KC, "--spark-namespaces", "Team_A"], "not a valid namespace name"),
    ("run: unknown namespace", ["run", "--kubeconfig", KC, "--spark-namespaces", "spark-team-a,nope"],
     "spark-namespaces: namespace 'nope' does not exist"),
    ("run: no template", ["run", "--kubeconfig", KC, "--spark-template", "/no/such/template.yaml"],
     "spark-template: cannot read"),
    ("run: template vs CRD", ["run", "--kubeconfig", KC, "--spark-template", "{bad_template}"],
     r"spec.executor.instances: 'five' is not of type"),
    ("run: no kubeconfig", ["run", "--kubeconfig", "/no/such/kubeconfig"], "kubeconfig: no such file"),
    ("run: kubeconfig not YAML", ["run", "--kubeconfig", "{not_yaml}"],
     r"kubeconfig.*(not valid YAML|Invalid kube-config)"),
    ("run: unknown context", ["run", "--kubeconfig", KC, "--context", "nosuch"], "no context 'nosuch'"),
    ("run: prometheus URL", ["run", "--kubeconfig", KC, "--prometheus-url", "ftp://x"],
     "prometheus-url: expected http"),
    ("run: scenario file YAML", ["run", "{bad_yaml}", "--kubeconfig", KC], "invalid YAML"),
    ("run: scenario file key", ["run", "{unknown_key}", "--kubeconfig", KC], "unknown key 'jobs-per-minute'"),
    ("run: scenario file value", ["run", "{bad_value}", "--kubeconfig", KC], "jobs-per-min must be > 0"),
    ("run: ramp and rate", ["run", "--kubeconfig", KC, "--ramp", "300:60:3s", "--jobs-per-min", "100"],
     r"either jobs-per-min \(a constant rate\) or ramp"),
    ("run: saturation SLO without ramp", ["run", "{saturation_slo}", "--kubeconfig", KC],
     "saturation.sustained_per_min is only measured with --ramp"),
    ("plan: rate 0", ["plan", "--jobs-per-min", "0"], "jobs-per-min must be > 0"),
    ("plan: price", ["plan", "--price", "m6a.4xlarge=abc"], "expected USD per hour, got 'abc'"),
    ("plan: instance type", ["plan", "--instance-type", "bench=t9.huge"], "no price for instance type 't9.huge'"),
    ("plan: scenario file key", ["plan", "{unknown_key}"], "unknown key 'jobs-per-minute'"),
    ("teardown: no target", ["teardown"], "which cluster?"),
    ("teardown: run id", ["teardown", "--kubeconfig", KC, "--run", "Bad_Run"], "'Bad_Run' is not a benchkit run id"),
    ("teardown: timeout", ["teardown", "--kubeconfig", KC, "--timeout", "soon"], "timeout: expected a duration"),
    ("teardown: context", ["teardown", "--kubeconfig", KC, "--context", "nosuch"], "no context 'nosuch'"),
    ("teardown: no kubeconfig", ["teardown", "--kubeconfig", "/no/such/kc"], "kubeconfig: cannot read"),
    ("twin: port", ["twin", "--kubeconfig", NEW_KC, "--port", "70000"], "'--port': 70000 is not in the range"),
    ("twin: port in use", ["twin", "--kubeconfig", NEW_KC, "--port", "{busy_port}"], "address already in use"),
    ("twin: fault rate", ["twin", "--kubeconfig", NEW_KC, "--fault-rate", "2"], "'--fault-rate': 2.0 is not in"),
    ("twin: namespace", ["twin", "--kubeconfig", NEW_KC, "--namespaces", "Bad_NS"], "not a valid namespace name"),
    ("twin: profile", ["twin", "--kubeconfig", NEW_KC, "--profile", "slow"], "'slow' is not one of 'fast', 'paper'"),
    ("twin: no kubeconfig", ["twin", "--port", "0"], "Missing option '--kubeconfig'"),
    # non-finite numbers (nan passes every `<= 0` check) and twin-only flags against a real cluster
    ("run: rate nan", ["run", "--kubeconfig", KC, "--jobs-per-min", "nan"], "jobs-per-min: expected a finite number"),
    ("run: rate inf", ["run", "--kubeconfig", KC, "--jobs-per-min", "inf"], "jobs-per-min: expected a finite number"),
    ("run: rate .nan in a file", ["run", "{nan_value}", "--kubeconfig", KC], "jobs-per-min: expected a finite number"),
    ("run: app-seconds inf", ["run", "--kubeconfig", KC, "--app-seconds", "inf"], "app-seconds: expected a duration"),
    ("run: timeout nan", ["run", "--kubeconfig", KC, "--timeout", "nan"], "timeout: expected a duration"),
    ("run: ramp nan", ["run", "--kubeconfig", KC, "--ramp", "nan:10:1m"], "ramp: START, STEP and MAX must be finite"),
    ("run: budget inf", ["run", "--kubeconfig", KC, "--budget", "inf"], "budget: expected a finite number"),
    ("run: operator-cpus nan", ["run", "--operator-cpus", "nan"], "operator-cpus: expected a finite number"),
    ("plan: rate nan", ["plan", "--jobs-per-min", "nan"], "jobs-per-min: expected a finite number"),
    ("run: operator-workers on a cluster", ["run", "--kubeconfig", KC, "--operator-workers", "4"],
     "operator-workers is only for the embedded twin"),
    ("run: operator-cpus on a cluster", ["run", "--kubeconfig", KC, "--operator-cpus", "8"],
     "operator-cpus is only for the embedded twin"),
    ("run: twin-profile on a cluster", ["run", "--kubeconfig", KC, "--twin-profile", "fast"],
     "twin-profile is only for the embedded twin"),
    ("run: twin-profile with a context", ["run", "--context", "bench", "--twin-profile", "paper"],
     "twin-profile is only for the embedded twin"),
    ("run: webhook on a cluster", ["run", "--kubeconfig", KC, "--webhook", "off"],
     "webhook is only for the embedded twin"),
    ("run: webhook value", ["run", "--webhook", "maybe"], "'maybe' is not one of 'on', 'off'"),
    ("twin: kubeconfig unwritable", ["twin", "--kubeconfig", "/proc/benchkit.kubeconfig"], "cannot write in /proc"),
    ("twin: kubeconfig under a file", ["twin", "--kubeconfig", "{not_yaml}/kubeconfig"], "is not a directory"),
    ("twin: a user's kubeconfig", ["twin", "--kubeconfig", "{user_kubeconfig}"],
     "not a kubeconfig the twin wrote.*refusing to overwrite it"),
    ("twin: state dir unwritable", ["twin", "--kubeconfig", NEW_KC, "--state-dir", "/proc/benchkit-state"],
     "state-dir /proc/benchkit-state: cannot write in /proc"),
]  # fmt: skip


@pytest.fixture(scope="module")
def bed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The twin (holding one app of another run) and the bad files the cases name."""
    tmp = tmp_path_factory.mktemp("bad-inputs")
    files = {"bad_yaml": "users: [1,\n", "unknown_key": "jobs-per-minute: 10\n", "bad_value": "jobs-per-min: 0\n",
             "not_yaml": "::: not yaml [", "nan_value": "jobs-per-min: .nan\n",
             "saturation_slo": "slo: ['saturation.sustained_per_min >= 100']\n",
             "user_kubeconfig": USER_KUBECONFIG}  # fmt: skip
    paths = {name: tmp / f"{name}.yaml" for name in files}
    for name, text in files.items():
        paths[name].write_text(text)
    body = template.load().body
    body["spec"]["executor"]["instances"] = "five"
    paths["bad_template"] = tmp / "template.yaml"
    paths["bad_template"].write_text(yaml.safe_dump(body))
    options = TwinOptions(nodes=4, namespaces=("default", *NAMESPACES))
    with TwinProcess(options, workdir=tmp / "twin") as twin:
        app = template.render(template.load(), run_id="other-run", scenario="keep", seq=0, namespace=NAMESPACES[0],
                              app_seconds=3600)  # fmt: skip
        status, created = twin.request("POST", f"/apis/sparkoperator.k8s.io/v1beta2/namespaces/{NAMESPACES[0]}/"
                                               "sparkapplications", app)  # fmt: skip
        assert status == 201, created
        _settle(twin)
        values = {name: str(path) for name, path in paths.items()}
        yield {"twin": twin, "tmp": tmp, "files": paths, "texts": {n: p.read_text() for n, p in paths.items()},
               "values": {**values, "kubeconfig": str(twin.kubeconfig),
                                                    "busy_port": str(twin.port)}}  # fmt: skip


@pytest.mark.parametrize(("argv", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_exits_2_with_one_line_and_creates_nothing(bed: dict[str, Any], tmp_path: Path, argv: list[str],
                                                             message: str) -> None:  # fmt: skip
    twin: TwinProcess = bed["twin"]
    before = twin.admin("GET", "stats")
    results, new_kubeconfig = tmp_path / "runs", tmp_path / "new.kubeconfig"
    args = _fill(argv, {**bed["values"], "new_kubeconfig": str(new_kubeconfig)})
    if args[0] in ("run", "plan"):
        args += ["--results-dir", str(results)]
    proc = benchkit(*args, timeout=60)
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("benchkit: error: "), proc.stderr
    assert re.search(message, lines[0]), lines[0]
    # nothing created, nothing deleted, nothing left behind
    after = twin.admin("GET", "stats")
    assert after["objects"] == before["objects"], (before["objects"], after["objects"])
    assert after["objects"]["sparkapplications"] == 1  # the other run's app survived
    assert _writes(after) == _writes(before) == {"POST sparkapplications": 1}
    assert not results.exists() or not any(results.iterdir()), "a run folder was created"
    assert not new_kubeconfig.exists(), "a twin given bad flags wrote a kubeconfig"
    for name, path in bed["files"].items():
        assert path.read_text() == bed["texts"][name], f"{path} was changed"


def _fill(argv: list[str], values: dict[str, str]) -> list[str]:
    return [a.format(**values) if a.startswith("{") else a for a in argv]


def _writes(stats: dict[str, Any]) -> dict[str, int]:
    return {k: v for k, v in stats["requests"].items() if k.split()[0] in ("POST", "DELETE", "DELETECOLLECTION")}


def _settle(twin: TwinProcess, timeout: float = 30.0) -> None:
    """Wait until the other run's app runs with all its pods, so object counts only change if a case does it."""
    deadline = time.monotonic() + timeout
    last: dict[str, int] = {}
    while time.monotonic() < deadline:
        running = any(t["state"] == "RUNNING" for t in twin.admin("GET", "history")["items"])
        objects = twin.admin("GET", "stats")["objects"]
        if running and objects == last:
            return
        last = objects
        time.sleep(1.0)
    raise AssertionError(f"the twin did not settle within {timeout:g} s: {last}")

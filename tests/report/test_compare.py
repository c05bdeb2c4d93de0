"""`benchkit compare` on two real runs: base (under capacity) vs candidate (2.5x the rate, saturated)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import observekit
import pytest
from chromium import open_page
from rich.console import Console

from benchkit.kube import cluster, connect, rest
from benchkit.orchestrate.context import RunContext
from benchkit.orchestrate.run import write_manifest
from benchkit.report import runfolder
from benchkit.report.compare import compare, environment_diff
from benchkit.settings import run as run_settings

pytestmark = pytest.mark.slow


def test_compare_shows_figures_significance_and_what_changed(observed: observekit.Environment,
                                                             tmp_path: Path) -> None:  # fmt: skip
    proc = observekit.benchkit("compare", str(observed.base.path), str(observed.candidate.path),
                               "--output-dir", str(tmp_path))  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    md = (tmp_path / "compare.md").read_text()
    assert proc.stdout.startswith(md)
    assert "Mann-Whitney U" in md
    assert "| settings.jobs_per_min | 600 | 1,500 |" in md.replace("1500", "1,500")
    row = next(line for line in md.splitlines() if line.startswith("| create_to_submitted |"))
    assert row.endswith("| slower |"), row
    n_base, n_cand = row.split("|")[2:4]
    assert int(n_base) == 60 and int(n_cand) == 60
    page = open_page(tmp_path / "compare.html", tmp_path / "compare.png")
    assert page["images"] and all(i["complete"] and i["width"] > 0 for i in page["images"])
    assert "What changed in the environment" in page["headings"]


def test_fail_on_regression_exits_3_and_not_the_other_way_round(observed: observekit.Environment,
                                                                tmp_path: Path) -> None:  # fmt: skip
    worse = observekit.benchkit("compare", str(observed.base.path), str(observed.candidate.path),
                                "--fail-on-regression", "10", "--output-dir", str(tmp_path / "a"))  # fmt: skip
    assert worse.returncode == 3, worse.stderr
    assert "regression(s)" in worse.stderr and "create_to_submitted median +" in worse.stderr
    assert "## Regressions (threshold 10 %)" in (tmp_path / "a" / "compare.md").read_text()
    better = observekit.benchkit("compare", str(observed.candidate.path), str(observed.base.path),
                                 "--fail-on-regression", "10", "--output-dir", str(tmp_path / "b"))  # fmt: skip
    assert better.returncode == 0, better.stderr
    assert "None." in (tmp_path / "b" / "compare.md").read_text()
    bad = observekit.benchkit("compare", str(observed.base.path), str(tmp_path))
    assert bad.returncode == 2 and "not a run folder" in bad.stderr


def test_comparison_of_a_run_with_itself_finds_nothing(observed: observekit.Environment) -> None:
    run = runfolder.load(observed.base.path)
    same = compare(run, run, fail_on_regression_pct=0.0)
    assert not same.regressions and not same.env
    assert all(t.p_value is None or t.p_value > 0.9 for t in same.tests)


def _chart_deployment(name: str, component: str, chart: str, image: str, args: list[str]) -> dict[str, Any]:
    """A Deployment as the spark-operator chart renders it (labels, one container, its args)."""
    labels = {"app.kubernetes.io/name": "spark-operator", "app.kubernetes.io/component": component,
              "helm.sh/chart": chart}  # fmt: skip
    return {"metadata": {"name": name, "namespace": "spark-operator", "labels": labels},
            "spec": {"replicas": 1, "template": {"spec": {"containers": [
                {"name": f"spark-operator-{component}", "image": image, "args": args}]}}}}  # fmt: skip


def _manifest(observed: observekit.Environment, results: Path, run_id: str, jobs_per_min: float,
              deployments: list[dict[str, Any]], *, bench_type: str | None = None) -> dict[str, Any]:  # fmt: skip
    """What write_manifest writes for a run against the twin, with the operator's Deployments given.

    The twin serves no Deployments, so `target.spark_operator` is what benchkit derives from these.
    """
    settings = run_settings.build({"jobs_per_min": jobs_per_min, "total_jobs": 10},
                                  {"results_dir": results, "kubeconfig": observed.twin.kubeconfig})  # fmt: skip
    quiet = Console(file=io.StringIO())
    ctx = RunContext(settings=settings, console=quiet, out=quiet, run_id=run_id, steps=((0.0, jobs_per_min),))
    ctx.target, ctx.twin = connect.connect(observed.twin.kubeconfig), observed.twin
    write_manifest(ctx)
    manifest = json.loads((results / run_id / "manifest.json").read_text())
    assert manifest["target"]["spark_operator"] is None  # the twin does not serve apps/v1 Deployments
    manifest["target"]["spark_operator"] = cluster.describe_operator(deployments)
    if bench_type is not None:
        nodes = rest.call(ctx.target.api, "GET", "/api/v1/nodes")["items"]
        for node in nodes:
            node["metadata"]["labels"][cluster.INSTANCE_TYPE_LABEL] = bench_type
        manifest["target"]["nodes_by_group"] = cluster.group_nodes(nodes)
    return dict(manifest)


def test_environment_diff_names_the_operator_change_first(observed: observekit.Environment, tmp_path: Path) -> None:
    image = "ghcr.io/kubeflow/spark-operator/controller"
    base_ops = [
        _chart_deployment(
            "spark-operator-controller",
            "controller",
            "spark-operator-2.1.0",
            f"{image}:2.1.0",
            ["controller", "start", "--controller-threads=10", "--leader-election=true"],
        )
    ]
    cand_ops = [_chart_deployment("spark-operator-controller", "controller", "spark-operator-2.2.0", f"{image}:2.2.0",
                                  ["controller", "start", "--controller-threads=30", "--leader-election=true"]),
                _chart_deployment("spark-operator-webhook", "webhook", "spark-operator-2.2.0", f"{image}:2.2.0",
                                  ["webhook", "start"])]  # fmt: skip
    base = _manifest(observed, tmp_path, "base-1", 60, base_ops)
    cand = _manifest(observed, tmp_path, "cand-1", 120, cand_ops, bench_type="m7a.4xlarge")
    assert base["embedded_twin"] and base["target"]["nodes_by_group"]["spark-operator-benchmark-ng"]["instance_types"]
    cand["target"]["server"] = "https://127.0.0.1:1"  # another embedded twin: another port and kubeconfig
    cand["target"]["source"] = "kubeconfig:/tmp/elsewhere/kubeconfig"
    diff = environment_diff(base, cand)
    rows = {k: (b, c) for k, b, c in diff}
    order = [k for k, _, _ in diff]
    assert diff[0] == ("target.spark_operator.controller_workers", 10, 30)
    assert rows["target.spark_operator.chart"] == ("spark-operator-2.1.0", "spark-operator-2.2.0")
    assert rows["target.spark_operator.image_tag"] == ("2.1.0", "2.2.0")
    assert rows["target.spark_operator.webhook"] == (False, True)
    bench = "target.nodes_by_group.spark-operator-benchmark-ng.instance_types"
    assert rows[bench][1] == "m7a.4xlarge" and rows[bench][0] != "m7a.4xlarge"
    args = "target.spark_operator.deployments.spark-operator-controller.containers.spark-operator-controller.args"
    assert args in rows  # lists of named objects are compared by name, not as one JSON blob
    assert order.index("target.spark_operator.webhook") < order.index(bench) < order.index("settings.jobs_per_min")
    assert order.index("settings.jobs_per_min") < order.index(args)
    assert not {"target.server", "target.source", "run_id", "created"} & set(rows)
    real = environment_diff({**base, "embedded_twin": None}, {**cand, "embedded_twin": None})
    assert "target.server" in {k for k, _, _ in real}  # on real clusters the server is a real difference


def test_operator_workers_and_webhook_from_older_chart_args() -> None:
    legacy = {"metadata": {"name": "spark-operator", "labels": {"helm.sh/chart": "spark-operator-1.1.27"}},
              "spec": {"replicas": 1, "template": {"spec": {"containers": [
                  {"name": "spark-operator", "image": "ghcr.io/kubeflow/spark-operator:v1beta2-1.3.8-3.1.1",
                   "args": ["-v=2", "-controller-threads", "40", "-enable-webhook=true"]}]}}}}  # fmt: skip
    facts = cluster.describe_operator([legacy])
    assert (facts["controller_workers"], facts["webhook"], facts["image_tag"]) == (40, True, "v1beta2-1.3.8-3.1.1")
    assert cluster.describe_operator([])["controller_workers"] is None

"""The target step: connect to the given cluster, or start the embedded twin (stopped at the end) when none is given."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from benchkit.kube import connect
from benchkit.kube.stack import read_stack_outputs
from benchkit.orchestrate.context import KubeAccess, RunContext
from benchkit.settings.run import DEFAULT_TWIN_PROFILE
from benchkit.spark import operator_versions
from benchkit.twin.config import TwinOptions
from benchkit.twin.process import TwinProcess

TWIN_START_TIMEOUT_S = 60.0


@contextmanager
def connected(ctx: RunContext) -> Iterator[None]:
    """The cluster given (--kubeconfig, --context, --stack), or the embedded twin for the whole run."""
    s = ctx.settings
    if s.embedded:
        with _twin(ctx):
            yield
        return
    if s.stack is not None:
        outputs = read_stack_outputs(s.stack)
        ctx.target = connect.connect(context=s.context, stack=outputs)
        ctx.kube = KubeAccess(context=s.context, stack=s.stack, stack_kubeconfig=outputs.kubeconfig)
    else:
        ctx.target = connect.connect(s.kubeconfig, s.context)
        ctx.kube = KubeAccess(kubeconfig=str(connect.kubeconfig_path(s.kubeconfig)), context=s.context)
    ctx.secrets = secrets_of(ctx.target)
    yield


def twin_settings(ctx: RunContext) -> dict[str, object] | None:
    """The embedded twin's model settings, for the manifest."""
    if ctx.twin is None:
        return None
    o = ctx.twin.options
    return {"profile": o.profile, "nodes": o.nodes, "max_pods": o.max_pods, "operator_workers": o.operator_workers,
            "operator_cpus": o.operator_cpus, "webhook": o.webhook == "on", "namespaces": list(o.namespaces),
            "seed": o.seed, "operator_chart": o.operator_chart}  # fmt: skip


@contextmanager
def _twin(ctx: RunContext) -> Iterator[None]:
    s = ctx.settings
    namespaces = tuple(dict.fromkeys(("default", *s.spark_namespaces)))
    options = TwinOptions(nodes=s.nodes, profile=s.twin_profile or DEFAULT_TWIN_PROFILE,
                          operator_workers=s.operator_workers, operator_cpus=s.operator_cpus,
                          webhook=s.webhook or "on", namespaces=namespaces,
                          operator_chart=s.twin_operator_chart or operator_versions.DEFAULT_CHART)  # fmt: skip
    workers = s.operator_workers if s.operator_workers is not None else "profile default"
    ctx.console.print(
        "benchkit: no --kubeconfig, --context or --stack given: running against the embedded twin "
        f"(a local simulated Spark-on-Kubernetes cluster; profile {options.profile}, {s.nodes} nodes, "
        f"operator workers {workers}, webhook {options.webhook})",
        highlight=False, soft_wrap=True,
    )  # fmt: skip
    with TwinProcess(options, start_timeout=TWIN_START_TIMEOUT_S) as twin:  # closed even if it failed to start
        ctx.twin = twin
        ctx.target = connect.connect(twin.kubeconfig)
        ctx.kube = KubeAccess(kubeconfig=str(twin.kubeconfig))
        ctx.secrets = secrets_of(ctx.target)
        yield


def secrets_of(target: connect.Target) -> list[str]:
    cfg = target.api.configuration
    values = [*(cfg.api_key or {}).values(), cfg.password or "", cfg.username or ""]
    return [str(v).removeprefix("Bearer ").strip() for v in values if v]

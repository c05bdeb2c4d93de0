"""The target step: connect to the given cluster, or start the embedded twin when none is given."""

from __future__ import annotations

from typing import Any

from benchkit.errors import BenchkitError
from benchkit.kube import connect
from benchkit.kube.stack import read_stack_outputs
from benchkit.orchestrate.context import RunContext
from benchkit.settings.run import DEFAULT_TWIN_PROFILE
from benchkit.twin.config import TwinOptions
from benchkit.twin.process import TwinProcess

TWIN_START_TIMEOUT_S = 60.0


def start_target(ctx: RunContext) -> None:
    s = ctx.settings
    if s.embedded:
        _start_twin(ctx)
        return
    if s.stack is not None:
        outputs = read_stack_outputs(s.stack)
        ctx.target = connect.connect(context=s.context, stack=outputs)
        ctx.kube = {"stack": s.stack, "stack_kubeconfig": outputs.kubeconfig, "context": s.context}
    else:
        ctx.target = connect.connect(s.kubeconfig, s.context)
        ctx.kube = {"kubeconfig": str(connect.kubeconfig_path(s.kubeconfig)), "context": s.context}
    ctx.secrets = secrets_of(ctx.target)


def stop_target(ctx: RunContext) -> None:
    if ctx.twin is not None:
        ctx.twin.close()
        ctx.twin = None


def twin_settings(ctx: RunContext) -> dict[str, Any] | None:
    """The embedded twin's model settings, for the manifest."""
    if ctx.twin is None:
        return None
    o = ctx.twin.options
    return {"profile": o.profile, "nodes": o.nodes, "max_pods": o.max_pods, "operator_workers": o.operator_workers,
            "operator_cpus": o.operator_cpus, "webhook": o.webhook == "on", "namespaces": list(o.namespaces),
            "seed": o.seed}  # fmt: skip


def _start_twin(ctx: RunContext) -> None:
    s = ctx.settings
    namespaces = tuple(dict.fromkeys(("default", *s.spark_namespaces)))
    options = TwinOptions(nodes=s.nodes, profile=s.twin_profile or DEFAULT_TWIN_PROFILE,
                          operator_workers=s.operator_workers, operator_cpus=s.operator_cpus,
                          webhook=s.webhook or "on", namespaces=namespaces)  # fmt: skip
    workers = s.operator_workers if s.operator_workers is not None else "profile default"
    ctx.console.print(
        "benchkit: no --kubeconfig, --context or --stack given: running against the embedded twin "
        f"(a local simulated Spark-on-Kubernetes cluster; profile {options.profile}, {s.nodes} nodes, "
        f"operator workers {workers}, webhook {options.webhook})",
        highlight=False, soft_wrap=True,
    )  # fmt: skip
    twin = TwinProcess(options, start_timeout=TWIN_START_TIMEOUT_S)
    try:
        twin.start()
    except BenchkitError:
        twin.close()
        raise
    ctx.twin = twin
    ctx.target = connect.connect(twin.kubeconfig)
    ctx.kube = {"kubeconfig": str(twin.kubeconfig), "context": None}
    ctx.secrets = secrets_of(ctx.target)


def secrets_of(target: connect.Target) -> list[str]:
    cfg = target.api.configuration
    values = [*(cfg.api_key or {}).values(), cfg.password or "", cfg.username or ""]
    return [str(v).removeprefix("Bearer ").strip() for v in values if v]

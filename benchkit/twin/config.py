"""`TwinOptions`: everything `benchkit twin` takes, validated once, and turned back into its flags."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchkit.errors import ConfigError
from benchkit.kube.names import DNS1123_LABEL, DNS1123_LABEL_MAX
from benchkit.settings import cluster_shape
from benchkit.spark.operator_versions import DEFAULT_CHART, SUPPORTED_CHARTS

PROFILES = ("fast", "paper")
DEFAULT_NAMESPACES = ("default", "spark-team-a", "spark-team-b", "spark-team-c")


def _cli(help_text: str, **cli: Any) -> dict[str, Any]:
    """A TwinOptions field's metadata: its `benchkit twin` flag's help and settings (see cli/twin.py)."""
    return {"help": help_text, **cli}


@dataclass(frozen=True)
class TwinOptions:
    """Every `benchkit twin` option, declared once: the CLI's flags and `to_args()` are built from these fields
    (flag `--<name with dashes>`, the field's type and default, `metadata["help"]`)."""

    port: int = field(default=0, metadata=_cli("0 picks a free port.", min=0, max=65535))
    kubeconfig: Path | None = field(default=None, metadata=_cli("Where to write the kubeconfig once the twin is ready.",
                                                                required=True))  # fmt: skip
    host: str = field(default="127.0.0.1", metadata=_cli("Address to listen on."))
    nodes: int = field(default=cluster_shape.default_bench_max_nodes(), metadata=_cli("Bench node group size.", min=0))
    max_pods: int = field(default=cluster_shape.bench_max_pods(), metadata=_cli("Pods per node limit.", min=1))
    """The bench nodes' kubelet maxPods (the cluster-shape data file's `max_pods.bench`)."""
    profile: str = field(default="fast", metadata=_cli("Model profile.", choices=PROFILES))
    operator_workers: int | None = field(
        default=None, metadata=_cli("Spark Operator workers (profile default).", min=1)
    )
    operator_cpus: float | None = field(
        default=None, metadata=_cli("Operator node vCPUs (profile default).", min=0, min_open=True)
    )
    webhook: str = field(
        default="on",
        metadata=_cli("The Spark Operator's mutating webhook: admits (and mutates) every pod create.",
                      choices=("on", "off")),
    )  # fmt: skip
    fault_rate: float = field(
        default=0.0, metadata=_cli("Fraction of writes answered 429 / 500 / dropped connection.", min=0, max=1)
    )
    api_latency_ms: float = field(
        default=0.0, metadata=_cli("Latency added to every API request (not to watch event delivery).", min=0)
    )
    namespaces: tuple[str, ...] = field(
        default=DEFAULT_NAMESPACES, metadata=_cli("Comma-separated namespaces that exist at start.")
    )
    seed: int = field(default=0, metadata=_cli("Seed for the model and the fault injector."))
    watch_cut_every: float | None = field(
        default=None, metadata=_cli("Cut every watch every N seconds.", min=0, min_open=True)
    )
    state_dir: Path | None = field(
        default=None,
        metadata=_cli("Keep objects, resourceVersions, TLS credentials and token across restarts.", directory=True),
    )
    bookmark_every: float = field(
        default=60.0, metadata=_cli("Seconds between BOOKMARK events on watches that allow them.", min=0, min_open=True)
    )
    """kube-apiserver sends one about every minute."""
    watch_history: int = field(
        default=10_000,
        metadata=_cli(
            "Events kept per resource to resume watches and continue lists; older resourceVersions get 410.", min=100
        ),
    )
    operator_chart: str = field(
        default=DEFAULT_CHART,
        metadata=_cli(
            "Spark Operator chart version whose metric label values (controller names) the twin exports.",
            choices=SUPPORTED_CHARTS,
        ),
    )
    exit_with_parent: bool = field(default=False, metadata=_cli("Stop when the process that started the twin exits."))
    """TwinProcess sets it: no orphaned twins."""

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            _check_range(flag_name(f.name), getattr(self, f.name), f.metadata)
        _check(self.profile in PROFILES, f"--profile must be one of {', '.join(PROFILES)}, got {self.profile!r}")
        _check(bool(self.host), "--host must not be empty")
        charts, chart = ", ".join(SUPPORTED_CHARTS), self.operator_chart
        _check(chart in SUPPORTED_CHARTS, f"--operator-chart must be one of {charts}, got {chart!r}")
        for ns in self.namespaces:
            _check(
                bool(DNS1123_LABEL.match(ns)) and len(ns) <= DNS1123_LABEL_MAX,
                f"--namespaces: {ns!r} is not a valid namespace name",
            )
        _check(len(set(self.namespaces)) == len(self.namespaces), "--namespaces lists a namespace twice")

    def replace(self, **changes: object) -> TwinOptions:
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    def to_args(self) -> list[str]:
        """The `benchkit twin` flags that reproduce these options."""
        args: list[str] = []
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            flag = flag_name(f.name)
            if value is None or value is False:
                continue
            if value is True:
                args.append(flag)
            elif isinstance(value, tuple):
                args += [flag, ",".join(value)]
            else:
                args += [flag, repr(value) if isinstance(value, float) else str(value)]
        return args


def flag_name(field_name: str) -> str:
    return "--" + field_name.replace("_", "-")


def _check_range(flag: str, value: Any, meta: Any) -> None:
    """The bounds a field declares (`min`, `max`, `min_open`); None (unset) is always allowed."""
    if value is None:
        return
    low, high = meta.get("min"), meta.get("max")
    if low is not None:
        ok = value > low if meta.get("min_open") else value >= low
        _check(ok, f"{flag} must be {'>' if meta.get('min_open') else '>='} {low}, got {value}")
    if high is not None:
        _check(value <= high, f"{flag} must be <= {high}, got {value}")


def _check(ok: bool, message: str) -> None:
    if not ok:
        raise ConfigError(message)

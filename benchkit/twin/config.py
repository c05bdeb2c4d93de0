"""`TwinOptions`: everything `benchkit twin` takes, validated once, and turned back into its flags."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from benchkit.errors import ConfigError
from benchkit.settings.run import DNS1123_LABEL as DNS_LABEL

PROFILES = ("fast", "paper")
DEFAULT_NAMESPACES = ("default", "spark-team-a", "spark-team-b", "spark-team-c")


@dataclass(frozen=True)
class TwinOptions:
    port: int = 0
    kubeconfig: Path | None = None
    host: str = "127.0.0.1"
    nodes: int = 200
    max_pods: int = 220
    profile: str = "fast"
    operator_workers: int | None = None
    operator_cpus: float | None = None
    webhook: str = "on"
    """The modelled Spark Operator's mutating webhook: on (admits and mutates every pod CREATE) or off."""
    fault_rate: float = 0.0
    api_latency_ms: float = 0.0
    namespaces: tuple[str, ...] = DEFAULT_NAMESPACES
    seed: int = 0
    watch_cut_every: float | None = None
    state_dir: Path | None = None
    bookmark_every: float = 60.0
    """Seconds between BOOKMARK events on watches that allow them (kube-apiserver: about a minute)."""
    watch_history: int = 10_000
    """Events kept per resource to resume watches and serve continue pages; older resourceVersions get 410 Gone."""
    exit_with_parent: bool = False
    """Stop when the process that started the twin exits (TwinProcess sets it: no orphaned twins)."""

    def __post_init__(self) -> None:
        _check(0 <= self.port <= 65535, f"--port must be 0..65535, got {self.port}")
        _check(self.nodes >= 0, f"--nodes must be >= 0, got {self.nodes}")
        _check(self.max_pods >= 1, f"--max-pods must be >= 1, got {self.max_pods}")
        _check(self.profile in PROFILES, f"--profile must be one of {', '.join(PROFILES)}, got {self.profile!r}")
        _check(self.operator_workers is None or self.operator_workers >= 1, "--operator-workers must be >= 1")
        _check(self.operator_cpus is None or self.operator_cpus > 0, "--operator-cpus must be > 0")
        _check(self.webhook in ("on", "off"), f"--webhook must be on or off, got {self.webhook!r}")
        _check(0.0 <= self.fault_rate <= 1.0, f"--fault-rate must be within 0..1, got {self.fault_rate}")
        _check(self.api_latency_ms >= 0, f"--api-latency-ms must be >= 0, got {self.api_latency_ms}")
        _check(self.watch_cut_every is None or self.watch_cut_every > 0, "--watch-cut-every must be > 0 seconds")
        _check(self.bookmark_every > 0, "--bookmark-every must be > 0 seconds")
        _check(self.watch_history >= 100, "--watch-history must be >= 100 events")
        _check(bool(self.host), "--host must not be empty")
        for ns in self.namespaces:
            _check(bool(DNS_LABEL.match(ns)) and len(ns) <= 63, f"--namespaces: {ns!r} is not a valid namespace name")
        _check(len(set(self.namespaces)) == len(self.namespaces), "--namespaces lists a namespace twice")

    def replace(self, **changes: object) -> TwinOptions:
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    def to_args(self) -> list[str]:
        """The `benchkit twin` flags that reproduce these options."""
        args = ["--port", str(self.port), "--host", self.host, "--nodes", str(self.nodes),
                "--max-pods", str(self.max_pods), "--profile", self.profile, "--fault-rate", repr(self.fault_rate),
                "--api-latency-ms", repr(self.api_latency_ms), "--namespaces", ",".join(self.namespaces),
                "--seed", str(self.seed), "--bookmark-every", repr(self.bookmark_every),
                "--watch-history", str(self.watch_history), "--webhook", self.webhook]  # fmt: skip
        if self.kubeconfig is not None:
            args += ["--kubeconfig", str(self.kubeconfig)]
        if self.operator_workers is not None:
            args += ["--operator-workers", str(self.operator_workers)]
        if self.operator_cpus is not None:
            args += ["--operator-cpus", repr(self.operator_cpus)]
        if self.watch_cut_every is not None:
            args += ["--watch-cut-every", repr(self.watch_cut_every)]
        if self.state_dir is not None:
            args += ["--state-dir", str(self.state_dir)]
        if self.exit_with_parent:
            args.append("--exit-with-parent")
        return args


def _check(ok: bool, message: str) -> None:
    if not ok:
        raise ConfigError(message)

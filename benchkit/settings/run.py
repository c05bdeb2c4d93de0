"""`RunSettings`: every knob of a run, from a scenario file and/or flags, validated in one place.

Used by `benchkit run`, `benchkit plan` and suites, so a scenario file means the same to all three.
Keys are the long flag names; in a scenario file `jobs-per-min` and `jobs_per_min` are both accepted.
Defaults live here and nowhere else.
"""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from benchkit.errors import ConfigError
from benchkit.kube.names import DNS1123_LABEL, DNS1123_LABEL_MAX
from benchkit.settings import cluster_shape
from benchkit.settings import slo as slo_grammar
from benchkit.spark import templates
from benchkit.spark.operator_versions import SUPPORTED_CHARTS

DEFAULT_NAMESPACES = ("spark-team-a", "spark-team-b", "spark-team-c")
SCENARIOS = ("delete", "keep")
TWIN_PROFILES = ("fast", "paper")
DEFAULT_TWIN_PROFILE = "fast"
TWIN_ONLY = ("operator_workers", "operator_cpus", "twin_profile", "twin_operator_chart", "webhook")
"""The embedded twin's model: `benchkit run` refuses them with a real cluster (`plan` models one with them)."""
WEBHOOK_MODES = ("on", "off")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}


@dataclass(frozen=True)
class RunSettings:
    """One run's settings. `total` is derived: `total_jobs`, else `users * job_limit_per_user`."""

    users: int = 3
    """Locust users; they share the global schedule (they do not multiply the rate)."""
    jobs_per_min: float = 60.0
    """Global submission rate across all users and processes."""
    job_limit_per_user: int | None = None
    total_jobs: int | None = None
    spark_namespaces: tuple[str, ...] = DEFAULT_NAMESPACES
    spark_template: Path | None = None
    """SparkApplication YAML, or a packaged template's name (`spark.templates.FILES`); None: the default one."""
    app_seconds: float = 30.0
    """How long each app sleeps (the pi-sleep app's second argument)."""
    scenario: str = "delete"
    """delete: delete each app once terminal; keep: keep every object until teardown."""
    kubeconfig: Path | None = None
    context: str | None = None
    stack: str | None = None
    """Pulumi stack name: cluster details come from `pulumi stack output --json`."""
    results_dir: Path = Path("runs")
    timeout: float = 1800.0
    """Seconds to keep tracking after the last submission before giving up on unfinished apps."""
    api_grace: float = 120.0
    """Seconds the API server may stay unreachable before the run ends with an error (exit 1)."""
    processes: int = 1
    """Locust worker processes."""
    max_inflight: int = 256
    """Cap on concurrent create calls; hitting it is journalled and reported."""
    operator_workers: int | None = None
    operator_cpus: float | None = None
    twin_profile: str | None = None
    """The embedded twin's model profile; None means DEFAULT_TWIN_PROFILE."""
    twin_operator_chart: str | None = None
    """The Spark Operator chart version the embedded twin's metrics stand in for; None means DEFAULT_CHART."""
    webhook: str | None = None
    """The embedded twin's (and plan's) operator mutating webhook: on | off; None means on (the chart default)."""
    nodes: int = cluster_shape.default_bench_max_nodes()
    """Bench nodes (the twin's node count; the plan's node-group max)."""
    prometheus_url: str | None = None
    ramp: str | None = None
    """START:STEP:EVERY[:MAX] in jobs/min and seconds: raise the offered rate in steps."""
    slo: dict[str, str] = field(default_factory=dict)
    budget: float | None = None
    yes: bool = False
    prescale: bool = False
    teardown: bool = False
    autoscale: str | None = None
    """MIN:MAX bench nodes for the step autoscaler."""
    name: str | None = None
    """Optional human name; part of the run id."""
    cleanup: bool = True
    """Delete this run's remaining objects (by label) at the end; false (--no-cleanup) leaves them."""

    @property
    def total(self) -> int:
        if self.total_jobs is not None:
            return self.total_jobs
        return self.users * (self.job_limit_per_user if self.job_limit_per_user is not None else 20)

    @property
    def embedded(self) -> bool:
        """No cluster given: benchkit runs against the embedded twin."""
        return self.kubeconfig is None and self.context is None and self.stack is None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            out[f.name] = str(value) if isinstance(value, Path) else list(value) if isinstance(value, tuple) else value
        out["total"] = self.total
        return out


FIELDS = {f.name: f for f in dataclasses.fields(RunSettings)}


def parse_duration(value: object, key: str) -> float:
    """Seconds from 90, "90", "90s", "15m", "2h", "250ms"."""
    if isinstance(value, bool):
        raise ConfigError(f"{key}: expected a duration such as 90s, 15m or 2h, got {value!r}")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        match = _DURATION.match(str(value))
        seconds = float(match.group(1)) * _UNITS[match.group(2)] if match else math.nan
    if not math.isfinite(seconds):  # nan and inf (a YAML .inf, or 400 digits) would pass every later check
        raise ConfigError(f"{key}: expected a duration such as 90s, 15m or 2h, got {value!r}")
    return seconds


def load_scenario(path: Path) -> dict[str, Any]:
    """Read a scenario file into raw settings keys (snake_case). Unknown keys are errors."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise ConfigError(f"cannot read scenario file {path}: {exc.strerror or exc}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"scenario file {path}{where}: invalid YAML") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"scenario file {path}: expected a mapping of settings, got {type(data).__name__}")
    raw: dict[str, Any] = {}
    for key, value in data.items():
        name = str(key).replace("-", "_")
        if name not in FIELDS:
            raise ConfigError(f"scenario file {path}: unknown key {key!r}")
        raw[name] = value
    if "spark_template" in raw and raw["spark_template"] is not None:
        template = Path(str(raw["spark_template"]))
        if templates.packaged_name(template) is None:
            raw["spark_template"] = template if template.is_absolute() else path.parent / template
    return raw


def build(scenario: dict[str, Any] | None = None, overrides: dict[str, Any] | None = None) -> RunSettings:
    """Merge scenario values with flag overrides (flags win; None means "not given") and validate."""
    merged: dict[str, Any] = dict(scenario or {})
    merged.update({k: v for k, v in (overrides or {}).items() if v is not None})
    unknown = sorted(set(merged) - set(FIELDS))
    if unknown:
        raise ConfigError(f"unknown setting {unknown[0]!r}")
    values = {name: _coerce(name, value) for name, value in merged.items()}
    if values.get("ramp") is not None and "jobs_per_min" in values:
        raise ConfigError("give either jobs-per-min (a constant rate) or ramp (rising steps), not both")
    settings = RunSettings(**values)
    validate(settings)
    return settings


def _coerce(name: str, value: Any) -> Any:  # noqa: PLR0911 - one branch per kind of setting
    if name in ("timeout", "app_seconds", "api_grace"):
        return parse_duration(value, name.replace("_", "-"))
    if name == "spark_namespaces":
        items = value.split(",") if isinstance(value, str) else list(value)
        return tuple(str(i).strip() for i in items if str(i).strip())
    if name == "webhook" and isinstance(value, bool):  # YAML 1.1 reads a bare on/off as a boolean
        return "on" if value else "off"
    if name in ("spark_template", "kubeconfig", "results_dir"):
        return Path(str(value)).expanduser()
    if name == "slo":
        if isinstance(value, list):  # ["create_to_running.p99 <= 120", ...]
            return {str(v): str(v) for v in value}
        if not isinstance(value, dict):
            raise ConfigError("slo: expected a mapping or a list of 'metric <op> value' expressions")
        return {str(k): str(v) for k, v in value.items()}
    if name in ("users", "job_limit_per_user", "total_jobs", "processes", "max_inflight", "operator_workers", "nodes"):
        return _number(name, value, int)
    if name in ("jobs_per_min", "operator_cpus", "budget"):
        return _number(name, value, float)
    if name in ("cleanup", "yes", "prescale", "teardown") and not isinstance(value, bool):
        raise ConfigError(f"{name}: expected true or false, got {value!r}")
    return value


def _number(name: str, value: Any, kind: type[int] | type[float]) -> int | float:
    key = name.replace("_", "-")
    if isinstance(value, bool):
        raise ConfigError(f"{key}: expected a number, got {value!r}")
    try:
        number = kind(value)
    except (TypeError, ValueError, OverflowError):  # int(inf) overflows
        raise ConfigError(f"{key}: expected {'an integer' if kind is int else 'a number'}, got {value!r}") from None
    if kind is int and isinstance(value, float) and not value.is_integer():
        raise ConfigError(f"{key}: expected an integer, got {value!r}")
    return number


def validate(s: RunSettings) -> None:  # noqa: PLR0912, PLR0915 - a flat list of independent checks
    """Raise ConfigError naming the first bad setting."""
    for f in dataclasses.fields(s):  # nan compares false with every bound below, so it must go first
        value = getattr(s, f.name)
        if isinstance(value, float) and not math.isfinite(value):
            raise ConfigError(f"{f.name.replace('_', '-')}: expected a finite number, got {value}")
    if s.jobs_per_min <= 0:
        raise ConfigError(f"jobs-per-min must be > 0, got {s.jobs_per_min:g}")
    for key in ("users", "processes", "max_inflight", "nodes"):
        if getattr(s, key) < 1:
            raise ConfigError(f"{key.replace('_', '-')} must be >= 1, got {getattr(s, key)}")
    if s.job_limit_per_user is not None and s.job_limit_per_user < 1:
        raise ConfigError(f"job-limit-per-user must be >= 1, got {s.job_limit_per_user}")
    if s.total_jobs is not None and s.total_jobs < 1:
        raise ConfigError(f"total-jobs must be >= 1, got {s.total_jobs}")
    if s.total_jobs is not None and s.job_limit_per_user is not None:
        raise ConfigError("give either total-jobs or job-limit-per-user, not both")
    if not s.spark_namespaces:
        raise ConfigError("spark-namespaces: at least one namespace is required")
    for ns in s.spark_namespaces:
        if len(ns) > DNS1123_LABEL_MAX or not DNS1123_LABEL.match(ns):
            raise ConfigError(f"spark-namespaces: {ns!r} is not a valid namespace name (RFC 1123 label)")
    if s.scenario not in SCENARIOS:
        raise ConfigError(f"scenario must be one of {', '.join(SCENARIOS)}, got {s.scenario!r}")
    if s.twin_profile is not None and s.twin_profile not in TWIN_PROFILES:
        raise ConfigError(f"twin-profile must be one of {', '.join(TWIN_PROFILES)}, got {s.twin_profile!r}")
    if s.twin_operator_chart is not None and s.twin_operator_chart not in SUPPORTED_CHARTS:
        raise ConfigError(
            f"twin-operator-chart must be one of {', '.join(SUPPORTED_CHARTS)}, got {s.twin_operator_chart!r}"
        )
    if s.app_seconds < 0 or s.timeout <= 0:
        raise ConfigError("app-seconds must be >= 0 and timeout > 0")
    if s.api_grace <= 0:
        raise ConfigError(f"api-grace must be > 0, got {s.api_grace:g}")
    if s.operator_workers is not None and s.operator_workers < 1:
        raise ConfigError(f"operator-workers must be >= 1, got {s.operator_workers}")
    if s.operator_cpus is not None and s.operator_cpus <= 0:
        raise ConfigError(f"operator-cpus must be > 0, got {s.operator_cpus:g}")
    if s.budget is not None and s.budget <= 0:
        raise ConfigError(f"budget must be > 0 USD, got {s.budget:g}")
    if s.webhook is not None and s.webhook not in WEBHOOK_MODES:
        raise ConfigError(f"webhook must be one of {', '.join(WEBHOOK_MODES)}, got {s.webhook!r}")
    packaged = s.spark_template is not None and templates.packaged_name(s.spark_template) is not None
    if s.spark_template is not None and not packaged and not s.spark_template.is_file():
        raise ConfigError(f"spark-template: cannot read {s.spark_template}")
    if s.kubeconfig is not None and not s.kubeconfig.is_file():
        raise ConfigError(f"kubeconfig: no such file {s.kubeconfig}")
    if s.stack is not None and (s.kubeconfig is not None or s.context is not None):
        raise ConfigError("give either --stack or --kubeconfig/--context, not both")
    if s.ramp is not None:
        parse_ramp(s.ramp)
    if s.autoscale is not None:
        parse_min_max(s.autoscale, "autoscale")
    for gate in slo_grammar.parse_all(s.slo):
        if gate.path.startswith("saturation.") and s.ramp is None:
            raise ConfigError(f"slo {gate.text!r}: {gate.path} is only measured with --ramp (ramp: in a scenario)")
    if s.name is not None and (len(s.name) > 30 or not DNS1123_LABEL.match(s.name)):
        raise ConfigError(f"name: {s.name!r} must be a lowercase RFC 1123 label of at most 30 characters")


def check_twin_only(s: RunSettings) -> None:
    """For a run: the twin's model settings must not be recorded as if they applied to a real cluster."""
    given = [name for name in TWIN_ONLY if getattr(s, name) is not None]
    if given and not s.embedded:
        flag = given[0].replace("_", "-")
        raise ConfigError(f"{flag} is only for the embedded twin (used without --kubeconfig, --context or --stack)")


def parse_ramp(text: str) -> tuple[float, float, float, float | None]:
    """START:STEP:EVERY[:MAX] -> (start/min, step/min, every seconds, max/min or None)."""
    parts = text.split(":")
    if len(parts) not in (3, 4):
        raise ConfigError(f"ramp: expected START:STEP:EVERY[:MAX], got {text!r}")
    try:
        start, step = float(parts[0]), float(parts[1])
        every = parse_duration(parts[2], "ramp EVERY")
        top = float(parts[3]) if len(parts) == 4 else None
    except ValueError:
        raise ConfigError(f"ramp: expected numbers in START:STEP:EVERY[:MAX], got {text!r}") from None
    if not all(math.isfinite(x) for x in (start, step, start if top is None else top)):
        raise ConfigError(f"ramp: START, STEP and MAX must be finite numbers, got {text!r}")
    if start <= 0 or step <= 0 or every <= 0 or (top is not None and top < start):
        raise ConfigError(f"ramp: START, STEP and EVERY must be > 0 and MAX >= START, got {text!r}")
    return start, step, every, top


def parse_min_max(text: str, key: str) -> tuple[int, int]:
    """MIN:MAX -> (min, max) with 0 <= min <= max."""
    try:
        low_s, high_s = text.split(":")
        low, high = int(low_s), int(high_s)
    except ValueError:
        raise ConfigError(f"{key}: expected MIN:MAX, got {text!r}") from None
    if low < 0 or high < low:
        raise ConfigError(f"{key}: expected 0 <= MIN <= MAX, got {text!r}")
    return low, high

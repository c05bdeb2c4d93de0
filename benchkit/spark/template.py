"""SparkApplication templates: load one, check it against the CRD schema, render it per job.

A template that cannot be read, is not YAML, is not a SparkApplication or fails the CRD's
openAPIV3Schema is a ConfigError, raised before anything is created.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import orjson
import yaml

from benchkit.errors import ConfigError
from benchkit.kube import labels
from benchkit.spark import crdschema, templates

GROUP = "sparkoperator.k8s.io"
VERSION = "v1beta2"
PLURAL = "sparkapplications"
API_VERSION = f"{GROUP}/{VERSION}"
KIND = "SparkApplication"
DEFAULT_TEMPLATE = "pi-sleep.yaml"
NAME_PREFIX = "bk"
RUN_KEY_LENGTH = 8
MAX_APP_NAME = 47
"""Kept short so `<name>-driver`, `<name>-ui-svc` and `<name>-exec-N` stay valid DNS-1035 labels (63)."""
EXECUTOR_PREFIX_CONF = "spark.kubernetes.executor.podNamePrefix"
TTL_FIELD = "timeToLiveSeconds"
"""Dropped in the keep scenario: the operator would delete each app that long after it ends."""
_SLEEP_ARG = 1  # arguments = [slices, seconds]


@dataclass(frozen=True)
class Template:
    """A validated SparkApplication template (a plain dict) and where it came from."""

    body: dict[str, Any]
    source: str


def load(path: Path | None = None) -> Template:
    """Read and validate a template; None means the packaged with-webhook (pi-sleep) template, and a path that
    is a packaged name (`templates.FILES`: with-webhook, without-webhook) that one."""
    packaged = templates.packaged_name(path)
    if packaged is not None or path is None:
        text, source = templates.read(packaged or templates.DEFAULT)
    else:
        try:
            text = path.read_text()
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"spark-template: cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None
        source = str(path)
    try:
        body = yaml.load(text, Loader=yaml.CSafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"spark-template {source}{where}: invalid YAML") from None
    if not isinstance(body, dict) or body.get("kind") != KIND or body.get("apiVersion") != API_VERSION:
        raise ConfigError(f"spark-template {source}: not a {API_VERSION} {KIND}")
    if not isinstance(body.get("spec"), dict):
        raise ConfigError(f"spark-template {source}: has no spec")
    body.setdefault("metadata", {})
    template = Template(body=body, source=source)
    # Validate what would be sent (names, labels and arguments filled in), not just the raw file.
    validate(render(template, run_id="validate", scenario="delete", seq=0, namespace="default", app_seconds=1))
    return template


def validate(app: dict[str, Any]) -> None:
    """Check a SparkApplication against the CRD's openAPIV3Schema; ConfigError names the field path."""
    error = jsonschema.exceptions.best_match(crdschema.validator().iter_errors(app))
    if error is not None:
        path = ".".join(str(p) for p in error.absolute_path) or "<root>"
        raise ConfigError(f"spark-template: {path}: {error.message} (SparkApplication CRD {VERSION} schema)")


def app_name(run_id: str, seq: int) -> str:
    """A DNS-safe name unique to (run, seq): `bk-<8 chars of the run id's hash>-<seq>`."""
    name = f"{NAME_PREFIX}-{run_key(run_id)}-{seq:05d}"
    if len(name) > MAX_APP_NAME:
        raise ConfigError(f"job sequence number {seq} makes the app name {name!r} too long")
    return name


def run_key(run_id: str) -> str:
    """8 lowercase base-36 characters identifying a run inside app names."""
    number = int.from_bytes(hashlib.sha256(run_id.encode()).digest()[:8], "big")
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = []
    for _ in range(RUN_KEY_LENGTH):
        number, rem = divmod(number, 36)
        out.append(digits[rem])
    return "".join(out)


def namespace_for(seq: int, namespaces: tuple[str, ...] | list[str]) -> str:
    """Round-robin over the run's namespaces, by job sequence number."""
    return namespaces[seq % len(namespaces)]


def render(template: Template, *, run_id: str, scenario: str, seq: int, namespace: str,
           app_seconds: float) -> dict[str, Any]:  # fmt: skip
    """The SparkApplication for job `seq` of a run (a fresh dict; the template is not modified).

    With scenario "keep", `spec.timeToLiveSeconds` is removed: every object must stay until the run ends.

    >>> render(t, run_id="20261121-101010-ab12", scenario="delete", seq=7, namespace="spark-team-b", app_seconds=30)
    """
    app: dict[str, Any] = orjson.loads(orjson.dumps(template.body))  # a deep copy, 10x faster than deepcopy
    name = app_name(run_id, seq)
    run_labels = labels.run_labels(run_id, scenario)
    old_meta = app.get("metadata") or {}
    app["metadata"] = {"name": name, "namespace": namespace, "labels": {**(old_meta.get("labels") or {}), **run_labels}}
    if old_meta.get("annotations"):
        app["metadata"]["annotations"] = old_meta["annotations"]
    spec = app["spec"]
    if scenario == "keep":
        spec.pop(TTL_FIELD, None)
    for role in ("driver", "executor"):
        part = spec.setdefault(role, {})
        part["labels"] = {**(part.get("labels") or {}), **run_labels}
    spec["sparkConf"] = {**(spec.get("sparkConf") or {}), EXECUTOR_PREFIX_CONF: name}
    arguments = [str(a) for a in spec.get("arguments") or []]
    while len(arguments) <= _SLEEP_ARG:
        arguments.append("1")
    arguments[_SLEEP_ARG] = f"{app_seconds:g}"
    spec["arguments"] = arguments
    return app


def time_to_live(template: Template, scenario: str) -> dict[str, Any]:
    """For the manifest: the template's `timeToLiveSeconds` and the one the apps carry (None with keep)."""
    ttl = template.body["spec"].get(TTL_FIELD)
    return {"template": ttl, "apps": None if scenario == "keep" else ttl}

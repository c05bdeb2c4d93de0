"""Pulumi mocks for the infra program: no CLI, no plugins, no cloud.

Follows /work/shared/reference/pulumi-testing-notes.md: a monitor without resource references
(pulumi/pulumi#6561: otherwise "attached to a different loop" fails ~1 run in 20), preview=False
(otherwise apply callbacks on unreturned outputs are silently skipped), a lock around the
registrations (new_resource runs on a thread pool), and lookups by type + name.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import pytest
from google.protobuf import json_format
from pulumi.runtime.mocks import MockMonitor
from pulumi.runtime.proto import resource_pb2
from pulumi.runtime.sync_await import _sync_await

PROJECT = "benchkit"
STACK = "test"
SECRET_SIG = "4dabf18193072939515e22adb298388d"  # pulumi's wire marker for a secret value
ACCOUNT = "123456789012"
FAKE_KUBECONFIG = {
    "apiVersion": "v1",
    "kind": "Config",
    "current-context": "bench",
    "clusters": [{"name": "bench", "cluster": {"server": "https://bench.eks.invalid"}}],
    "contexts": [{"name": "bench", "context": {"cluster": "bench", "user": "aws"}}],
    "users": [{"name": "aws", "user": {"exec": {"command": "aws", "args": ["eks", "get-token"]}}}],
}
FAKE_PASSWORD = "mock-grafana-password-0123"
# (name, zone ID) as DescribeAvailabilityZones answers; the name-to-ID mapping differs between accounts
DEFAULT_ZONES = (("us-west-2a", "usw2-az2"), ("us-west-2b", "usw2-az1"), ("us-west-2c", "usw2-az3"),
                 ("us-west-2d", "usw2-az4"))  # fmt: skip


@dataclass
class Registration:
    """One registered resource: what the mock saw plus what only the RPC request carries."""

    typ: str
    name: str
    inputs: dict[str, Any]
    custom: bool
    provider: str
    parent: str = ""
    dependencies: list[str] = field(default_factory=list)
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)
    ignore_changes: list[str] = field(default_factory=list)
    secret_inputs: set[str] = field(default_factory=set)
    urn: str = ""

    def depends_on(self, other: Registration) -> bool:
        """Explicit depends_on, or an input built from the other resource's outputs."""
        deps = set(self.dependencies) | {u for us in self.property_dependencies.values() for u in us}
        return other.urn in deps


class BenchMocks(pulumi.runtime.Mocks):
    """Records every registration; echoes inputs back as outputs plus the computed fields the program reads."""

    def __init__(self, zones: tuple[tuple[str, str], ...] = DEFAULT_ZONES) -> None:
        self._zones = zones
        self._lock = threading.Lock()
        self.resources: list[Registration] = []
        self.requests: dict[tuple[str, str], dict[str, Any]] = {}
        self.calls: list[str] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        with self._lock:
            extra = self.requests.get((args.typ, args.name), {})
            self.resources.append(
                Registration(args.typ, args.name, dict(args.inputs), args.custom, args.provider, **extra)
            )
        outputs = dict(args.inputs)
        outputs.setdefault("name", args.name)
        outputs.setdefault("arn", f"arn:aws:mock::{ACCOUNT}:{args.typ.split(':')[-1]}/{args.name}")
        if args.typ == "eks:index:Cluster":  # multi-language component: nothing inside it runs
            outputs["kubeconfigJson"] = json.dumps(FAKE_KUBECONFIG)
            outputs["kubeconfig"] = FAKE_KUBECONFIG
        if args.typ == "aws:ec2/launchTemplate:LaunchTemplate":
            outputs["latestVersion"] = 1
        if args.typ == "random:index/randomPassword:RandomPassword":
            outputs["result"] = FAKE_PASSWORD
        return f"{args.name}-id", outputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
        with self._lock:
            self.calls.append(args.token)
        if args.token == "aws:index/getAvailabilityZones:getAvailabilityZones":
            return {"names": [n for n, _ in self._zones], "zoneIds": [z for _, z in self._zones]}
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {"accountId": ACCOUNT, "arn": f"arn:aws:iam::{ACCOUNT}:user/ci", "userId": "AID", "id": ACCOUNT}
        if args.token == "aws:index/getPartition:getPartition":
            return {"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws", "reverseDnsPrefix": "com.amazonaws"}
        return {}

    def of_type(self, typ: str) -> list[Registration]:
        return [r for r in self.resources if r.typ == typ]

    def one(self, typ: str, name: str | None = None) -> Registration:
        found = [r for r in self.of_type(typ) if name is None or r.name == name]
        assert len(found) == 1, f"expected one {typ} {name or ''}, got {[r.name for r in found]}"
        return found[0]


def _secret_keys(struct: Any) -> set[str]:
    raw = json_format.MessageToDict(struct)

    def has_secret(value: Any) -> bool:
        if isinstance(value, dict):
            return (SECRET_SIG in value and value[SECRET_SIG] == "1b47061264138c4ac30d75fd1eb44270") or any(
                has_secret(v) for v in value.values()
            )
        if isinstance(value, list):
            return any(has_secret(v) for v in value)
        return False

    return {k for k, v in raw.items() if has_secret(v)}


class NoRefMonitor(MockMonitor):
    """MockMonitor without resource references (see module docstring) that also records what the
    RPC request carries and MockResourceArgs drops: dependencies, ignoreChanges, secret inputs."""

    def GetDeploymentInfo(self, request: Any) -> Any:
        info = super().GetDeploymentInfo(request)
        feats = [f for f in info.supportedFeatures if f != resource_pb2.RESOURCE_MONITOR_FEATURE_RESOURCE_REFERENCES]
        return resource_pb2.DeploymentInfo(supportedFeatures=feats)

    def SupportsFeature(self, request: Any) -> Any:
        if request.id == "resourceReferences":
            return type("SupportsFeatureResponse", (object,), {"hasSupport": False})
        return super().SupportsFeature(request)

    def RegisterResource(self, request: Any) -> Any:
        mocks = self.mocks
        assert isinstance(mocks, BenchMocks)
        with mocks._lock:
            mocks.requests[(request.type, request.name)] = {
                "parent": request.parent,
                "dependencies": list(request.dependencies),
                "property_dependencies": {k: list(v.urns) for k, v in request.propertyDependencies.items()},
                "ignore_changes": list(request.ignoreChanges),
                "secret_inputs": _secret_keys(request.object),
                "urn": self.make_urn(request.parent, request.type, request.name),
            }
        return super().RegisterResource(request)


@dataclass
class Built:
    """A program run: the registrations and the exported outputs (resolved, with their secretness)."""

    mocks: BenchMocks
    outputs: dict[str, Any]
    secret_outputs: set[str]


def resolve(value: Any) -> tuple[Any, bool]:
    """An exported value and whether it is secret (outputs resolve once the program has run)."""
    output = pulumi.Output.from_input(value)
    return _sync_await(output.future()), _sync_await(output.is_secret())


def run_program(
    config: dict[str, str],
    *,
    janitor_file: Path | None,
    region: str = "us-west-2",
    zones: tuple[tuple[str, str], ...] = DEFAULT_ZONES,
) -> Built:
    """Run infra/__main__.main() under fresh mocks with the given `benchkit:` config (strings)."""
    mocks = BenchMocks(zones)
    pulumi.runtime.set_mocks(mocks, project=PROJECT, stack=STACK, preview=False, monitor=NoRefMonitor(mocks))
    raw = ({"janitorCodePath": str(janitor_file)} if janitor_file else {}) | config
    all_config = {f"benchkit:{k}": v for k, v in raw.items()}
    if region:
        all_config["aws:region"] = region
    pulumi.runtime.set_all_config(all_config)
    from infra.__main__ import main

    exported: dict[str, Any] = {}

    @pulumi.runtime.test
    def program() -> None:
        exported.update(main())

    try:
        program()  # returns after every RegisterResource RPC completed
    finally:
        pulumi.runtime.set_all_config({})
    outputs, secret = {}, set()
    for key, value in exported.items():
        outputs[key], is_secret = resolve(value)
        if is_secret:
            secret.add(key)
    return Built(mocks, outputs, secret)


def _write_janitor(directory: Path) -> Path:
    # A stand-in handler: the real one is benchkit/capacity/janitor.py, written on the cost branch.
    path = directory / "janitor.py"
    path.write_text("def handler(event, context):\n    return {}\n")
    return path


@pytest.fixture
def build(tmp_path: Path) -> Callable[..., Built]:
    """A program run with the given config (the janitor code path points at a stand-in file)."""
    janitor = _write_janitor(tmp_path)

    def run(config: dict[str, str] | None = None, **kwargs: Any) -> Built:
        return run_program(config or {}, janitor_file=janitor, **kwargs)

    return run


@pytest.fixture(scope="module")
def default_stack(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """One run with every default (shared by the tests of a module: a run takes ~1 s)."""
    return run_program({}, janitor_file=_write_janitor(tmp_path_factory.mktemp("janitor")))

"""The Kubernetes side of capacity tests: the twin, a mirror of moto's node-group sizes onto it, a fake Pulumi CLI.

EKS adds or removes nodes when a node group's desired size changes; moto only stores the number. The
mirror plays EKS: it polls moto and scales the twin's group of the same name (`POST
/twin/v1/nodegroups/<group>/scale`), so nodes appear and leave in Kubernetes as on a real cluster.
"""

from __future__ import annotations

import json
import os
import stat
import sys
import threading
from pathlib import Path
from typing import Any

import boto3
import yaml

from benchkit.twin.process import TwinProcess

from .conftest import REGION, FakeStack


class NodeGroupMirror:
    """A thread that keeps the twin's node groups at moto's desired sizes."""

    def __init__(self, stack: FakeStack, twin: TwinProcess, interval: float = 0.1) -> None:
        self.stack, self.twin, self.interval = stack, twin, interval
        self.applied: dict[str, int] = {}
        self._eks = boto3.client("eks", region_name=REGION)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="nodegroup-mirror", daemon=True)

    def sync(self) -> None:
        for name in self.stack.node_groups.values():
            group = self._eks.describe_nodegroup(clusterName=self.stack.cluster, nodegroupName=name)["nodegroup"]
            desired = int(group["scalingConfig"]["desiredSize"])
            if self.applied.get(name) != desired:
                self.twin.admin("POST", f"nodegroups/{name}/scale", {"count": desired})
                self.applied[name] = desired

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.sync()

    def __enter__(self) -> NodeGroupMirror:
        self.sync()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


def fake_pulumi(bin_dir: Path, stack_name: str, outputs: dict[str, Any]) -> Path:
    """A `pulumi` executable that answers `pulumi stack output --json --show-secrets --stack <name>`."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    data = bin_dir / f"{stack_name}.json"
    data.write_text(json.dumps(outputs))
    script = bin_dir / "pulumi"
    script.write_text(
        f"#!{sys.executable}\n"
        "import sys\n"
        "if sys.argv[1:] == ['version']:\n"
        "    print('v3.272.0')\n"
        "    sys.exit(0)\n"
        f"if sys.argv[1:4] != ['stack', 'output', '--json'] or sys.argv[-1] != {stack_name!r}:\n"
        "    sys.exit('error: no stack named ' + sys.argv[-1])\n"
        f"print(open({str(data)!r}).read())\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return bin_dir


def stack_outputs(stack: FakeStack, twin: TwinProcess, lease_parameter: str) -> dict[str, Any]:
    """What infra/outputs.py exports, pointing at the moto cluster and the twin's API."""
    return {
        "clusterName": stack.cluster,
        "region": stack.region,
        "kubeconfig": yaml.safe_load(twin.kubeconfig.read_text()),
        "nodeGroups": dict(stack.node_groups),
        "sparkNamespaces": ["spark-team-a", "spark-team-b", "spark-team-c"],
        "leaseParameter": lease_parameter,
        "instanceTypes": dict(stack.instance_types),
    }


def path_with(bin_dir: Path) -> str:
    return f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"

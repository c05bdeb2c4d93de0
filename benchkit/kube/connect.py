"""Connect to the target cluster: a kubeconfig file (+ context), or a Pulumi stack's kubeconfig output.

This is the only way benchkit builds a Kubernetes client; it cannot tell EKS from the twin.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from kubernetes import client, config
from kubernetes.config.config_exception import ConfigException

from benchkit.errors import ConfigError
from benchkit.kube.stack import StackOutputs

DEFAULT_KUBECONFIG = Path("~/.kube/config")


@dataclass(frozen=True)
class Target:
    """A connected cluster: the API client plus what the manifest records about it (never credentials)."""

    api: client.ApiClient
    server: str
    context: str | None
    source: str
    """"kubeconfig:<path>" or "stack:<name>"."""


def connect(kubeconfig: Path | None = None, context: str | None = None, stack: StackOutputs | None = None) -> Target:
    """Build an ApiClient. Raises ConfigError (exit 2) for a missing file, bad YAML or unknown context."""
    if stack is not None:
        return _from_dict(stack.kubeconfig, context, f"stack:{stack.stack}")
    path = kubeconfig_path(kubeconfig)
    try:
        data = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise ConfigError(f"kubeconfig: cannot read {path}: {exc.strerror or exc}") from None
    except yaml.YAMLError:
        raise ConfigError(f"kubeconfig: {path} is not valid YAML") from None
    if not isinstance(data, dict):
        raise ConfigError(f"kubeconfig: {path} is not a kubeconfig")
    return _from_dict(data, context, f"kubeconfig:{path}")


def kubeconfig_path(kubeconfig: Path | None = None) -> Path:
    """The given file, else the first of $KUBECONFIG's files (os.pathsep-separated), else ~/.kube/config.

    kubectl merges every file in $KUBECONFIG; benchkit reads only the first (a context defined in a later
    file is reported as unknown).
    """
    if kubeconfig is None:
        listed = [p for p in os.environ.get("KUBECONFIG", "").split(os.pathsep) if p.strip()]
        kubeconfig = Path(listed[0]) if listed else DEFAULT_KUBECONFIG
    return kubeconfig.expanduser()


def _from_dict(data: dict[str, Any], context: str | None, source: str) -> Target:
    contexts = {c.get("name") for c in data.get("contexts") or []}
    if context is not None and context not in contexts:
        raise ConfigError(f"kubeconfig: no context {context!r} (have: {', '.join(sorted(map(str, contexts)))})")
    configuration = client.Configuration()
    try:
        config.load_kube_config_from_dict(data, context=context, client_configuration=configuration)
    except (ConfigException, ValueError, TypeError) as exc:
        raise ConfigError(f"kubeconfig ({source}): {' '.join(str(exc).split())}") from None
    return Target(api=client.ApiClient(configuration), server=configuration.host, context=context, source=source)

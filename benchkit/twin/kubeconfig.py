"""The kubeconfig the twin writes when ready: one cluster (its CA inline), one token user, one context."""

from __future__ import annotations

import base64
import os
import tempfile
from pathlib import Path
from typing import Any

import yaml

CONTEXT = "benchkit-twin"


def kubeconfig(server: str, ca_pem: bytes, token: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": CONTEXT,
                "cluster": {"server": server, "certificate-authority-data": base64.b64encode(ca_pem).decode()},
            }
        ],
        "users": [{"name": CONTEXT, "user": {"token": token}}],
        "contexts": [{"name": CONTEXT, "context": {"cluster": CONTEXT, "user": CONTEXT}}],
        "current-context": CONTEXT,
        "preferences": {},
    }


def write(path: Path, config: dict[str, Any]) -> None:
    """Write atomically (temp file + rename), mode 0600: a reader sees no file or a whole one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".kubeconfig-", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as fh:
            yaml.safe_dump(config, fh, sort_keys=False)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def is_twins(path: Path) -> bool:
    """Whether `path` is empty or a kubeconfig the twin wrote: one context, named CONTEXT, and current."""
    try:
        text = path.read_text()
        data = yaml.safe_load(text)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return False
    if not text.strip():
        return True
    if not isinstance(data, dict) or not isinstance(data.get("contexts"), list):
        return False
    names = [c.get("name") for c in data["contexts"] if isinstance(c, dict)]
    return data.get("current-context") == CONTEXT and names == [CONTEXT]


def read(path: Path) -> tuple[str, str, bytes]:
    """(server URL, token, CA PEM) of a kubeconfig the twin wrote."""
    data = yaml.safe_load(path.read_text())
    cluster = data["clusters"][0]["cluster"]
    return cluster["server"], data["users"][0]["user"]["token"], base64.b64decode(cluster["certificate-authority-data"])

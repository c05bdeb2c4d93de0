"""`manifest.json`: what was run, with what, against what. Never a credential.

Settings, benchkit version and git SHA, the target (server URL, context, server version, nodes and
instance types by NodeGroupType, the operator's chart, image, workers and webhook when visible), the
embedded twin's model settings.
Tokens, passwords, certificates and kubeconfig contents never reach it: keys that name them are
dropped, and the serialized text is checked against the run's actual secrets before it is written.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import orjson

from benchkit import __version__, clock

MANIFEST_FILE = "manifest.json"
_SECRET_KEY = re.compile(r"token|password|secret|credential|private|cert|key[-_]?data|api[-_]?key|authorization",
                         re.IGNORECASE)  # fmt: skip


class ManifestLeak(RuntimeError):
    """A secret was about to be written to manifest.json (a bug: refuse to write it)."""


def build(*, run_id: str, settings: dict[str, Any], target: dict[str, Any], twin: dict[str, Any] | None,
          extra: dict[str, Any] | None = None) -> dict[str, Any]:  # fmt: skip
    scrubbed: dict[str, Any] = _scrub({
        "run_id": run_id,
        "created": clock.iso(clock.wall()),
        "benchkit": {"version": __version__, "git_sha": git_sha()},
        "settings": settings,
        "target": target,
        "embedded_twin": twin,
        **(extra or {}),
    })  # fmt: skip
    return scrubbed


def write(run_dir: Path | str, manifest: dict[str, Any], secrets: Iterable[str] = ()) -> Path:
    """Write manifest.json, refusing if any of `secrets` (tokens, passwords) appears in it."""
    text = orjson.dumps(manifest, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)
    for secret in secrets:
        if secret and len(secret) >= 8 and secret.encode() in text:
            raise ManifestLeak("refusing to write manifest.json: it would contain a credential")
    path = Path(run_dir) / MANIFEST_FILE
    tmp = path.with_suffix(".json.tmp")
    tmp.write_bytes(text + b"\n")
    os.replace(tmp, path)
    return path


def git_sha() -> str | None:
    """The commit of the benchkit checkout (None when installed from a wheel or git is missing)."""
    here = Path(__file__).resolve().parent
    try:
        proc = subprocess.run(["git", "-C", str(here), "rev-parse", "HEAD"], capture_output=True, text=True,
                              timeout=5, check=False)  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    sha = proc.stdout.strip()
    return sha if proc.returncode == 0 and re.fullmatch(r"[0-9a-f]{40}", sha) else None


def _scrub(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _scrub(v) for k, v in value.items() if not _SECRET_KEY.search(str(k))}
    if isinstance(value, list | tuple):
        return [_scrub(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value

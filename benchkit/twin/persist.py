"""`--state-dir`: the store, the resourceVersion counter, the TLS credentials and the token survive a restart.

Credentials and the token are written at start (so a killed twin's kubeconfig stays valid on restart);
objects, transitions and node-group sizes on a clean stop (SIGTERM/SIGINT). `meta.json` is written last
and names what the other files hold, so a half-written save is ignored.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from benchkit.twin.resources import ALL
from benchkit.twin.store import Store
from benchkit.twin.tls import Credentials

META = "meta.json"


def _write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def load_credentials(state_dir: Path) -> tuple[Credentials, str] | None:
    files = [state_dir / n for n in ("ca.crt", "tls.crt", "tls.key", "token")]
    if not all(f.exists() for f in files):
        return None
    ca, cert, key, token = (f.read_bytes() for f in files)
    return Credentials(ca, cert, key), token.decode().strip()


def save_credentials(state_dir: Path, creds: Credentials, token: str) -> None:
    state_dir.mkdir(parents=True, exist_ok=True)
    _write(state_dir / "ca.crt", creds.ca_pem)
    _write(state_dir / "tls.crt", creds.cert_pem)
    _write(state_dir / "tls.key", creds.key_pem)
    _write(state_dir / "token", token.encode())
    for name in ("tls.key", "token"):
        (state_dir / name).chmod(0o600)


def save_objects(state_dir: Path, store: Store, transitions: list[dict[str, Any]], node_groups: dict[str, int]) -> None:
    (state_dir / META).unlink(missing_ok=True)
    for r in ALL:
        lines = [rec.raw for rec in store.records(r)]
        _write(state_dir / f"{r.plural}.jsonl", b"\n".join(lines) + (b"\n" if lines else b""))
    _write(state_dir / "transitions.jsonl", b"".join(orjson.dumps(t) + b"\n" for t in transitions))
    meta = {"resourceVersion": store.rv, "nodeGroups": node_groups, "resources": [r.plural for r in ALL]}
    _write(state_dir / META, orjson.dumps(meta))


def _lines(path: Path) -> Iterator[bytes]:
    with path.open("rb") as fh:
        for raw in fh:
            line = raw.rstrip(b"\n")
            if line:
                yield line


def load_objects(state_dir: Path, history: int) -> tuple[Store, list[dict[str, Any]], dict[str, int]] | None:
    """The saved store (its history empty and compacted at the saved version), transitions, node-group sizes."""
    meta_path = state_dir / META
    if not meta_path.exists():
        return None
    meta = orjson.loads(meta_path.read_bytes())
    store = Store(history, rv=int(meta["resourceVersion"]))
    for r in ALL:
        path = state_dir / f"{r.plural}.jsonl"
        if path.exists():
            store.load(r, _lines(path))
    transitions_path = state_dir / "transitions.jsonl"
    transitions = [orjson.loads(line) for line in _lines(transitions_path)] if transitions_path.exists() else []
    return store, transitions, {str(k): int(v) for k, v in meta.get("nodeGroups", {}).items()}

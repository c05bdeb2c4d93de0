"""benchkit.load.gevent_first: importing it patches the process with gevent, and leaves the standard library's
`importlib.metadata.entry_points` as it found it (it only stands in for it while gevent looks for plugins)."""

from __future__ import annotations

import subprocess
import sys

from tests.run.conftest import REPO

PROBE = """
from importlib import metadata
original = metadata.entry_points
import benchkit.load.gevent_first
import gevent.monkey
assert metadata.entry_points is original, metadata.entry_points
assert gevent.monkey.is_module_patched("socket") and gevent.monkey.is_module_patched("ssl")
import socket, gevent.socket
assert socket.socket is gevent.socket.socket
print("ok")
"""


def test_it_patches_the_process_and_restores_entry_points() -> None:
    # a fresh interpreter: the pytest process must never be monkey-patched
    proc = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, cwd=REPO, timeout=60,
                          check=False)  # fmt: skip
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr

"""`benchkit twin` with the FakeModel test double instead of the real model (for server-only tests)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import fake_model

from benchkit.cli import main
from benchkit.twin import server

server.default_factory = lambda: fake_model.factory  # type: ignore[assignment]
main(["twin", *sys.argv[1:]])

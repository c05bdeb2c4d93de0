"""Session fixtures: the shared twin + Prometheus + real runs (tests/observekit.py), built once per session."""

from __future__ import annotations

import observekit
import pytest


@pytest.fixture(scope="session")
def observed() -> observekit.Environment:
    return observekit.environment()

"""Twin fixtures: one shared twin (real HTTPS, real CLI in a child process) for most tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from benchkit.twin.process import TwinProcess

from .helpers import Clients


def make_twin(**options: object) -> TwinProcess:
    return TwinProcess(**options)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def twin() -> Iterator[TwinProcess]:
    with make_twin(nodes=20, bookmark_every=1.0, profile="fast") as proc:
        yield proc


@pytest.fixture(scope="session")
def k8s(twin: TwinProcess) -> Clients:
    return Clients(twin)

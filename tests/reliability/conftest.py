"""The fault suite (`make test-faults`, also part of `make test`): the real CLI in subprocesses against a twin.

Every test here is marked `faults` and asserts exact numbers. Helpers are the end-to-end ones of tests/run.
"""

from __future__ import annotations

from tests.run.conftest import make_twin

__all__ = ["make_twin"]  # the fixture: a twin per test, stopped at the end

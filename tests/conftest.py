"""Project-wide test guards.

* No test may reach real AWS: credentials are fake, any AWS endpoint variable must be on loopback, and
  every botocore request this process sends (whatever client made it) is refused unless its host is
  loopback (`RealAwsRequest`; the test then fails even if the code under test swallowed the error).
* No test may monkey-patch the pytest process with gevent (importing locust does that): Locust runs
  in subprocesses (`benchkit run ...`), so the twin, the tracker and everything else here run on
  plain threads and sockets, as they do in production.

Under pytest-xdist (`make test`: `-n logical --dist loadgroup`) each worker is its own process, so both
guards hold per worker; `pytest_collection_modifyitems` keeps tests that share an expensive fixture on one
worker (see `xdist_group_of`).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlparse

import botocore.endpoint
import pytest

_FAKE_AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-west-2",
    "AWS_CONFIG_FILE": "/dev/null",
    "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
}
os.environ.update(_FAKE_AWS)
os.environ.pop("AWS_PROFILE", None)


LOOPBACK = ("127.0.0.1", "localhost", "::1")
SHARED_ENVIRONMENT = "observed"
"""The session fixture of tests/observe and tests/report (tests/observekit.py: a twin, Prometheus, three runs)."""


class RealAwsRequest(RuntimeError):
    """A botocore request to a host that is not loopback: without an endpoint override it would reach AWS."""


class AwsGuard:
    """Wraps `botocore.endpoint.Endpoint._send`, the one call every boto3 client's requests go through."""

    def __init__(self) -> None:
        self.blocked: list[str] = []
        """URLs refused since the last check (a test that proves the guard clears it)."""

    def wrap(self, send: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
        def loopback_only(endpoint: Any, request: Any) -> Any:
            if urlparse(request.url).hostname not in LOOPBACK:
                self.blocked.append(request.url)
                raise RealAwsRequest(f"a test sent an AWS request to {request.url}: only loopback endpoints "
                                     "(the moto server) are allowed")  # fmt: skip
            return send(endpoint, request)

        return loopback_only


def _assert_loopback_aws() -> None:
    for key, value in os.environ.items():
        if key.startswith("AWS_ENDPOINT_URL") and value:
            host = urlparse(value).hostname
            if host not in LOOPBACK:
                pytest.exit(f"refusing to run: {key}={value} points outside loopback", returncode=2)


@pytest.fixture(scope="session", autouse=True)
def aws_guard() -> Iterator[AwsGuard]:
    guard = AwsGuard()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(botocore.endpoint.Endpoint, "_send", guard.wrap(botocore.endpoint.Endpoint._send))
        yield guard


@pytest.fixture(autouse=True)
def _guards(aws_guard: AwsGuard) -> Iterator[None]:
    _assert_loopback_aws()
    yield
    _assert_loopback_aws()
    blocked, aws_guard.blocked[:] = list(aws_guard.blocked), []
    if blocked:
        pytest.fail(f"the test sent AWS requests outside loopback (refused): {', '.join(blocked[:3])}")
    if "gevent.monkey" in sys.modules:
        import gevent.monkey

        assert not gevent.monkey.is_module_patched("socket"), (
            "a test imported locust/gevent into the pytest process; run Locust in a subprocess instead"
        )


def xdist_group_of(item: pytest.Item) -> str | None:
    """The xdist group that keeps a test on the worker that holds the expensive fixture it shares.

    Tests using the shared observation environment all go to one worker (it is built once there, not once
    per worker); tests using a module-, package- or class-scoped fixture go with the rest of their module (it
    is built once). Every other test is scheduled on its own, on whichever worker is free.
    """
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return None
    if SHARED_ENVIRONMENT in info.names_closure:
        return "observekit"
    for name in info.names_closure:
        for fixturedef in info.name2fixturedefs.get(name, ()):
            if fixturedef.scope in ("module", "package", "class"):
                return item.nodeid.split("::", 1)[0]
    return None


@pytest.hookimpl(tryfirst=True)  # before xdist reads the marks (--dist loadgroup)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not config.pluginmanager.hasplugin("xdist"):  # `-p no:xdist`: the mark is not even registered
        return
    for item in items:
        if not any(True for _ in item.iter_markers("xdist_group")) and (group := xdist_group_of(item)):
            item.add_marker(pytest.mark.xdist_group(group))


class _SharedEnvironmentUsers:
    """Counts down the tests of this session that use the shared observation environment, so it is stopped
    after the last of them rather than at the session's end: its Prometheus scrapes its twin every second, and
    in a parallel run the other tests go on for minutes after the observed ones finished (~60 s of CPU)."""

    left = 0


def _uses_shared_environment(item: pytest.Item) -> bool:
    info = getattr(item, "_fixtureinfo", None)
    return info is not None and SHARED_ENVIRONMENT in info.names_closure


def pytest_collection_finish(session: pytest.Session) -> None:
    # every xdist worker collects every test; only the one given the "observekit" group runs these, and only
    # that one builds the environment (on first use), so only there does the count reach 0 with it to stop
    _SharedEnvironmentUsers.left = sum(1 for item in session.items if _uses_shared_environment(item))


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    if _uses_shared_environment(item):
        _SharedEnvironmentUsers.left -= 1
        if _SharedEnvironmentUsers.left == 0:
            import observekit  # as the fixtures import it: one module, one environment

            observekit.close()

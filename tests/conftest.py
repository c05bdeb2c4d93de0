"""Project-wide test guards.

* No test may reach real AWS: credentials are fake, any AWS endpoint variable must be on loopback, and
  every botocore request this process sends (whatever client made it) is refused unless its host is
  loopback (`RealAwsRequest`; the test then fails even if the code under test swallowed the error).
* No test may monkey-patch the pytest process with gevent (importing locust does that): Locust runs
  in subprocesses (`benchkit run ...`), so the twin, the tracker and everything else here run on
  plain threads and sockets, as they do in production.
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

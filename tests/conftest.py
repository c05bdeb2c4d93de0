"""Project-wide test guards.

* No test may reach real AWS: credentials are fake and any AWS endpoint must be on loopback.
* No test may monkey-patch the pytest process with gevent (importing locust does that): Locust runs
  in subprocesses (`benchkit run ...`), so the twin, the tracker and everything else here run on
  plain threads and sockets, as they do in production.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from urllib.parse import urlparse

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


def _assert_loopback_aws() -> None:
    for key, value in os.environ.items():
        if key.startswith("AWS_ENDPOINT_URL") and value:
            host = urlparse(value).hostname
            if host not in ("127.0.0.1", "localhost", "::1"):
                pytest.exit(f"refusing to run: {key}={value} points outside loopback", returncode=2)


@pytest.fixture(autouse=True)
def _guards() -> Iterator[None]:
    _assert_loopback_aws()
    yield
    _assert_loopback_aws()
    if "gevent.monkey" in sys.modules:
        import gevent.monkey

        assert not gevent.monkey.is_module_patched("socket"), (
            "a test imported locust/gevent into the pytest process; run Locust in a subprocess instead"
        )

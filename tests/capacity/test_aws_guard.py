"""The test suite's AWS guard (tests/conftest.py) trips on a request that would leave the machine."""

from __future__ import annotations

import os
import time

import boto3
import pytest

from benchkit.capacity import lease


def _no_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in [k for k in os.environ if k.startswith("AWS_ENDPOINT_URL")]:
        monkeypatch.delenv(key)


def test_a_client_without_an_endpoint_override_is_stopped_before_the_network(
    monkeypatch: pytest.MonkeyPatch, aws_guard: object
) -> None:
    _no_endpoint(monkeypatch)
    client = boto3.client("ssm", region_name="us-west-2")
    started = time.monotonic()
    with pytest.raises(RuntimeError, match=r"sent an AWS request to https://ssm\.us-west-2\.amazonaws\.com/"):
        client.get_parameter(Name="/benchkit/x/lease")
    assert time.monotonic() - started < 5  # refused at once: no retries, no DNS, no connection
    blocked = aws_guard.blocked  # type: ignore[attr-defined]
    assert blocked == ["https://ssm.us-west-2.amazonaws.com/"]
    blocked.clear()  # proven: do not fail this test for it


def test_benchkit_clients_hit_the_same_guard(monkeypatch: pytest.MonkeyPatch, aws_guard: object) -> None:
    """benchkit builds its own clients (capacity/aws.py); they are refused the same way, and the request is
    recorded so that the test fails even where benchkit catches the error."""
    _no_endpoint(monkeypatch)
    with pytest.raises(RuntimeError, match="only loopback endpoints"):
        lease.busy("/benchkit/x/lease", "eu-west-1")
    blocked = aws_guard.blocked  # type: ignore[attr-defined]
    assert blocked == ["https://ssm.eu-west-1.amazonaws.com/"]
    blocked.clear()

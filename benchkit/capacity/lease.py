"""The run's side of the dead-man's switch: an SSM lease per stack, renewed every minute while a run is active.

If benchkit dies (laptop closed, kill -9), renewals stop, the lease expires, and the janitor Lambda scales
the bench node group to zero. The lease format is defined in `janitor.py` (the Lambda's only file).
Releasing overwrites the lease with an expired one: infra creates the parameter and keeps owning it.
"""

from __future__ import annotations

import getpass
import json
import os
import socket
import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from benchkit.capacity import aws, janitor
from benchkit.capacity.periodic import Periodic
from benchkit.errors import ApiError, ConfigError

LEASE_TTL_S = 300.0
"""How long a lease outlives its last renewal: the janitor (every 5 min) acts at most ~10 min after a crash."""
RENEW_EVERY_S = 60.0


def parameter_name(stack: str) -> str:
    """The stack's lease parameter, as infra creates and grants it (`leaseParameter` stack output)."""
    return f"/benchkit/{stack}/lease"


def default_holder() -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname()} pid {os.getpid()}"


class Lease:
    """One run's lease on one stack.

    >>> lease = Lease("/benchkit/dev/lease", run_id="20260101-120000-ab12", region="us-west-2")
    >>> lease.acquire()   # refuses if another run holds an unexpired lease
    >>> lease.renew()     # every RENEW_EVERY_S (see LeaseKeeper)
    >>> lease.release()
    """

    def __init__(
        self,
        parameter: str,
        run_id: str,
        *,
        region: str | None = None,
        holder: str | None = None,
        ttl: float = LEASE_TTL_S,
        ssm: Any = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.parameter = parameter
        self.run_id = run_id
        self.holder = holder or default_holder()
        self.ttl = ttl
        self.expires: float | None = None
        self._ssm = ssm if ssm is not None else aws.client("ssm", region)
        self._clock = clock

    def current(self) -> str | None:
        """The parameter's raw value, or None when there is no lease."""
        try:
            return str(self._ssm.get_parameter(Name=self.parameter)["Parameter"]["Value"])
        except ClientError as exc:
            if aws.error_code(exc) == "ParameterNotFound":
                return None
            raise aws.translate(exc, f"reading lease {self.parameter}") from None
        except BotoCoreError as exc:
            raise aws.translate(exc, f"reading lease {self.parameter}") from None

    def acquire(self) -> None:
        """Take the lease. ConfigError (exit 2, before anything starts) if another run holds a valid one."""
        value = self.current()
        state, why = janitor.lease_state(value, self._clock())
        lease = janitor.parse_lease(value)
        if state == janitor.VALID and lease is not None and lease.get("run_id") != self.run_id:
            raise ConfigError(f"stack is busy: {why} ({self.parameter}); wait for it, or end it with benchkit teardown")
        self._write()

    def renew(self) -> None:
        """Push the expiry forward. ApiError if the lease was taken over by another run meanwhile."""
        lease = janitor.parse_lease(self.current())
        owner = None if lease is None else lease.get("run_id")
        if owner != self.run_id:
            why = f"now belongs to run {owner}" if owner else "was released or removed (a teardown?)"
            raise ApiError(f"lease {self.parameter} {why}; not renewing")
        self._write()

    def release(self) -> bool:
        """Mark the lease released (expired, no run) if it is still ours. True if released.

        The parameter itself stays: infra creates it (with an expired placeholder) and owns it.
        """
        lease = janitor.parse_lease(self.current())
        if lease is None or lease.get("run_id") != self.run_id:
            return False
        _put(self._ssm, self.parameter, released_value(self.holder))
        self.expires = None
        return True

    def _write(self) -> None:
        expires = self._clock() + self.ttl
        _put(self._ssm, self.parameter, json.dumps({"run_id": self.run_id, "holder": self.holder,
                                                    "expires": round(expires, 3)}))  # fmt: skip
        self.expires = expires


def released_value(holder: str) -> str:
    """What a released lease holds: no run, expired (the janitor treats it like a missing lease)."""
    return json.dumps({"run_id": None, "holder": holder, "expires": 0})


def _put(ssm: Any, parameter: str, value: str) -> None:
    try:
        ssm.put_parameter(Name=parameter, Value=value, Type="String", Overwrite=True)
    except (ClientError, BotoCoreError) as exc:
        raise aws.translate(exc, f"writing lease {parameter}") from None


def busy(parameter: str, region: str | None, mine: str | None = None, *, ssm: Any = None,
         now: float | None = None) -> str | None:  # fmt: skip
    """Why the stack is busy: a valid lease held by anyone but `mine` (e.g. "lease held by run X (...) for
    240 s more"); None when the lease is free or ours."""
    value = Lease(parameter, mine or "", region=region, ssm=ssm).current()
    state, why = janitor.lease_state(value, time.time() if now is None else now)
    held = janitor.parse_lease(value)
    if state != janitor.VALID or held is None or (mine is not None and held.get("run_id") == mine):
        return None
    return why


def clear(parameter: str, region: str | None, run_id: str | None = None, ssm: Any = None) -> str | None:
    """Teardown's part: release the lease held by any run (or only by `run_id`). Returns the run it released."""
    client = ssm if ssm is not None else aws.client("ssm", region)
    value = Lease(parameter, run_id or "", ssm=client).current()
    if value is None:
        return None
    lease = janitor.parse_lease(value)
    held_by = "(unreadable lease)" if lease is None else lease.get("run_id")
    if held_by is None or (run_id is not None and held_by != run_id):
        return None
    _put(client, parameter, released_value(f"benchkit teardown, {default_holder()}"))
    return str(held_by)


class LeaseKeeper:
    """Acquire on start, renew on a background thread every `every` seconds, release on stop.

    Renewal failures are passed to `on_error` and retried at the next tick: the janitor only acts once
    the lease has actually expired, so a few failed renewals cost nothing.
    """

    def __init__(self, lease: Lease, every: float = RENEW_EVERY_S,
                 on_error: Callable[[Exception], None] | None = None) -> None:  # fmt: skip
        self.lease = lease
        self.every = every
        self.renewals = 0
        self._loop = Periodic("benchkit-lease", every, self._renew, on_error=on_error)
        self.failures = self._loop.errors
        """One line per failed renewal."""

    def start(self) -> None:
        self.lease.acquire()
        self._loop.start()

    def stop(self) -> bool:
        """Stop renewing and release. True if the lease was released."""
        self._loop.stop()
        return self.lease.release()

    def _renew(self) -> None:
        self.lease.renew()
        self.renewals += 1

    def __enter__(self) -> LeaseKeeper:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

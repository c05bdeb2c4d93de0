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
from collections.abc import Callable, Collection
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from benchkit.capacity import aws, janitor
from benchkit.capacity.periodic import Periodic
from benchkit.errors import ApiError, BenchkitError, ConfigError

LEASE_TTL_S = 300.0
"""How long a lease outlives its last renewal: the janitor (every 5 min) acts at most ~10 min after a crash."""
RENEW_EVERY_S = 60.0
CONFIRM_PAUSE_S = 0.5
"""Before the second read-back of a freshly written lease: time for a writer that lost a race to put ours back."""


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

    SSM has no compare-and-set, so every write is checked: the version PutParameter returns must follow the
    one read (else another writer came in between: its value is put back and we step aside), and the value
    read back afterwards must be ours.
    """

    def __init__(
        self,
        parameter: str,
        run_id: str,
        *,
        region: str | None = None,
        holder: str | None = None,
        ttl: float = LEASE_TTL_S,
        takes_over: Collection[str] = (),
        ssm: Any = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.parameter = parameter
        self.run_id = run_id
        self.holder = holder or default_holder()
        self.ttl = ttl
        self.takes_over = frozenset(takes_over)
        """Holders (run ids) whose valid lease this one may take over: a run takes over a `nodes scale` hold."""
        self.took_over: dict[str, Any] | None = None
        """The valid lease this one replaced, handed back on release while it has time left."""
        self.expires: float | None = None
        self._ssm = ssm if ssm is not None else aws.client("ssm", region)
        self._clock, self._sleep = clock, sleep

    def current(self) -> str | None:
        """The parameter's raw value, or None when there is no lease."""
        return self._read()[1]

    def acquire(self) -> None:
        """Take the lease. ConfigError (exit 2, before anything starts) if another run holds a valid one."""
        version, value = self._read()
        state, why = janitor.lease_state(value, self._clock())
        lease = janitor.parse_lease(value)
        owner = None if lease is None else lease.get("run_id")
        if state == janitor.VALID and owner != self.run_id:
            if owner not in self.takes_over:
                raise ConfigError(f"stack is busy: {why} ({self.parameter}); wait for it, or end it with "
                                  "benchkit teardown")  # fmt: skip
            self.took_over = lease
        self._checked_write(version, ConfigError)
        self._confirm()

    def renew(self) -> None:
        """Push the expiry forward. ApiError if the lease was taken over by another run meanwhile."""
        version, value = self._read()
        lease = janitor.parse_lease(value)
        owner = None if lease is None else lease.get("run_id")
        if owner != self.run_id:
            why = f"now belongs to {who(owner)}" if owner else "was released or removed (a teardown?)"
            raise ApiError(f"lease {self.parameter} {why}; not renewing")
        self._checked_write(version, ApiError)

    def release(self, hand_back: bool = True) -> bool:
        """Mark the lease released (expired, no run) if it is still ours. True if released.

        A `nodes scale` hold this lease took over goes back to its holder while it has time left (unless
        `hand_back` is False: the nodes were torn down). The parameter itself stays: infra creates it (with
        an expired placeholder) and owns it.
        """
        lease = janitor.parse_lease(self.current())
        if lease is None or lease.get("run_id") != self.run_id:
            return False
        prior = self.took_over
        if hand_back and prior is not None and float(prior["expires"]) > self._clock():
            _put(self._ssm, self.parameter, json.dumps(prior))
        else:
            _put(self._ssm, self.parameter, released_value(self.holder))
            self.took_over = None
        self.expires = None
        return True

    def _read(self) -> tuple[int, str | None]:
        """(version, value); (0, None) when there is no lease parameter."""
        try:
            found = self._ssm.get_parameter(Name=self.parameter)["Parameter"]
        except ClientError as exc:
            if aws.error_code(exc) == "ParameterNotFound":
                return 0, None
            raise aws.translate(exc, f"reading lease {self.parameter}") from None
        except BotoCoreError as exc:
            raise aws.translate(exc, f"reading lease {self.parameter}") from None
        return int(found.get("Version", 0)), str(found["Value"])

    def _checked_write(self, read_version: int, error: type[BenchkitError]) -> None:
        """Write our lease; if another writer came between our read and this write, put its value back."""
        expires = self._clock() + self.ttl
        value = json.dumps({"run_id": self.run_id, "holder": self.holder, "expires": round(expires, 3)})
        written = _put(self._ssm, self.parameter, value)
        if written is not None and written != read_version + 1:
            theirs = self._version(written - 1)
            if theirs is not None:
                _put(self._ssm, self.parameter, theirs)
            owner = (janitor.parse_lease(theirs) or {}).get("run_id")
            raise error(f"stack is busy: {who(owner)} wrote the lease {self.parameter} at the same moment; "
                        "try again")  # fmt: skip
        self.expires = expires

    def _confirm(self) -> None:
        """Read back: the lease must be ours (a writer that lost a race puts ours back, so look twice)."""
        for attempt in range(2):
            owner = (janitor.parse_lease(self.current()) or {}).get("run_id")
            if owner == self.run_id:
                return
            if attempt == 0:
                self._sleep(CONFIRM_PAUSE_S)
        self.expires = None
        raise ConfigError(f"stack is busy: {who(owner)} took the lease {self.parameter} at the same moment; "
                          "try again")  # fmt: skip

    def _version(self, version: int) -> str | None:
        try:
            return str(self._ssm.get_parameter(Name=f"{self.parameter}:{version}")["Parameter"]["Value"])
        except (ClientError, BotoCoreError):
            return None


def who(run_id: object) -> str:
    """How messages name a lease holder: `run X`, or `benchkit nodes scale` for a hold."""
    if run_id is None:
        return "another benchkit"
    return "`benchkit nodes scale`" if run_id == janitor.NODES_SCALE else f"run {run_id}"


def released_value(holder: str) -> str:
    """What a released lease holds: no run, expired (the janitor treats it like a missing lease)."""
    return json.dumps({"run_id": None, "holder": holder, "expires": 0})


def _put(ssm: Any, parameter: str, value: str) -> int | None:
    """Write the parameter; the new version (None if the answer had none)."""
    try:
        answer = ssm.put_parameter(Name=parameter, Value=value, Type="String", Overwrite=True)
    except (ClientError, BotoCoreError) as exc:
        raise aws.translate(exc, f"writing lease {parameter}") from None
    version = answer.get("Version") if isinstance(answer, dict) else None
    return int(version) if version is not None else None


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


def hold(parameter: str, region: str | None, seconds: float, *, ssm: Any = None) -> Lease:
    """`benchkit nodes scale --to N`: hold the stack for `seconds`, so the janitor leaves its nodes alone.

    ConfigError (exit 2) while a run holds a valid lease. A hold already there is replaced: the latest
    `nodes scale` sets the expiry. A run takes the hold over (and hands it back when it ends).
    """
    lease = Lease(parameter, janitor.NODES_SCALE, region=region, ttl=seconds, ssm=ssm)
    lease.acquire()
    return lease


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

    def stop(self, hand_back: bool = True) -> bool:
        """Stop renewing and release (see Lease.release). True if the lease was released."""
        self._loop.stop()
        return self.lease.release(hand_back)

    def _renew(self) -> None:
        self.lease.renew()
        self.renewals += 1

    def __enter__(self) -> LeaseKeeper:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

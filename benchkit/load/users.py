"""The Locust user: a dispatcher over its process's share of the global schedule.

Users do not pace themselves (no per-user sleep between creates, unlike the data-on-eks kit): they
take the next due slot, sleep until it is due and hand it to a greenlet. More users only add
dispatchers; the rate is the schedule's.
"""

from __future__ import annotations

import gevent
from locust import User, constant, task
from locust.exception import StopUser

from benchkit.load.submitter import Submitter

SUBMITTER_ATTR = "benchkit_submitter"
"""The Environment attribute holding this process's Submitter (set at test start)."""


def submitter_of(environment: object) -> Submitter | None:
    sub = getattr(environment, SUBMITTER_ATTR, None)
    return sub if isinstance(sub, Submitter) else None


class SparkApplicationUser(User):
    """Submits SparkApplications on the open-model schedule (see benchkit.load.schedule)."""

    wait_time = constant(0)

    @task
    def submit_next(self) -> None:
        submitter = submitter_of(self.environment)
        if submitter is None:  # a worker whose test_start has not run yet
            gevent.sleep(0.05)
            return
        slot = submitter.next_slot()
        if slot is None:
            raise StopUser
        submitter.dispatch(slot)

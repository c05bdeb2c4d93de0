"""Plain Locust entry point, for Locust's own CLI and web UI:

    locust -f benchkit/locustfile.py --headless -u 3 --jobs-per-min 600 --total-jobs 300 --kubeconfig kc
    locust -f benchkit/locustfile.py --processes 4 ...        (one global schedule across the workers)
    locust -f benchkit/locustfile.py                           (web UI on :8089; the benchkit flags are editable)

Thin glue: the user class and the listeners live in benchkit.load. `--jobs-per-min` is the GLOBAL rate.
"""

from locust import events

from benchkit.load import session
from benchkit.load.users import SparkApplicationUser

__all__ = ["SparkApplicationUser"]

session.register(events)

"""Plain Locust entry point, for Locust's own CLI and web UI:

    locust -f benchkit/locustfile.py --headless -u 3 --jobs-per-min 600 --total-jobs 300 --kubeconfig kc
    locust -f benchkit/locustfile.py --processes 4 ...        (one global schedule across the workers)
    locust -f benchkit/locustfile.py                           (web UI on :8089; the benchkit flags are editable)

Thin glue, like a CLI command: the user class and Locust's listeners live in benchkit.load, the run
lifecycle (the same one as `benchkit run`) in benchkit.orchestrate. `--jobs-per-min` is the GLOBAL rate.
"""

from benchkit.load import session
from benchkit.load.users import SparkApplicationUser
from benchkit.settings.run import RunSettings

__all__ = ["SparkApplicationUser"]


def start(settings: RunSettings, side: session.Session) -> session.Run:
    """The run lifecycle, imported on the first test_start (boto3, the kubernetes client: seconds of imports)."""
    from benchkit.orchestrate.plain import PlainRun  # noqa: PLC0415

    return PlainRun(settings, side)


session.register(start=start)

"""Import this before anything that imports ssl, socket or urllib3: importing locust monkey-patches the process.

gevent must patch the standard library before other modules bind to the unpatched versions, or TLS
connections made by the kubernetes client would block the whole process instead of one greenlet.

While it patches, gevent looks for plugins once per patched module: 25 calls of `importlib.metadata.entry_points`,
each a scan of every installed distribution (~0.4 s of a `benchkit run`'s start, and of each Locust worker's).
The set of installed distributions cannot change during an import, so the import sees one scan, filtered per call.
"""

from importlib import metadata
from typing import Any


def _import_locust() -> None:
    scanned = metadata.entry_points()
    original = metadata.entry_points

    def entry_points(**params: Any) -> Any:
        return scanned.select(**params) if params else scanned

    metadata.entry_points = entry_points
    try:
        import locust  # noqa: F401, PLC0415  (the import is the point: it runs gevent.monkey.patch_all())
    finally:
        metadata.entry_points = original


_import_locust()

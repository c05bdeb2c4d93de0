"""Import this before anything that imports ssl, socket or urllib3: importing locust monkey-patches the process.

gevent must patch the standard library before other modules bind to the unpatched versions, or TLS
connections made by the kubernetes client would block the whole process instead of one greenlet.
"""

import locust  # noqa: F401  (the import is the point: it runs gevent.monkey.patch_all())

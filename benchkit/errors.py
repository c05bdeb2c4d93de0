"""The exception hierarchy. Library code raises these; only `benchkit.cli` turns them into exit codes."""

from __future__ import annotations

from collections.abc import Mapping


class BenchkitError(Exception):
    """Base of every error benchkit raises on purpose. `exit_code` is what the CLI exits with."""

    exit_code = 1


class ConfigError(BenchkitError):
    """Bad input: flags, scenario files, templates, kubeconfig. Raised before anything is created (exit 2)."""

    exit_code = 2


class ApiError(BenchkitError):
    """A Kubernetes or AWS API call failed after its retries."""


class TransportError(Exception):
    """No (complete) HTTP answer: connection refused or reset, timeout, TLS failure, a cut stream.

    Raised by `benchkit.kube.rest`; callers retry it or wrap it in an ApiError with context. One that
    still escapes is reported by the CLI in one line (exit 1), like an ApiError.
    """


class StatusError(Exception):
    """The API server answered with an HTTP error status (`.status`, `.reason`, `.headers`, `.body`).

    Raised by `benchkit.kube.rest` in place of the client's multi-line ApiException, so no caller
    outside `benchkit.kube` handles a `kubernetes` type; callers decide by `.status`.
    """

    def __init__(self, status: int, reason: str, headers: Mapping[str, str] | None = None, body: bytes = b"") -> None:
        super().__init__(f"HTTP {status} {reason}")
        self.status, self.reason, self.body = status, reason, body
        self.headers: Mapping[str, str] = headers if headers is not None else {}
        """As received (urllib3's are case-insensitive)."""


class TrackerError(BenchkitError):
    """The lifecycle tracker cannot continue (for example the watch cannot be re-established)."""


class CollectionError(BenchkitError):
    """Prometheus collection failed as a whole (single missing series are reported, not raised)."""


class TeardownError(BenchkitError):
    """Teardown left something behind; the message says what."""


class StaleGenerated(BenchkitError):
    """Committed generated files (the dashboards' JSON) differ from their generator's output; the message names
    them and the command that regenerates them (exit 1)."""


class SloBreach(BenchkitError):
    """A scenario SLO gate or a `--fail-on-regression` check failed (exit 3)."""

    exit_code = 3


class Interrupted(BenchkitError):
    """The user pressed Ctrl-C; results were still written (exit 130)."""

    exit_code = 130

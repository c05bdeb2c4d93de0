"""The packaged SparkApplication templates, by name: `--spark-template with-webhook | without-webhook | PATH`.

The published kit ships the same pair (awslabs/data-on-eks, `analytics/terraform/spark-k8s-operator/examples/
benchmark/spark-operator-benchmark-kit/spark-app-with-webhook.yaml` and `spark-app-without-webhook.yaml`).
A value that is one of these names selects the packaged file; anything else is a path (`./with-webhook` reads a
file of that name).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

FILES = {"with-webhook": "pi-sleep.yaml", "without-webhook": "pi-sleep-without-webhook.yaml"}
"""Name → file under benchkit/templates/: the `--spark-template` names, the one place they are listed."""
DEFAULT = "with-webhook"


def packaged_name(value: Path | str | None) -> str | None:
    """The packaged template `value` names (None: the default one), or None when it is a path."""
    if value is None:
        return DEFAULT
    text = str(value)
    return text if text in FILES else None


def read(name: str) -> tuple[str, str]:
    """(YAML text, source shown in the manifest) of a packaged template."""
    filename = FILES[name]
    return resources.files("benchkit.templates").joinpath(filename).read_text(), f"benchkit/templates/{filename}"

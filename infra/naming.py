"""Component type tokens and the tags every AWS resource of the stack carries."""

from __future__ import annotations

PACKAGE = "benchkit:infra"


def type_token(component: str) -> str:
    """`benchkit:infra:<Component>`: one token scheme for every component."""
    return f"{PACKAGE}:{component}"


def common_tags(stack: str, cluster_name: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    """Tags for cost allocation and cleanup: who made it, for which stack and cluster."""
    return {"benchkit.io/stack": stack, "benchkit.io/cluster": cluster_name, "managed-by": "pulumi", **(extra or {})}

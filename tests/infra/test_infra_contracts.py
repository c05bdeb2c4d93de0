"""Contracts between infra and the rest: stack outputs, node labels/taints, Pulumi.yaml, example config, docs."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from benchkit.kube import labels, stack
from infra import outputs, roles, settings

ROOT = Path(__file__).resolve().parents[2]


def test_stack_output_keys_match_what_benchkit_reads() -> None:
    assert set(outputs.ALL_KEYS) == set(stack.ALL_KEYS)
    assert len(outputs.ALL_KEYS) == len(set(outputs.ALL_KEYS))


def test_benchkit_parses_the_outputs_infra_exports(default_stack) -> None:  # type: ignore[no-untyped-def]
    assert set(default_stack.outputs) == set(outputs.ALL_KEYS)
    parsed = stack.parse_outputs("test", default_stack.outputs)
    assert parsed.cluster_name == "benchkit-test"
    assert parsed.node_groups["bench"] == "benchkit-test-bench"
    assert parsed.kubeconfig["kind"] == "Config"
    assert parsed.lease_parameter == "/benchkit/test/lease"
    assert parsed.instance_types["operator"] == "c5.9xlarge"
    assert parsed.spark_namespaces == ("spark-team-a", "spark-team-b", "spark-team-c")


def test_node_labels_and_taints_match_benchkit() -> None:
    assert roles.NODE_GROUP_TYPE == labels.NODE_GROUP_TYPE
    assert roles.PLACEMENTS[roles.BENCH].label_value == labels.BENCH_NODE_GROUP
    assert roles.PLACEMENTS[roles.BENCH].taint_key == labels.BENCH_TAINT_KEY
    assert roles.PLACEMENTS[roles.OPERATOR].label_value == labels.OPERATOR_NODE_GROUP
    assert roles.PLACEMENTS[roles.OPERATOR].taint_key == labels.OPERATOR_NODE_GROUP
    assert roles.PLACEMENTS[roles.MONITORING].label_value == labels.MONITORING_NODE_GROUP
    assert roles.PLACEMENTS[roles.MONITORING].taint_key == labels.MONITORING_NODE_GROUP


def test_spark_namespaces_default_matches_benchkit() -> None:
    from benchkit.settings.run import DEFAULT_NAMESPACES

    assert settings.DEFAULT_SPARK_NAMESPACES == DEFAULT_NAMESPACES


def test_default_template_runs_drivers_as_the_service_account_infra_creates() -> None:
    from benchkit.spark import template

    app = template.render(template.load(None), run_id="x", scenario="delete", seq=0, namespace="spark-team-b",
                          app_seconds=1)  # fmt: skip
    assert app["spec"]["driver"]["serviceAccount"] == settings.OperatorSettings().service_account


def test_pulumi_project_file() -> None:
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    assert project["name"] == "benchkit"  # also the config namespace: benchkit:<key>
    assert project["runtime"]["name"] == "python"
    assert project["main"] == "infra/"
    assert (ROOT / project["main"] / "__main__.py").is_file()


def test_example_config_documents_every_key_and_shows_the_defaults() -> None:
    text = (ROOT / "Pulumi.example.yaml").read_text()
    config = yaml.safe_load(text)["config"]
    assert config["aws:region"]
    mentioned = set(re.findall(r"benchkit:(\w+):", text))
    assert mentioned == settings.known_keys()
    raw = {k.removeprefix("benchkit:"): str(v) for k, v in config.items() if k.startswith("benchkit:")}
    raw["janitorEnabled"] = "false"  # the handler file comes with the cost branch
    example = settings.parse(raw, stack="dev", region=config["aws:region"])
    defaults = settings.parse({"janitorEnabled": "false"}, stack="dev", region=config["aws:region"])
    assert example == defaults


def test_docs_list_every_key() -> None:
    docs = (ROOT / "docs" / "infra.md").read_text()
    documented = set(re.findall(r"^\| `(\w+)` \|", docs, flags=re.MULTILINE))
    assert documented == settings.known_keys()


def test_cost_figures_in_readme_and_docs_come_from_the_price_table() -> None:
    """The stack's hourly cost at rest and with 200 bench nodes, as README and docs/infra.md state it,
    recomputed from benchkit's dated price table and the default stack settings."""
    from benchkit.capacity.budget import hourly_rate
    from benchkit.capacity.pricing import default_table

    public_ipv4 = 0.005  # USD/h of the NAT gateway's address: not in benchkit's table (docs/infra.md says so)
    prices = default_table("us-west-2")
    s = settings.parse({"janitorEnabled": "false"}, stack="dev", region="us-west-2")
    fixed: dict[str, int] = {}
    for role in (roles.CORE, roles.OPERATOR, roles.MONITORING):
        group = s.node_groups[role]
        fixed[group.instance_type] = fixed.get(group.instance_type, 0) + group.desired_size
    bench = s.node_groups[roles.BENCH]
    extras = prices.volume(s.monitoring.storage_gib) + public_ipv4
    at_rest = hourly_rate(fixed, prices, disk_gib=bench.disk_gib) + extras
    full = hourly_rate({**fixed, bench.instance_type: bench.max_size}, prices, disk_gib=bench.disk_gib) + extras
    month = round(at_rest * 720, -1)
    docs = (ROOT / "docs" / "infra.md").read_text()
    readme = (ROOT / "README.md").read_text()
    for text in (docs, readme):
        assert f"≈ ${at_rest:.2f}/h" in text and f"≈ ${full:.0f}/h" in text
    assert f"≈ ${month:,.0f} per 30 days of 720 h" in docs


def test_infra_never_imports_benchkit() -> None:
    """infra deploys benchkit's janitor from its file path; it must not depend on the package."""
    import ast

    for path in (ROOT / "infra").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            assert not any(n == "benchkit" or n.startswith("benchkit.") for n in names), path


def test_the_janitor_file_can_be_zipped_alone() -> None:
    """The Lambda's code is benchkit/capacity/janitor.py alone: a `handler(event, context)` using only the
    standard library and boto3 (what the Python Lambda runtime provides). The file comes with the cost
    branch; until it is merged there is nothing to check here."""
    import ast
    import sys

    path = settings.JanitorSettings().code_path
    if not path.is_file():
        import pytest

        pytest.skip(f"{path.relative_to(ROOT)} not on this branch yet (cost branch)")
    tree = ast.parse(path.read_text())
    handlers = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "handler"]
    assert handlers and [a.arg for a in handlers[0].args.args] == ["event", "context"]
    allowed = set(sys.stdlib_module_names) | {"boto3", "botocore", "__future__"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots = [a.name.split(".")[0] for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            roots = [(node.module or "").split(".")[0]] if node.level == 0 else ["<relative>"]
        else:
            continue
        assert set(roots) <= allowed, f"janitor.py imports {roots}: the Lambda zip holds that file only"

"""Stack config: defaults, and a one-line error naming the key for every kind of bad value."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra import settings
from infra.config_reader import ConfigError


@pytest.fixture
def parse(tmp_path: Path):  # type: ignore[no-untyped-def]
    janitor = tmp_path / "janitor.py"
    janitor.write_text("def handler(event, context): ...\n")

    def run(**raw: str) -> settings.StackSettings:
        return settings.parse({"janitorCodePath": str(janitor), **raw}, stack="dev", region="us-west-2")

    return run


def test_defaults_are_the_published_benchmark_setup(parse) -> None:  # type: ignore[no-untyped-def]
    s = parse()
    assert s.cluster_name == "benchkit-dev"
    groups = {role: (g.instance_type, g.min_size, g.desired_size, g.max_size) for role, g in s.node_groups.items()}
    assert groups == {
        "core": ("m5.xlarge", 2, 2, 2),
        "operator": ("c5.9xlarge", 1, 1, 1),
        "monitoring": ("r6a.2xlarge", 1, 1, 1),
        "bench": ("m6a.4xlarge", 0, 0, 200),
    }
    assert s.node_groups["bench"].max_pods == 220
    assert s.operator.chart_version == "2.1.0"
    assert s.operator.namespaces == ("spark-team-a", "spark-team-b", "spark-team-c")
    assert s.operator.start_latency_buckets is None  # 2.1.0 has no such value
    assert str(s.secondary_cidr) == "100.64.0.0/16"
    assert s.lease_parameter == "/benchkit/dev/lease"
    assert s.janitor.roles == ("bench",)


def test_lists_accept_json_or_commas(parse) -> None:  # type: ignore[no-untyped-def]
    assert parse(sparkNamespaces='["a", "b"]').operator.namespaces == ("a", "b")
    assert parse(sparkNamespaces="a, b,c").operator.namespaces == ("a", "b", "c")


def test_newer_chart_gets_latency_buckets_and_api_limits(parse) -> None:  # type: ignore[no-untyped-def]
    s = parse(sparkOperatorChartVersion="2.5.2", kubeApiQps="100", kubeApiBurst="200",
              allowUnverifiedChartValues="true")  # fmt: skip
    assert s.operator.start_latency_buckets == settings.DEFAULT_START_LATENCY_BUCKETS
    assert (s.operator.kube_api_qps, s.operator.kube_api_burst) == (100, 200)


def test_newer_chart_values_unchecked_against_a_real_values_yaml_need_the_override(parse) -> None:  # type: ignore[no-untyped-def]
    """No 2.5.x values.yaml is vendored: without allowUnverifiedChartValues a newer chart gets only the keys
    checked against 2.1.0's, and asking for one of the others is an error naming it."""
    s = parse(sparkOperatorChartVersion="2.5.2")
    assert s.operator.start_latency_buckets is None
    assert (s.operator.kube_api_qps, s.operator.kube_api_burst) == (None, None)
    for key, value in (("kubeApiQps", "100"), ("kubeApiBurst", "200"), ("startLatencyBuckets", "30,60")):
        with pytest.raises(ConfigError) as err:
            parse(sparkOperatorChartVersion="2.5.2", **{key: value})
        assert err.value.key == key
        assert settings.NEWER_CHART_VALUE[key] in str(err.value)
        assert "benchkit:allowUnverifiedChartValues true" in str(err.value)
        assert "\n" not in str(err.value)


@pytest.mark.parametrize(
    ("raw", "key", "message"),
    [
        ({"coreNodes": "-1"}, "coreNodes", "must be between 1 and 10, got -1"),
        ({"benchMaxNodes": "lots"}, "benchMaxNodes", "expected an integer"),
        ({"benchInstanceType": "m6a.5xlarge"}, "benchInstanceType", "unknown instance type 'm6a.5xlarge'"),
        ({"benchMaxPods": "251"}, "benchMaxPods", "must be between 10 and 250, got 251"),
        ({"benchMinNodes": "10", "benchMaxNodes": "5"}, "benchMaxNodes", "must be >= benchMinNodes (10), got 5"),
        ({"benchDesiredNodes": "300"}, "benchDesiredNodes", "must be between 0 and 200"),
        ({"benchMaxNod": "5"}, "benchMaxNod", "unknown key"),
        ({"kubeApiQps": "100"}, "kubeApiQps", "needs sparkOperatorChartVersion >= 2.5.1"),
        # kubeflow/spark-operator v2.5.0 charts/spark-operator-chart/values.yaml has no controller.kubeAPIQPS
        (
            {"sparkOperatorChartVersion": "2.5.0", "kubeApiBurst": "100"},
            "kubeApiBurst",
            "needs sparkOperatorChartVersion >= 2.5.1",
        ),
        ({"startLatencyBuckets": "60,30"}, "startLatencyBuckets", "needs sparkOperatorChartVersion >= 2.1.1"),
        (
            {"sparkOperatorChartVersion": "2.5.2", "startLatencyBuckets": "60,30", "allowUnverifiedChartValues": "1"},
            "startLatencyBuckets",
            "strictly increasing",
        ),
        ({"sparkOperatorChartVersion": "1.1.27"}, "sparkOperatorChartVersion", "before 2.0.0"),
        ({"sparkOperatorChartVersion": "latest"}, "sparkOperatorChartVersion", "is not valid"),
        ({"secondaryCidr": "100.64.0.0/33"}, "secondaryCidr", "not an IPv4 CIDR"),
        ({"secondaryCidr": "10.0.0.0/16"}, "secondaryCidr", "overlaps vpcCidr"),
        ({"vpcCidr": "10.0.0.0/8"}, "vpcCidr", "prefix length must be /16 to /20"),
        ({"secondaryCidr": "100.64.0.0/17"}, "secondaryCidr", "need ~48,200 pod IPs"),
        ({"benchAzCount": "3"}, "secondaryCidr", "3 subnet(s) of /18"),
        ({"benchAzCount": "5"}, "benchAzCount", "must be between 1 and 3"),
        ({"sparkNamespaces": "Team_A"}, "sparkNamespaces", "not a valid namespace name"),
        ({"operatorControllerMemory": "50G"}, "operatorControllerMemory", "a memory quantity"),
        ({"adminPrincipalArn": "arn:aws:sts::123456789012:assumed-role/x/y"}, "adminPrincipalArn", "IAM role"),
        ({"janitorCodePath": "/nonexistent/janitor.py"}, "janitorCodePath", "is not an existing file"),
        ({"janitorNodeGroups": "bench,gpu"}, "janitorNodeGroups", "not a node group role"),
        ({"dashboardsDir": "no-such-dir"}, "dashboardsDir", "is not an existing directory"),
        ({"webhookEnabled": "maybe"}, "webhookEnabled", "expected true or false"),
        ({"tags": "[1]"}, "tags", "JSON object"),
        ({"azCount": "3", "availabilityZones": "a,b"}, "azCount", "not both"),
        ({"clusterName": "9lives"}, "clusterName", "is not valid"),
        ({"publicAccessCidrs": "1.2.3.4/40"}, "publicAccessCidrs", "'1.2.3.4/40'"),
        ({"operatorInstanceType": "m5.large"}, "operatorInstanceType", "too small for the Spark Operator"),
        ({"monitoringInstanceType": "m6a.large"}, "monitoringInstanceType", "too small for Prometheus"),
    ],
)
def test_bad_values_fail_with_one_line_naming_the_key(parse, raw: dict[str, str], key: str, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError) as err:
        parse(**raw)
    text = str(err.value)
    assert err.value.key == key
    assert text.startswith(f"benchkit:{key}: ")
    assert message in text
    assert "\n" not in text


def test_janitor_path_is_only_required_when_enabled() -> None:
    s = settings.parse({"janitorEnabled": "false", "janitorCodePath": "missing.py"}, stack="dev", region="us-west-2")
    assert not s.janitor.enabled


def test_relative_paths_are_taken_from_the_repository_root(parse) -> None:  # type: ignore[no-untyped-def]
    assert parse().monitoring.dashboards_dir == settings.REPO_ROOT / "dashboards"
    assert settings.JanitorSettings().code_path == settings.REPO_ROOT / "benchkit/capacity/janitor.py"
    assert (settings.REPO_ROOT / "Pulumi.yaml").is_file()


def test_config_error_is_a_pulumi_run_error() -> None:
    """RunError: the Python language host prints the message alone, without a traceback."""
    import pulumi

    assert issubclass(ConfigError, pulumi.RunError)

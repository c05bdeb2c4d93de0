"""What the program registers, under Pulumi mocks: cluster, CNI, node groups, addons, releases, secrets."""

from __future__ import annotations

import base64
import email
import json
from pathlib import Path

import pulumi
import pytest
import yaml

from infra.config_reader import ConfigError

MNG = "eks:index:ManagedNodeGroup"
RELEASE = "kubernetes:helm.sh/v3:Release"
ADDON = "aws:eks/addon:Addon"
LT = "aws:ec2/launchTemplate:LaunchTemplate"


def _groups(built) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    return {r.name.removeprefix("nodes-"): r.inputs for r in built.mocks.of_type(MNG)}


def test_cluster_uses_prefix_delegation_and_api_auth(default_stack) -> None:  # type: ignore[no-untyped-def]
    mocks = default_stack.mocks
    cluster = mocks.one("eks:index:Cluster")
    cni = mocks.one(ADDON, "cluster-vpc-cni")
    assert cni.inputs["addonName"] == "vpc-cni" and cni.inputs["clusterName"] == "benchkit-test"
    env = json.loads(cni.inputs["configurationValues"])["env"]
    assert env == {"ENABLE_PREFIX_DELEGATION": "true", "WARM_PREFIX_TARGET": "1"}
    assert cni.inputs["resolveConflictsOnCreate"] == "OVERWRITE"  # adopts the aws-node EKS bootstraps
    assert cni.inputs["preserve"] is True
    assert cni.depends_on(cluster)
    # pulumi-eks adds no vpc-cni addon of its own (it would ignore vpcCniOptions anyway)
    assert cluster.inputs["useDefaultVpcCni"] is True and "vpcCniOptions" not in cluster.inputs
    cluster = cluster.inputs  # camelCase wire names, numbers as floats
    assert cluster["authenticationMode"] == "API"
    assert cluster["skipDefaultNodeGroup"] is True
    assert cluster["name"] == "benchkit-test"
    assert cluster["publicAccessCidrs"] == ["0.0.0.0/0"]
    assert cluster["corednsAddonOptions"]["enabled"] is False  # added after the system nodes instead
    assert cluster["kubeProxyAddonOptions"]["enabled"] is True
    assert cluster["privateSubnetIds"] == [f"net-private-{i}-id" for i in range(3)]
    assert cluster["accessEntries"] == {}


def test_node_groups_come_after_the_cluster_and_its_cni(default_stack) -> None:  # type: ignore[no-untyped-def]
    """Every node group depends on the vpc-cni addon itself: its nodes join with prefix delegation on."""
    mocks = default_stack.mocks
    cluster = mocks.one("eks:index:Cluster")
    cni = mocks.one(ADDON, "cluster-vpc-cni")
    groups = mocks.of_type(MNG)
    assert len(groups) == 4
    for group in groups:
        assert group.depends_on(cni), group.name
        assert group.depends_on(cluster), group.name
        assert group.inputs["cluster"] == cluster.urn


def test_warm_prefix_target_reaches_the_cni(build) -> None:  # type: ignore[no-untyped-def]
    cni = build({"warmPrefixTarget": "2"}).mocks.one(ADDON, "cluster-vpc-cni")
    assert json.loads(cni.inputs["configurationValues"])["env"]["WARM_PREFIX_TARGET"] == "2"


def test_the_four_node_groups(default_stack) -> None:  # type: ignore[no-untyped-def]
    groups = _groups(default_stack)
    assert sorted(groups) == ["bench", "core", "monitoring", "operator"]
    summary = {
        role: (g["instanceTypes"], g["scalingConfig"], g["labels"], g.get("taints"), g["nodeGroupName"])
        for role, g in groups.items()
    }
    assert summary == {
        "core": (["m5.xlarge"], {"minSize": 2, "desiredSize": 2, "maxSize": 2}, {"NodeGroupType": "core"}, None,
                 "benchkit-test-core"),
        "operator": (["c5.9xlarge"], {"minSize": 1, "desiredSize": 1, "maxSize": 1},
                     {"NodeGroupType": "spark-operator-benchmark"},
                     [{"key": "spark-operator-benchmark", "value": "true", "effect": "NO_SCHEDULE"}],
                     "benchkit-test-operator"),
        "monitoring": (["r6a.2xlarge"], {"minSize": 1, "desiredSize": 1, "maxSize": 1}, {"NodeGroupType": "monitoring"},
                       [{"key": "monitoring", "value": "true", "effect": "NO_SCHEDULE"}], "benchkit-test-monitoring"),
        "bench": (["m6a.4xlarge"], {"minSize": 0, "desiredSize": 0, "maxSize": 200},
                  {"NodeGroupType": "spark-operator-benchmark-ng"},
                  [{"key": "spark-operator-benchmark-ng", "value": "true", "effect": "NO_SCHEDULE"}],
                  "benchkit-test-bench"),
    }  # fmt: skip
    templates = {r.name.removeprefix("nodes-").removesuffix("-lt"): r for r in default_stack.mocks.of_type(LT)}
    assert sorted(templates) == sorted(groups)
    for role, g in groups.items():
        assert g["amiType"] == "AL2023_x86_64_STANDARD", role
        assert g["launchTemplate"] == {"id": f"nodes-{role}-lt-id", "version": "1"}, role
        assert g["nodeRole"] == "nodes-node-role-id", role
        # with our own launch template pulumi-eks must build none: none of its launch-template inputs, no
        # disk size (the template has the root volume), no restated defaults (capacityType ON_DEMAND)
        for key in ("nodeadmExtraOptions", "enableIMDSv2", "diskSize", "operatingSystem", "kubeletExtraArgs",
                    "bootstrapExtraArgs", "userData", "amiId", "capacityType"):  # fmt: skip
            assert key not in g, (role, key)
        assert g["ignoreScalingChanges"] is (role == "bench"), role
        lt = templates[role].inputs
        assert "imageId" not in lt, role  # EKS picks the AMI of amiType + release version and merges its bootstrap
        assert lt["metadataOptions"] == {"httpEndpoint": "enabled", "httpTokens": "required",
                                         "httpPutResponseHopLimit": 2}, role  # fmt: skip
        assert lt["blockDeviceMappings"] == [{"deviceName": "/dev/xvda", "ebs": {
            "volumeSize": 100, "volumeType": "gp3", "deleteOnTermination": "true"}}], role  # fmt: skip
        assert ("userData" in lt) is (role == "bench"), role


def _nodeconfigs(user_data_b64: str) -> list[dict]:  # type: ignore[type-arg]
    """The application/node.eks.aws parts of a launch template's user data, parsed as EKS would."""
    message = email.message_from_bytes(base64.b64decode(user_data_b64))
    assert message.is_multipart() and message.get_content_type() == "multipart/mixed"
    assert message.defects == []
    parts = [p for p in message.walk() if not p.is_multipart()]
    assert all(p.defects == [] for p in parts)
    assert [p.get_content_type() for p in parts] == ["application/node.eks.aws"]
    return [yaml.safe_load(p.get_payload()) for p in parts]


def test_bench_nodes_run_220_pods_via_a_merged_nodeconfig(default_stack) -> None:  # type: ignore[no-untyped-def]
    lt = default_stack.mocks.one(LT, "nodes-bench-lt")
    (config,) = _nodeconfigs(lt.inputs["userData"])
    assert config["apiVersion"] == "node.eks.aws/v1alpha1" and config["kind"] == "NodeConfig"
    assert config["spec"] == {"kubelet": {"config": {"maxPods": 220}}}  # nothing but maxPods: EKS supplies the rest
    bench = default_stack.mocks.one(MNG, "nodes-bench")
    assert bench.depends_on(lt)


def test_node_groups_depend_on_the_node_role_policies(default_stack) -> None:  # type: ignore[no-untyped-def]
    """Created after the role's policies are attached, destroyed before they are detached."""
    mocks = default_stack.mocks
    attachments = mocks.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    node_policies = [a for a in attachments if a.name.startswith("nodes-node-")]
    assert len(node_policies) == 4
    for group in mocks.of_type(MNG):
        for attachment in node_policies:
            assert group.depends_on(attachment), (group.name, attachment.name)


def test_bench_max_nodes_above_the_eks_limit_is_refused(build) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError, match=r"^benchkit:benchMaxNodes: EKS allows at most 450 nodes per managed node "
                       r"group \(quota 'Nodes per managed node group'\), got 451$"):  # fmt: skip
        build({"benchMaxNodes": "451"})
    assert _groups(build({"benchMaxNodes": "450", "secondaryCidr": "100.64.0.0/16", "benchMaxPods": "110"}))[
        "bench"]["scalingConfig"]["maxSize"] == 450  # fmt: skip


def test_placement_of_node_groups_in_subnets(default_stack) -> None:  # type: ignore[no-untyped-def]
    groups = _groups(default_stack)
    assert groups["bench"]["subnetIds"] == ["net-bench-0-id"]  # one AZ, the secondary CIDR
    assert groups["monitoring"]["subnetIds"] == ["net-private-0-id"]  # its EBS volume's AZ
    assert groups["core"]["subnetIds"] == [f"net-private-{i}-id" for i in range(3)]
    mocks = default_stack.mocks
    bench_subnet = mocks.one("aws:ec2/subnet:Subnet", "net-bench-0")
    assert bench_subnet.inputs["cidrBlock"] == "100.64.0.0/16"
    assert bench_subnet.depends_on(mocks.one("aws:ec2/vpcIpv4CidrBlockAssociation:VpcIpv4CidrBlockAssociation"))
    vpc = mocks.one("aws:ec2/vpc:Vpc").inputs
    assert vpc["cidrBlock"] == "10.0.0.0/16" and vpc["enableDnsHostnames"] is True
    public = mocks.one("aws:ec2/subnet:Subnet", "net-public-0").inputs["tags"]
    assert public["kubernetes.io/role/elb"] == "1" and public["kubernetes.io/cluster/benchkit-test"] == "shared"
    private = mocks.one("aws:ec2/subnet:Subnet", "net-private-0").inputs["tags"]
    assert private["kubernetes.io/role/internal-elb"] == "1"
    assert len(mocks.of_type("aws:ec2/natGateway:NatGateway")) == 1


def test_subnets_avoid_the_zone_eks_rejects(build) -> None:  # type: ignore[no-untyped-def]
    zones = (("us-east-1a", "use1-az6"), ("us-east-1b", "use1-az3"), ("us-east-1c", "use1-az1"),
             ("us-east-1d", "use1-az2"), ("us-east-1e", "use1-az4"))  # fmt: skip
    mocks = build(region="us-east-1", zones=zones).mocks
    private = [mocks.one("aws:ec2/subnet:Subnet", f"net-private-{i}").inputs["availabilityZone"] for i in range(3)]
    assert private == ["us-east-1a", "us-east-1c", "us-east-1d"]  # not us-east-1b (use1-az3)
    assert mocks.one("aws:ec2/subnet:Subnet", "net-bench-0").inputs["availabilityZone"] == "us-east-1a"
    # an explicit list is taken as is
    mocks = build({"availabilityZones": "us-east-1b,us-east-1e"}, region="us-east-1", zones=zones).mocks
    assert [mocks.one("aws:ec2/subnet:Subnet", f"net-private-{i}").inputs["availabilityZone"] for i in range(2)] == [
        "us-east-1b", "us-east-1e"]  # fmt: skip
    with pytest.raises(pulumi.RunError, match="3 availability zones wanted, the region has 2 that EKS supports"):
        build(region="us-west-1", zones=(("us-west-1a", "usw1-az2"), ("us-west-1b", "usw1-az1"),
                                         ("us-west-1c", "usw1-az3")))  # fmt: skip


def test_addons_come_after_the_system_nodes(default_stack) -> None:  # type: ignore[no-untyped-def]
    mocks = default_stack.mocks
    core = mocks.one(MNG, "nodes-core")
    addons = {r.inputs["addonName"]: r for r in mocks.of_type(ADDON) if r.name.startswith("addons-")}
    assert sorted(addons) == ["aws-ebs-csi-driver", "coredns", "eks-pod-identity-agent"]
    assert sorted(r.inputs["addonName"] for r in mocks.of_type(ADDON)) == sorted([*addons, "vpc-cni"])
    for addon in addons.values():
        assert addon.depends_on(core), addon.name
        assert addon.inputs["clusterName"] == "benchkit-test"
    association = mocks.one("aws:eks/podIdentityAssociation:PodIdentityAssociation")
    assert association.inputs["serviceAccount"] == "ebs-csi-controller-sa"
    assert association.inputs["namespace"] == "kube-system"
    assert addons["aws-ebs-csi-driver"].depends_on(association)
    assert addons["aws-ebs-csi-driver"].depends_on(addons["eks-pod-identity-agent"])
    role = mocks.one("aws:iam/role:Role", "addons-ebs-csi-role").inputs
    trust = json.loads(role["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "pods.eks.amazonaws.com"}
    gp3 = mocks.one("kubernetes:storage.k8s.io/v1:StorageClass").inputs
    assert gp3["parameters"]["type"] == "gp3" and gp3["provisioner"] == "ebs.csi.aws.com"
    assert gp3["metadata"]["annotations"]["storageclass.kubernetes.io/is-default-class"] == "true"


def test_operator_release_is_cpu_sized_for_c5_9xlarge(default_stack) -> None:  # type: ignore[no-untyped-def]
    mocks = default_stack.mocks
    release = mocks.one(RELEASE, "spark-operator-release")
    assert (release.inputs["chart"], release.inputs["version"], release.inputs["name"]) == (
        "spark-operator", "2.1.0", "spark-operator")  # fmt: skip
    assert release.inputs["repositoryOpts"]["repo"] == "https://kubeflow.github.io/spark-operator"
    values = release.inputs["values"]
    controller = values["controller"]
    assert controller["resources"] == {"requests": {"cpu": "33", "memory": "50Gi"}}  # no limits
    assert controller["workers"] >= 20
    assert controller["nodeSelector"] == {"NodeGroupType": "spark-operator-benchmark"}
    assert controller["tolerations"] == [
        {"key": "spark-operator-benchmark", "operator": "Exists", "effect": "NoSchedule"}
    ]
    assert values["webhook"]["enable"] is True
    assert values["webhook"]["nodeSelector"] == controller["nodeSelector"]
    assert values["webhook"]["resources"]["requests"]["cpu"] == "1000m"
    assert values["spark"]["jobNamespaces"] == ["spark-team-a", "spark-team-b", "spark-team-c"]
    assert values["spark"]["serviceAccount"] == {"create": True, "name": "spark"}
    assert values["spark"]["rbac"] == {"create": True}
    assert values["prometheus"]["podMonitor"]["create"] is True
    assert values["prometheus"]["podMonitor"]["podMetricsEndpoint"]["interval"] == "5s"
    assert "kubeAPIQPS" not in controller and "jobStartLatencyBuckets" not in values["prometheus"]["metrics"]
    assert release.provider.endswith("pulumi:providers:kubernetes::cluster-k8s::cluster-k8s-id")
    # after the operator node and after kube-prometheus-stack (the PodMonitor CRD), and the namespaces
    assert release.depends_on(mocks.one(MNG, "nodes-operator"))
    assert release.depends_on(mocks.one(RELEASE, "monitoring-release"))
    for ns in ("spark-team-a", "spark-team-b", "spark-team-c"):
        namespace = mocks.one("kubernetes:core/v1:Namespace", f"spark-operator-ns-{ns}")
        assert namespace.inputs["metadata"]["name"] == ns
        assert release.depends_on(namespace)


def test_operator_sized_for_another_instance_type_and_overrides(build) -> None:  # type: ignore[no-untyped-def]
    built = build({"operatorInstanceType": "c5.12xlarge", "webhookEnabled": "false", "workqueueBucketQps": "200"})
    values = built.mocks.one(RELEASE, "spark-operator-release").inputs["values"]
    # no webhook on the node: the controller also gets its 1 CPU and memory
    assert values["controller"]["resources"]["requests"] == {"cpu": "46", "memory": "79Gi"}
    assert values["controller"]["workers"] == 28
    assert values["controller"]["workqueueRateLimiter"] == {"bucketQPS": 200}
    assert values["webhook"] == {"enable": False}
    assert _groups(built)["operator"]["instanceTypes"] == ["c5.12xlarge"]

    newer = {"sparkOperatorChartVersion": "2.5.2", "kubeApiQps": "200", "kubeApiBurst": "400"}
    with pytest.raises(ConfigError, match=r"^benchkit:kubeApiQps: sets controller.kubeAPIQPS, which no vendored"):
        build(newer)  # not checked against a real 2.5.x values.yaml: only with the explicit override
    built = build({"operatorWorkers": "30", "operatorControllerCpu": "30", "operatorControllerMemory": "40Gi",
                   **newer, "allowUnverifiedChartValues": "true"})  # fmt: skip
    release = built.mocks.one(RELEASE, "spark-operator-release").inputs
    controller = release["values"]["controller"]
    assert release["version"] == "2.5.2"
    assert (controller["workers"], controller["resources"]["requests"]) == (30, {"cpu": "30", "memory": "40Gi"})
    assert (controller["kubeAPIQPS"], controller["kubeAPIBurst"]) == (200, 400)
    assert release["values"]["prometheus"]["metrics"]["jobStartLatencyBuckets"].endswith(",3600,5400,7200")


def test_prometheus_and_grafana_on_the_monitoring_node(default_stack) -> None:  # type: ignore[no-untyped-def]
    mocks = default_stack.mocks
    release = mocks.one(RELEASE, "monitoring-release")
    assert (release.inputs["chart"], release.inputs["name"], release.inputs["namespace"]) == (
        "kube-prometheus-stack", "kube-prometheus-stack", "kube-prometheus-stack")  # fmt: skip
    values = release.inputs["values"]
    selector = {"NodeGroupType": "monitoring"}
    tolerations = [{"key": "monitoring", "operator": "Exists", "effect": "NoSchedule"}]
    spec = values["prometheus"]["prometheusSpec"]
    assert (spec["nodeSelector"], spec["tolerations"]) == (selector, tolerations)
    assert spec["resources"] == {"requests": {"cpu": "5700m", "memory": "53Gi"}}  # sized (infra/sizing.py), no limits
    assert spec["podMonitorSelectorNilUsesHelmValues"] is False
    assert spec["serviceMonitorSelectorNilUsesHelmValues"] is False
    claim = spec["storageSpec"]["volumeClaimTemplate"]["spec"]
    assert claim["storageClassName"] == "gp3" and claim["resources"]["requests"]["storage"] == "100Gi"
    assert spec["retention"] == "7d"
    grafana = values["grafana"]
    assert (grafana["nodeSelector"], grafana["tolerations"]) == (selector, tolerations)
    assert grafana["service"] == {"type": "ClusterIP"}
    assert grafana["ingress"] == {"enabled": False}
    assert grafana["admin"]["existingSecret"] == "grafana-admin"
    assert "adminPassword" not in grafana
    assert release.depends_on(mocks.one(MNG, "nodes-monitoring"))


def test_secrets_stay_secret(default_stack) -> None:  # type: ignore[no-untyped-def]
    assert default_stack.secret_outputs == {"kubeconfig", "grafanaAdminPassword"}
    mocks = default_stack.mocks
    secret = mocks.one("kubernetes:core/v1:Secret", "monitoring-grafana-admin")
    assert secret.inputs["metadata"] == {"name": "grafana-admin", "namespace": "kube-prometheus-stack"}
    assert "stringData" in secret.secret_inputs  # the password travels as a secret
    assert set(secret.inputs["stringData"]["value"]) == {"admin-user", "admin-password"}  # (a secret wrapper)
    password = default_stack.outputs["grafanaAdminPassword"]
    release = mocks.one(RELEASE, "monitoring-release")
    assert password not in json.dumps(release.inputs)  # never a chart value
    assert mocks.one("random:index/randomPassword:RandomPassword").inputs["length"] >= 20


def test_outputs(default_stack) -> None:  # type: ignore[no-untyped-def]
    out = default_stack.outputs
    assert out["clusterName"] == "benchkit-test" and out["region"] == "us-west-2"
    assert json.loads(out["kubeconfig"])["kind"] == "Config"
    assert out["nodeGroups"] == {r: f"benchkit-test-{r}" for r in ("core", "operator", "monitoring", "bench")}
    assert out["instanceTypes"]["bench"] == "m6a.4xlarge"
    assert out["sparkNamespaces"] == ["spark-team-a", "spark-team-b", "spark-team-c"]
    assert out["grafanaPortForward"] == (
        "kubectl port-forward -n kube-prometheus-stack svc/kube-prometheus-stack-grafana 3000:80"
    )
    assert out["prometheusService"] == "kube-prometheus-stack/kube-prometheus-stack-prometheus:9090"
    assert out["leaseParameter"] == "/benchkit/test/lease"
    # what doctor compares the live cluster with, and plan simulates
    assert out["stackShape"] == {
        "benchMaxPods": 220,
        "nodeGroupBounds": {"core": [2, 2], "operator": [1, 1], "monitoring": [1, 1], "bench": [0, 200]},
        "warmPrefixTarget": 1,
        "operator": {"workers": 20, "controllerCpu": "33", "webhookEnabled": True, "serviceAccount": "spark"},
        "janitor": {"functionName": "benchkit-test-janitor", "schedule": "rate(5 minutes)"},
    }


def test_access_entry_and_endpoint_cidrs(build) -> None:  # type: ignore[no-untyped-def]
    arn = "arn:aws:iam::123456789012:role/bench-admin"
    cluster = build({"adminPrincipalArn": arn, "publicAccessCidrs": "203.0.113.0/24"}).mocks.one("eks:index:Cluster")
    entry = cluster.inputs["accessEntries"]["admin"]
    assert entry["principalArn"] == arn
    policy = entry["accessPolicies"]["admin"]
    assert policy["policyArn"].endswith("AmazonEKSClusterAdminPolicy")
    assert policy["accessScope"] == {"type": "cluster"}
    assert cluster.inputs["publicAccessCidrs"] == ["203.0.113.0/24"]


def test_bench_size_and_pods_from_config(build) -> None:  # type: ignore[no-untyped-def]
    built = build({"benchMaxNodes": "50", "benchMaxPods": "110", "benchInstanceType": "m6a.8xlarge",
                   "benchAzCount": "2"})  # fmt: skip
    bench = _groups(built)["bench"]
    assert bench["scalingConfig"] == {"minSize": 0, "desiredSize": 0, "maxSize": 50}
    assert bench["instanceTypes"] == ["m6a.8xlarge"]
    (config,) = _nodeconfigs(built.mocks.one(LT, "nodes-bench-lt").inputs["userData"])
    assert config["spec"]["kubelet"]["config"]["maxPods"] == 110
    assert bench["subnetIds"] == ["net-bench-0-id", "net-bench-1-id"]
    cidrs = [built.mocks.one("aws:ec2/subnet:Subnet", f"net-bench-{i}").inputs["cidrBlock"] for i in range(2)]
    assert cidrs == ["100.64.0.0/17", "100.64.128.0/17"]


def test_config_errors_fail_the_program_before_any_resource(build) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError, match=r"^aws:region: is required"):
        build(region="")
    with pytest.raises(ConfigError, match=r"^benchkit:benchMaxPods: must be between 10 and 250, got 300$"):
        build({"benchMaxPods": "300"})
    with pytest.raises(ConfigError, match=r"^benchkit:nodeCount: unknown key"):
        build({"nodeCount": "3"})


def test_no_janitor_means_no_lease(build) -> None:  # type: ignore[no-untyped-def]
    built = build({"janitorEnabled": "false"})
    assert built.outputs["leaseParameter"] is None
    assert not built.mocks.of_type("aws:lambda/function:Function")
    assert not built.mocks.of_type("aws:ssm/parameter:Parameter")


def test_dashboards_become_configmaps(build, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "dash"
    folder.mkdir()
    (folder / "Spark Operator.json").write_text(json.dumps({"title": "Spark Operator", "panels": []}))
    (folder / "nodes.json").write_text(json.dumps({"title": "Nodes", "panels": [{"type": "timeseries"}]}))
    (folder / "notes.txt").write_text("not a dashboard")
    built = build({"dashboardsDir": str(folder)})
    maps = {r.inputs["metadata"]["name"]: r for r in built.mocks.of_type("kubernetes:core/v1:ConfigMap")}
    assert sorted(maps) == ["dashboard-nodes", "dashboard-spark-operator"]
    for cm in maps.values():
        assert cm.inputs["metadata"]["labels"] == {"grafana_dashboard": "1"}
        assert cm.inputs["metadata"]["namespace"] == "kube-prometheus-stack"
    assert json.loads(maps["dashboard-nodes"].inputs["data"]["nodes.json"])["title"] == "Nodes"
    release = built.mocks.one(RELEASE, "monitoring-release").inputs["values"]["grafana"]["sidecar"]["dashboards"]
    assert (release["label"], release["labelValue"]) == ("grafana_dashboard", "1")


def test_a_broken_dashboard_is_a_config_error(build, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "broken.json").write_text("{")
    with pytest.raises(ConfigError, match=r"^benchkit:dashboardsDir: .*broken.json: not valid JSON"):
        build({"dashboardsDir": str(tmp_path)})


def test_the_repository_dashboards_become_configmaps(default_stack) -> None:  # type: ignore[no-untyped-def]
    """Whatever dashboards/ holds right now (the observe branch writes them) is provisioned, one each."""
    from infra.dashboards import configmap_name
    from infra.settings import REPO_ROOT

    files = sorted((REPO_ROOT / "dashboards").glob("*.json"))
    maps = default_stack.mocks.of_type("kubernetes:core/v1:ConfigMap")
    assert sorted(r.inputs["metadata"]["name"] for r in maps) == sorted(configmap_name(f.stem) for f in files)

"""SparkApplication templates: the packaged one passes the CRD schema; rendering; bad templates."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from benchkit.errors import ConfigError
from benchkit.kube import labels
from benchkit.spark import template

DNS1035 = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")


def test_default_template_passes_the_crd_schema_and_renders() -> None:
    t = template.load()
    app = template.render(t, run_id="20261121-101010-demo-ab12", scenario="keep", seq=7,
                          namespace="spark-team-b", app_seconds=12.5)  # fmt: skip
    template.validate(app)
    assert app["metadata"]["namespace"] == "spark-team-b"
    assert app["metadata"]["labels"] == labels.run_labels("20261121-101010-demo-ab12", "keep")
    for role in ("driver", "executor"):
        assert app["spec"][role]["labels"] == labels.run_labels("20261121-101010-demo-ab12", "keep")
    assert app["spec"]["driver"]["serviceAccount"] == "spark"  # the template's, same in every namespace
    assert app["spec"]["arguments"] == ["5", "12.5"]
    assert app["spec"]["sparkConf"][template.EXECUTOR_PREFIX_CONF] == app["metadata"]["name"]
    spec = app["spec"]
    assert spec["image"] == "public.ecr.aws/data-on-eks/spark:pi-sleep-v0.0.2"
    assert spec["mainClass"] == "org.example.JavaSparkPiSleep" and spec["executor"]["instances"] == 5
    assert spec["restartPolicy"] == {"type": "Never"} and template.TTL_FIELD not in spec  # keep: no TTL deletion
    assert spec["driver"]["nodeSelector"] == {labels.NODE_GROUP_TYPE: labels.BENCH_NODE_GROUP}
    assert spec["executor"]["tolerations"][0]["key"] == labels.BENCH_TAINT_KEY
    # the template itself is untouched
    assert t.body["metadata"]["name"] == "benchkit-template"


def test_delete_keeps_the_templates_ttl_and_keep_drops_it() -> None:
    t = template.load()
    assert t.body["spec"][template.TTL_FIELD] == 60
    delete = template.render(t, run_id="r", scenario="delete", seq=0, namespace="spark-team-a", app_seconds=1)
    keep = template.render(t, run_id="r", scenario="keep", seq=0, namespace="spark-team-a", app_seconds=1)
    assert delete["spec"][template.TTL_FIELD] == 60 and template.TTL_FIELD not in keep["spec"]
    template.validate(keep)
    assert template.time_to_live(t, "delete") == {"template": 60, "apps": 60}
    assert template.time_to_live(t, "keep") == {"template": 60, "apps": None}
    assert t.body["spec"][template.TTL_FIELD] == 60  # the template itself is untouched


def test_names_are_unique_per_run_and_dns_safe_with_room_for_suffixes() -> None:
    names = {template.app_name("run-a", i) for i in range(5000)} | {template.app_name("run-b", i) for i in range(5000)}
    assert len(names) == 10000
    for name in (template.app_name("20261121-101010-some-long-name-zz99", 99999), template.app_name("x", 0)):
        for derived in (f"{name}-driver", f"{name}-ui-svc", f"{name}-exec-1000"):
            assert len(derived) <= 63 and DNS1035.match(derived), derived


def test_namespaces_round_robin() -> None:
    ns = ("a", "b", "c")
    assert [template.namespace_for(i, ns) for i in range(7)] == ["a", "b", "c", "a", "b", "c", "a"]


def _write(tmp_path: Path, body: object) -> Path:
    path = tmp_path / "t.yaml"
    path.write_text(body if isinstance(body, str) else yaml.safe_dump(body))
    return path


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda b: b["spec"].update(type="Rust"), r"spec\.type: 'Rust' is not one of"),
        (lambda b: b["spec"]["executor"].update(instances="five"), r"spec\.executor\.instances: 'five' is not of type"),
        (lambda b: b["spec"].pop("sparkVersion"), r"'sparkVersion' is a required property"),
        (lambda b: b.update(kind="Deployment"), "not a sparkoperator.k8s.io/v1beta2 SparkApplication"),
        (lambda b: b.pop("spec"), "has no spec"),
    ],
)
def test_bad_templates_are_config_errors(tmp_path: Path, mutate, message: str) -> None:  # type: ignore[no-untyped-def]
    body = _default_body()
    mutate(body)
    with pytest.raises(ConfigError, match=message):
        template.load(_write(tmp_path, body))


def test_unreadable_and_invalid_yaml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        template.load(tmp_path / "missing.yaml")
    with pytest.raises(ConfigError, match=r"line \d+: invalid YAML"):
        template.load(_write(tmp_path, "kind: SparkApplication\nspec: [1,\n"))
    binary = tmp_path / "bin.yaml"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ConfigError, match="cannot read"):
        template.load(binary)


def _default_body() -> dict:  # type: ignore[type-arg]
    import copy

    return copy.deepcopy(template.load().body)

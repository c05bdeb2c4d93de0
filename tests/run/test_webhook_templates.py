"""`--spark-template with-webhook | without-webhook | PATH` and `--webhook on|off`: the packaged pair and the
settings that select them.

Both templates mirror the published kit (awslabs/data-on-eks `analytics/terraform/spark-k8s-operator/examples/
benchmark/spark-operator-benchmark-kit/spark-app-with-webhook.yaml` / `spark-app-without-webhook.yaml`). What only
the webhook applies: kubeflow/spark-operator v2.1.0 `internal/webhook/sparkpod_defaulter.go` (per-role
nodeSelector, tolerations, volumes + volumeMounts).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from benchkit.cli import options
from benchkit.cli.run import run as run_command
from benchkit.errors import ConfigError
from benchkit.kube import labels as L
from benchkit.settings import run
from benchkit.spark import template, templates

WEBHOOK_ONLY = ("nodeSelector", "tolerations", "volumeMounts")


def test_both_packaged_templates_pass_the_crd_schema_and_render() -> None:
    for name in templates.FILES:
        t = template.load(Path(name))
        assert t.source == f"benchkit/templates/{templates.FILES[name]}"
        app = template.render(t, run_id="r", scenario="delete", seq=3, namespace="spark-team-c", app_seconds=5)
        template.validate(app)
        assert app["spec"]["driver"]["serviceAccount"] == "spark" and app["spec"]["executor"]["instances"] == 5
    assert template.load().source == template.load(Path("with-webhook")).source  # the default


def test_every_spark_template_name_the_help_offers_is_a_setting_that_loads_and_fits_the_crd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`benchkit run --help` lists the names of `templates.FILES` (the one list); each is accepted as a setting
    without a file of that name and renders into an app the SparkApplication CRD's schema accepts."""
    monkeypatch.chdir(tmp_path)  # no file of any of these names here: they are names, not paths
    (option,) = [p for p in run_command.params if p.name == "spark_template"]
    assert option.help == f"{options.TEMPLATE_NAMES} (packaged) | PATH of a SparkApplication YAML."
    offered = [part.removesuffix(" (default)") for part in options.TEMPLATE_NAMES.split(" | ")]
    assert offered == list(templates.FILES) and options.TEMPLATE_NAMES.startswith(f"{templates.DEFAULT} (default) |")
    for name in offered:
        settings = run.build({"spark_template": name})
        assert settings.spark_template == Path(name)
        t = template.load(settings.spark_template)
        assert t.source == f"benchkit/templates/{templates.FILES[name]}"
        template.validate(template.render(t, run_id="r", scenario="keep", seq=1, namespace="spark-team-a",
                                          app_seconds=1))  # fmt: skip
    default = f"benchkit/templates/{templates.FILES[templates.DEFAULT]}"
    assert template.load(run.build({}).spark_template).source == default  # no setting: the default


def test_with_webhook_uses_per_role_fields_and_without_webhook_pod_templates() -> None:
    on = template.load(Path("with-webhook")).body["spec"]
    off = template.load(Path("without-webhook")).body["spec"]
    assert on["volumes"] == [{"name": "spark-scratch", "emptyDir": {}}]
    for role, container in (("driver", "spark-kubernetes-driver"), ("executor", "spark-kubernetes-executor")):
        assert all(on[role].get(k) for k in WEBHOOK_ONLY) and "template" not in on[role]
        assert not any(k in off[role] for k in WEBHOOK_ONLY)
        pod = off[role]["template"]["spec"]
        assert pod["nodeSelector"] == on[role]["nodeSelector"] == {L.NODE_GROUP_TYPE: L.BENCH_NODE_GROUP}
        assert pod["tolerations"] == on[role]["tolerations"]
        assert pod["tolerations"][0]["key"] == L.BENCH_TAINT_KEY  # not the published kit's stray quote
        assert pod["volumes"] == on["volumes"]
        assert pod["containers"] == [{"name": container, "volumeMounts": on[role]["volumeMounts"]}]
    same = {k: v for k, v in on.items() if k not in ("driver", "executor", "volumes")}
    assert same == {k: v for k, v in off.items() if k not in ("driver", "executor", "volumes")}


def test_a_path_still_reads_a_file_and_names_are_not_paths(tmp_path: Path) -> None:
    own = tmp_path / "with-webhook"  # a file of that name: reached through a path with a directory
    own.write_text(template.templates.read("without-webhook")[0])
    assert template.load(own).source == str(own)
    scenario = tmp_path / "s.yaml"
    scenario.write_text("spark-template: without-webhook\nwebhook: off\n")
    settings = run.build(run.load_scenario(scenario))
    assert settings.spark_template == Path("without-webhook") and settings.webhook == "off"  # YAML's off: a bool
    assert run.build({"spark_template": "with-webhook"}).spark_template == Path("with-webhook")
    with pytest.raises(ConfigError, match=r"^spark-template: cannot read without-webhook\.yaml"):
        run.build({"spark_template": "without-webhook.yaml"})


def test_webhook_setting_is_on_or_off_and_only_for_the_embedded_twin() -> None:
    assert run.build({"webhook": "on"}).webhook == "on" and run.build({}).webhook is None
    assert run.build({"webhook": True}).webhook == "on"
    with pytest.raises(ConfigError, match=r"^webhook must be one of on, off, got 'maybe'"):
        run.build({"webhook": "maybe"})
    run.check_twin_only(run.build({"webhook": "off"}))
    for target in ({"kubeconfig": __file__}, {"context": "bench"}, {"stack": "dev"}):
        with pytest.raises(ConfigError, match=r"^webhook is only for the embedded twin"):
            run.check_twin_only(run.build({"webhook": "off", **target}))

"""RunSettings: scenario file + flags, defaults, and one-line ConfigErrors naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchkit.errors import ConfigError
from benchkit.settings import run


def test_flags_override_scenario_file(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("jobs-per-min: 120\nusers: 2\njob_limit_per_user: 5\nspark-namespaces: a,b\ntimeout: 2m\n")
    s = run.build(run.load_scenario(path), {"users": 4, "jobs_per_min": None})
    assert (s.jobs_per_min, s.users, s.total, s.spark_namespaces, s.timeout) == (120.0, 4, 20, ("a", "b"), 120.0)
    assert s.embedded


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"jobs_per_min": 0}, "jobs-per-min must be > 0"),
        ({"jobs_per_min": "fast"}, "jobs-per-min: expected a number"),
        ({"users": 0}, "users must be >= 1"),
        ({"users": 1.5}, "users: expected an integer"),
        ({"spark_namespaces": "Team_A"}, "not a valid namespace name"),
        ({"scenario": "purge"}, "scenario must be one of"),
        ({"timeout": "soon"}, "timeout: expected a duration"),
        ({"total_jobs": 5, "job_limit_per_user": 2}, "not both"),
        ({"ramp": "10:5"}, "ramp: expected START:STEP:EVERY"),
        ({"ramp": "300:60:3s", "jobs_per_min": 100}, "either jobs-per-min"),
        ({"slo": ["saturation.sustained_per_min >= 100"]}, "only measured with --ramp"),
        ({"autoscale": "5:2"}, "autoscale: expected 0 <= MIN <= MAX"),
        ({"spark_template": "/no/such/file.yaml"}, "spark-template: cannot read"),
        ({"kubeconfig": "/no/such/kubeconfig"}, "kubeconfig: no such file"),
        ({"stack": "dev", "context": "x"}, "either --stack or"),
        ({"jobs_per_min": float("nan")}, "jobs-per-min: expected a finite number, got nan"),
        ({"jobs_per_min": "inf"}, "jobs-per-min: expected a finite number, got inf"),
        ({"operator_cpus": "nan"}, "operator-cpus: expected a finite number"),
        ({"budget": float("-inf")}, "budget: expected a finite number"),
        ({"app_seconds": float("inf")}, "app-seconds: expected a duration"),
        ({"timeout": "9" * 400}, "timeout: expected a duration"),
        ({"users": float("inf")}, "users: expected an integer"),
        ({"ramp": "nan:10:1m"}, "ramp: START, STEP and MAX must be finite"),
        ({"ramp": "10:5:1m:inf"}, "ramp: START, STEP and MAX must be finite"),
        ({"ramp": "10:5:nan"}, "ramp EVERY: expected a duration"),
    ],
)
def test_bad_values_name_the_key(raw: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        run.build(raw)


def test_scenario_file_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("users: [1,\n")
    with pytest.raises(ConfigError, match="invalid YAML"):
        run.load_scenario(bad)
    unknown = tmp_path / "unknown.yaml"
    unknown.write_text("jobs-per-minute: 10\n")
    with pytest.raises(ConfigError, match="unknown key 'jobs-per-minute'"):
        run.load_scenario(unknown)
    with pytest.raises(ConfigError, match="cannot read scenario file"):
        run.load_scenario(tmp_path / "missing.yaml")


def test_ramp_and_durations() -> None:
    assert run.parse_ramp("60:30:2m:300") == (60.0, 30.0, 120.0, 300.0)
    assert run.parse_duration("250ms", "x") == 0.25
    assert run.parse_min_max("0:200", "autoscale") == (0, 200)


def test_twin_model_settings_are_only_for_the_embedded_twin() -> None:
    run.check_twin_only(run.build({"operator_workers": 4, "operator_cpus": 8, "twin_profile": "paper"}))
    for raw in ({"operator_workers": 4}, {"operator_cpus": 8}, {"twin_profile": "fast"}):
        flag = next(iter(raw)).replace("_", "-")
        for target in ({"kubeconfig": __file__}, {"context": "bench"}, {"stack": "dev"}):
            settings = run.build({**raw, **target})  # plan models a real cluster's operator with them: accepted
            with pytest.raises(ConfigError, match=f"^{flag} is only for the embedded twin"):
                run.check_twin_only(settings)
    run.check_twin_only(run.build({"context": "bench", "nodes": 50}))  # --nodes also sizes --prescale

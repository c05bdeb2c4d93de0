"""Metric profiles: the built-in ones load, and every malformed entry is a one-line ConfigError."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchkit.errors import ConfigError
from benchkit.observe import profiles


def test_builtin_profiles_load_with_unique_names_and_known_kinds() -> None:
    metrics = profiles.load()
    names = [m.name for m in metrics]
    assert len(names) == len(set(names))
    assert {m.profile for m in metrics} == set(profiles.BUILTIN)
    assert {m.kind for m in metrics} == {"range", "instant"}
    for m in metrics:
        rendered = m.render(rate="30s", step="5s", window="600s")
        assert "$" not in rendered, m.name


def test_render_fills_variables() -> None:
    [metric] = profiles.parse(
        "- {name: a, kind: instant, query: 'max_over_time(x[$window:$step]) + rate(y[$rate])'}", "t"
    )
    assert metric.render(rate="8s", step="2s", window="90s") == "max_over_time(x[90s:2s]) + rate(y[8s])"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "non-empty list"),
        ("{name: a}", "non-empty list"),
        ("- [1, 2]", "expected a mapping"),
        ("- {name: a, query: up}", "missing 'kind'"),
        ("- {name: a, kind: range}", "missing 'query'"),
        ("- {name: a, query: up, kind: vector}", "kind must be one of range, instant"),
        ("- {name: a, query: up, kind: range, interval: 5s}", "unknown key 'interval'"),
        ("- {name: A-b, query: up, kind: range}", "name 'A-b' must match"),
        ("- {name: a, query: 3, kind: range}", "query must be a string"),
        ("- {name: a, query: '  ', kind: range}", "empty query"),
        ("- {name: a, query: 'rate(x[$interval])', kind: range}", "unknown variable $interval"),
        ("- {name: a, query: 'x > $', kind: range}", "is not one of"),
        ("- {name: a, query: up, kind: range}\n- {name: a, query: up, kind: instant}", None),
        ("- {name: a, query: up, kind: range", "invalid YAML"),
    ],
)
def test_malformed_profiles_are_rejected(text: str, message: str | None) -> None:
    if message is None:  # duplicate names inside one file are caught by load(), see below
        assert len(profiles.parse(text, "t")) == 2
        return
    with pytest.raises(ConfigError, match=message.replace("$", r"\$").replace("(", r"\(")):
        profiles.parse(text, "t")


def test_duplicate_names_across_profiles_and_files(tmp_path: Path) -> None:
    mine = tmp_path / "mine.yaml"
    mine.write_text("- {name: workqueue_depth, query: up, kind: range}\n")
    with pytest.raises(ConfigError, match="'workqueue_depth' is already defined in operator"):
        profiles.load(["operator", str(mine)])
    other = tmp_path / "other.yaml"
    other.write_text("- {name: my_up, query: up, kind: instant, unit: targets, help: scrape health}\n")
    [metric] = profiles.load([str(other)])
    assert (metric.profile, metric.unit, metric.help) == ("other", "targets", "scrape health")


def test_unknown_profile_name_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not a built-in profile"):
        profiles.load(["nodes-and-stuff"])

"""One CRD schema converter: the template check and the twin's admission agree on every SparkApplication."""

from __future__ import annotations

import copy
from typing import Any

import orjson
import pytest

from benchkit.errors import ConfigError
from benchkit.spark import crdschema, template
from benchkit.twin.validation import check_spec


def test_converter_keeps_field_names_and_data_drops_extensions() -> None:
    node = {
        "type": "object",
        "description": "dropped",
        "x-kubernetes-preserve-unknown-fields": True,
        "properties": {
            "description": {"type": "string", "description": "a field named description"},
            "nullable": {"type": "integer", "nullable": True},
            "withDefault": {"type": "object", "default": {"description": "data, kept"}},
            "quantity": {"anyOf": [{"type": "integer"}, {"type": "string"}], "x-kubernetes-int-or-string": True},
        },
        "additionalProperties": {"type": "string", "nullable": True},
    }
    assert crdschema.to_json_schema(node) == {
        "type": "object",
        "properties": {
            "description": {"type": "string"},
            "nullable": {"type": ["integer", "null"]},
            "withDefault": {"type": "object", "default": {"description": "data, kept"}},
            "quantity": {"anyOf": [{"type": "integer"}, {"type": "string"}]},
        },
        "additionalProperties": {"type": ["string", "null"]},
    }


def test_the_crds_nullable_status_fields_accept_null() -> None:
    status = {"driverInfo": {}, "lastSubmissionAttemptTime": None, "terminationTime": None}
    assert list(crdschema.validator("status").iter_errors(status)) == []
    assert list(crdschema.validator("status").iter_errors({"driverInfo": {}, "terminationTime": 5})) != []


def _rendered() -> dict[str, Any]:
    loaded = template.load()
    return template.render(loaded, run_id="r", scenario="delete", seq=0, namespace="default", app_seconds=1)


def _set(path: str, value: Any) -> Any:
    def change(app: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node = app
        for part in parents:
            node = node.setdefault(part, {})
        if value is _DELETE:
            node.pop(last, None)
        else:
            node[last] = value

    return change


_DELETE = object()
CHANGES = {
    "unchanged": _set("spec.mode", "cluster"),
    "instances not an integer": _set("spec.executor.instances", "many"),
    "unknown mode": _set("spec.mode", "sideways"),
    "no driver": _set("spec.driver", _DELETE),
    "no type": _set("spec.type", _DELETE),
    "memory overhead as a number": _set("spec.driver.memoryOverhead", 5),
    "unknown field": _set("spec.driver.frobnicate", True),
    "cores as a string": _set("spec.driver.cores", "1"),
    "int-or-string quantity": _set("spec.driver.coreRequest", "500m"),
    "sparkConf with a number": _set("spec.sparkConf", {"spark.x": 1}),
}


@pytest.mark.parametrize("name", sorted(CHANGES))
def test_template_check_and_twin_admission_agree(name: str) -> None:
    app = _rendered()
    CHANGES[name](app)
    try:
        template.validate(copy.deepcopy(app))
        template_ok = True
    except ConfigError:
        template_ok = False
    _, _, causes = check_spec(orjson.dumps(app["spec"], option=orjson.OPT_SORT_KEYS))
    assert template_ok == (not causes), (name, causes)
    if name == "unchanged":
        assert template_ok
    if name in ("instances not an integer", "no driver", "unknown mode"):
        assert not template_ok  # the agreement is not vacuous

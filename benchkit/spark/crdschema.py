"""The SparkApplication CRD's `openAPIV3Schema`, and its one conversion to JSON Schema.

Both the template check (`spark/template.py`) and the twin's admission (`twin/validation.py`) validate
with `validator()`, so a template passes one exactly when it passes the other.

OpenAPI v3 (a structural schema, as kube-apiserver reads it: k8s.io/apiextensions-apiserver
pkg/apiserver/schema) differs from JSON Schema (draft 7) where this CRD uses it:
- `nullable: true` allows null: the type becomes `[T, "null"]`;
- `x-kubernetes-*` extensions and `description` are not validation keywords: dropped (the twin's
  pruning reads `x-kubernetes-preserve-unknown-fields` from `raw_schema()` itself);
- `x-kubernetes-int-or-string` fields already carry `anyOf: [{type: integer}, {type: string}]`.
Keys under `properties` are field names, not keywords, and `default`/`enum`/`example` hold data: neither
is filtered.
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import Any

import jsonschema
import yaml

CRD_FILE = "sparkoperator.k8s.io_sparkapplications.yaml"
VERSION = "v1beta2"
_SUBSCHEMA = ("items", "additionalProperties", "not")
_SUBSCHEMA_LISTS = ("allOf", "anyOf", "oneOf")
_SUBSCHEMA_MAPS = ("properties", "patternProperties", "definitions")


def to_json_schema(node: Any) -> Any:
    """One OpenAPI v3 schema node as JSON Schema (a new value)."""
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "description" or key.startswith("x-kubernetes-") or key == "nullable":
            continue
        if key in _SUBSCHEMA_MAPS and isinstance(value, dict):
            out[key] = {name: to_json_schema(sub) for name, sub in value.items()}
        elif key in _SUBSCHEMA_LISTS and isinstance(value, list):
            out[key] = [to_json_schema(sub) for sub in value]
        elif key in _SUBSCHEMA:
            out[key] = to_json_schema(value)
        else:
            out[key] = value
    if node.get("nullable") is True and isinstance(out.get("type"), str):
        out["type"] = [out["type"], "null"]
    return out


@functools.cache
def raw_schema() -> dict[str, Any]:
    """The CRD's openAPIV3Schema for v1beta2, as shipped in benchkit/spark/crd/ (do not modify it)."""
    text = resources.files("benchkit.spark").joinpath("crd", CRD_FILE).read_text()
    crd = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    version = next(v for v in crd["spec"]["versions"] if v["name"] == VERSION)
    schema: dict[str, Any] = version["schema"]["openAPIV3Schema"]
    return schema


@functools.cache
def validator(part: str = "") -> jsonschema.protocols.Validator:
    """A draft-7 validator for the whole SparkApplication, or for one top-level property (e.g. "spec")."""
    schema = raw_schema()
    if part:
        schema = schema["properties"][part]
    return jsonschema.Draft7Validator(to_json_schema(schema))

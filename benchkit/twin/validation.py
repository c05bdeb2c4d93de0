"""Admission for created objects: name rules, and SparkApplications against the CRD's openAPIV3Schema.

As kube-apiserver does for a structural schema: unknown fields are pruned (reported back as warnings,
or rejected with `fieldValidation=Strict`), defaults applied, then the object is validated; failures
are 422 Invalid with one cause per field path. Results are cached by spec, since a benchmark submits
thousands of apps that differ only in name and labels.
"""

from __future__ import annotations

import copy
import re
from functools import lru_cache
from typing import Any

import jsonschema
import orjson

from benchkit.kube.names import DNS1123_LABEL, DNS1123_LABEL_MAX
from benchkit.spark import crdschema
from benchkit.twin.resources import NAMESPACES, PODS, SPARK_APPS, ResourceType
from benchkit.twin.status import ApiFailure, invalid

Obj = dict[str, Any]
Cause = dict[str, str]
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL_NAME = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must "
    "start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
_LABEL_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and "
    "end with an alphanumeric character (e.g. 'my-name', or '123-abc', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
# The operator names the driver pod `<name>-driver` and the UI service `<name>-ui-svc`: both must be labels.
_APP_SUFFIXES = ("-driver", "-ui-svc")
MAX_APP_NAME = 63 - max(len(s) for s in _APP_SUFFIXES)


def cause(field: str, reason: str, message: str) -> Cause:
    return {"reason": reason, "message": message, "field": field}


def _bad_value(field: str, value: Any, why: str) -> Cause:
    return cause(field, "FieldValueInvalid", f"Invalid value: {orjson.dumps(value).decode()}: {why}")


def name_causes(resource: ResourceType, name: str) -> list[Cause]:
    if resource is NAMESPACES:
        if len(name) > DNS1123_LABEL_MAX or not DNS1123_LABEL.match(name):
            return [_bad_value("metadata.name", name, _LABEL_MSG)]
        return []
    if len(name) > 253 or not DNS_SUBDOMAIN.match(name):
        return [_bad_value("metadata.name", name, _SUBDOMAIN_MSG)]
    if resource is SPARK_APPS:
        if not DNS1123_LABEL.match(name):
            return [_bad_value("metadata.name", name, f"{_LABEL_MSG}; the operator names pods <name>-driver")]
        if len(name) > MAX_APP_NAME:
            why = f"must be no more than {MAX_APP_NAME} characters: <name>-driver and <name>-ui-svc must be DNS labels"
            return [_bad_value("metadata.name", name, why)]
    return []


def label_causes(labels: Any) -> list[Cause]:
    if labels is None:
        return []
    if not isinstance(labels, dict):
        return [_bad_value("metadata.labels", labels, "must be a map of string to string")]
    out = []
    for key, value in labels.items():
        prefix, _, last = key.rpartition("/")
        if (prefix and not DNS_SUBDOMAIN.match(prefix)) or len(last) > 63 or not _LABEL_NAME.match(last):
            out.append(
                _bad_value("metadata.labels", key, "name part must consist of alphanumeric characters, '-', '_' or '.'")
            )
        if not isinstance(value, str) or len(value) > 63 or not _LABEL_VALUE.match(value):
            out.append(_bad_value(f"metadata.labels[{key}]", value, "a valid label must be 63 characters or less"))
    return out


def admit(resource: ResourceType, obj: Obj, strict: bool) -> list[str]:
    """Validate (and prune/default) `obj` in place for creation; returns warnings. Raises 422/400."""
    meta = obj["metadata"]
    name = meta["name"]
    causes = name_causes(resource, name) + label_causes(meta.get("labels"))
    warnings: list[str] = []
    if resource is SPARK_APPS:
        obj.pop("status", None)  # the status subresource: status is ignored on create
        spec = obj.get("spec")
        pruned, unknown, spec_causes = check_spec(orjson.dumps(spec, option=orjson.OPT_SORT_KEYS))
        if pruned is not None:
            obj["spec"] = orjson.loads(pruned)
        if unknown and strict:
            joined = ", ".join(f'unknown field "{u}"' for u in unknown)
            raise ApiFailure(
                400,
                'SparkApplication in version "v1beta2" cannot be handled as a SparkApplication: '
                f"strict decoding error: {joined}",
            )
        warnings = [f'unknown field "{u}"' for u in unknown]
        causes += spec_causes
    elif resource is PODS:
        containers = (obj.get("spec") or {}).get("containers")
        if not containers:
            causes.append(cause("spec.containers", "FieldValueRequired", "Required value"))
    if causes:
        raise invalid(resource.kind, resource.group, name, causes)
    return warnings


def preload() -> None:
    """Load and compile the CRD schema now rather than on the first create."""
    _schemas()


def _schemas() -> tuple[Obj, jsonschema.protocols.Validator]:
    """The CRD's spec schema (for pruning and defaults) and its validator: the same converter as the template
    check uses (benchkit/spark/crdschema.py)."""
    spec: Obj = crdschema.raw_schema()["properties"]["spec"]
    return spec, crdschema.validator("spec")


def _prune(node: Any, schema: Obj, path: str, unknown: list[str]) -> None:
    """Drop fields the schema does not know, and fill in defaults, in place."""
    if schema.get("x-kubernetes-preserve-unknown-fields"):
        return
    if isinstance(node, dict):
        props = schema.get("properties")
        if props is not None:
            for key in list(node):
                if key not in props:
                    unknown.append(f"{path}.{key}")
                    del node[key]
                else:
                    _prune(node[key], props[key], f"{path}.{key}", unknown)
            for key, sub in props.items():
                if "default" in sub and key not in node:
                    node[key] = copy.deepcopy(sub["default"])
        elif isinstance(schema.get("additionalProperties"), dict):
            for key, value in node.items():
                _prune(value, schema["additionalProperties"], f"{path}[{key}]", unknown)
    elif isinstance(node, list) and isinstance(schema.get("items"), dict):
        for i, item in enumerate(node):
            _prune(item, schema["items"], f"{path}[{i}]", unknown)


def _field(base: str, path: Any) -> str:
    out = base
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _error_cause(err: jsonschema.ValidationError) -> Cause:
    field = _field("spec", err.absolute_path)
    if err.validator == "required":
        missing = err.message.split("'")[1] if "'" in err.message else ""
        return cause(f"{field}.{missing}" if missing else field, "FieldValueRequired", "Required value")
    value = orjson.dumps(err.instance, default=str).decode()
    expected: Any = err.validator_value
    if err.validator == "enum":
        supported = ", ".join(orjson.dumps(v).decode() for v in expected)
        return cause(field, "FieldValueNotSupported", f"Unsupported value: {value}: supported values: {supported}")
    if err.validator == "type":
        wanted = expected if isinstance(expected, str) else expected[0]
        message = f"Invalid value: {value}: {field} in body must be of type {wanted}: {value}"
        return cause(field, "FieldValueTypeInvalid", message)
    return cause(field, "FieldValueInvalid", f"Invalid value: {value}: {field} in body {err.message}")


@lru_cache(maxsize=512)
def check_spec(spec_json: bytes) -> tuple[bytes | None, tuple[str, ...], list[Cause]]:
    """(pruned spec JSON or None if unchanged, unknown field paths, causes) for one spec (sorted-keys JSON)."""
    spec = orjson.loads(spec_json)
    if spec is None:
        return None, (), [cause("spec", "FieldValueRequired", "Required value")]
    schema, validator = _schemas()
    unknown: list[str] = []
    if not isinstance(spec, dict):
        return (
            None,
            (),
            [
                cause(
                    "spec",
                    "FieldValueTypeInvalid",
                    f"Invalid value: {spec_json.decode()}: spec in body must be of type object",
                )
            ],
        )
    _prune(spec, schema, "spec", unknown)
    errors = sorted(validator.iter_errors(spec), key=lambda e: (list(map(str, e.absolute_path)), e.message))
    pruned = orjson.dumps(spec) if unknown or spec != orjson.loads(spec_json) else None
    return pruned, tuple(unknown), [_error_cause(e) for e in errors]

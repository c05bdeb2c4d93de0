"""Decoding the protobuf bodies kubectl 1.32 sends for its imperative creates.

The byte strings are kubectl v1.32.4's own requests, captured with `kubectl -v=8 create ...` against the
twin (the "Request Body" hex dump). Field numbers: kubernetes/apimachinery v0.32.9
pkg/runtime/generated.proto, pkg/apis/meta/v1/generated.proto; kubernetes/api v0.32.9 core/v1/generated.proto.
"""

from __future__ import annotations

import pytest

from benchkit.twin import protobuf
from benchkit.twin.resources import CONFIGMAPS, NAMESPACES, PODS, SERVICEACCOUNTS, SPARK_APPS
from benchkit.twin.status import ApiFailure

# kubectl create namespace kx
NAMESPACE_KX = bytes.fromhex(
    "6b3873000a0f0a02763112094e616d657370616365121a0a120a026b7812001a0022002a0032003800420012001a020a001a002200"
)
# kubectl create configmap pc -n kx --from-literal=k=v --from-literal=e=
CONFIGMAP_PC = bytes.fromhex(
    "6b3873000a0f0a0276311209436f6e6669674d617012250a140a02706312001a026b7822002a0032003800420012050a"
    "0165120012060a016b1201761a002200"
)
# kubectl create sa psa -n kx
SERVICEACCOUNT_PSA = bytes.fromhex(
    "6b3873000a140a027631120e536572766963654163636f756e7412170a150a0370736112001a026b7822002a003200380042001a002200"
)


def test_namespace_as_kubectl_sends_it() -> None:
    assert protobuf.decode_object(NAMESPACE_KX, NAMESPACES) == {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": "kx"},
        "spec": {},
    }


def test_configmap_keeps_an_empty_value() -> None:
    obj = protobuf.decode_object(CONFIGMAP_PC, CONFIGMAPS)
    assert obj["metadata"] == {"name": "pc", "namespace": "kx"}
    assert obj["data"] == {"e": "", "k": "v"}


def test_serviceaccount() -> None:
    obj = protobuf.decode_object(SERVICEACCOUNT_PSA, SERVICEACCOUNTS)
    assert obj == {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "psa", "namespace": "kx"}}


def _field(number: int, payload: bytes) -> bytes:
    return bytes([number << 3 | 2, len(payload)]) + payload


def _envelope(kind: bytes, raw: bytes) -> bytes:
    type_meta = _field(1, b"v1") + _field(2, kind)
    return protobuf.MAGIC + _field(1, type_meta) + _field(2, raw)


def test_labels_annotations_binary_data_and_flags() -> None:
    meta = _field(1, b"c") + _field(11, _field(1, b"app") + _field(2, b"x")) + _field(12, _field(1, b"note"))
    raw = _field(1, meta) + _field(3, _field(1, b"bin") + _field(2, b"\x00\xff")) + bytes([4 << 3, 1])
    obj = protobuf.decode_object(_envelope(b"ConfigMap", raw), CONFIGMAPS)
    assert obj["metadata"] == {"name": "c", "labels": {"app": "x"}, "annotations": {"note": ""}}
    assert obj["binaryData"] == {"bin": "AP8="} and obj["immutable"] is True


def test_kind_must_match_the_endpoint() -> None:
    with pytest.raises(ApiFailure) as caught:
        protobuf.decode_object(NAMESPACE_KX, CONFIGMAPS)
    assert caught.value.code == 400 and "Namespace != ConfigMap" in caught.value.message


@pytest.mark.parametrize("body", [b"k8s\x00\x0a\x05\x0a", b"not protobuf", NAMESPACE_KX[:-3] + b"\x12\x7f"])
def test_malformed_bodies_are_400(body: bytes) -> None:
    with pytest.raises(ApiFailure) as caught:
        protobuf.decode_object(body, NAMESPACES)
    assert caught.value.code == 400 and "unknown format" in caught.value.message


@pytest.mark.parametrize("resource", [PODS, SPARK_APPS])
def test_kinds_without_a_decoder_are_415(resource: object) -> None:
    with pytest.raises(ApiFailure) as caught:
        protobuf.decode_object(NAMESPACE_KX, resource)  # type: ignore[arg-type]
    assert caught.value.code == 415 and caught.value.reason == "UnsupportedMediaType"

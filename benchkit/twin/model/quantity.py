"""Kubernetes quantities and Spark memory strings, as integers (millicores, bytes)."""

from __future__ import annotations

import math
import re

_K8S_SUFFIX = {
    "": 1, "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15, "E": 10**18,
    "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60, "m": 1,
}  # fmt: skip
_K8S = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E|m)?\s*$")
# Spark's JVM memory strings (spark.driver.memory): a bare number is MiB; units are binary.
_SPARK = re.compile(r"^\s*([0-9]+)\s*(b|k|kb|m|mb|g|gb|t|tb|p|pb)?\s*$", re.IGNORECASE)
_SPARK_UNIT = {"b": 1, "k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40, "p": 2**50}
MIB = 2**20


def cpu_millis(value: object) -> int:
    """CPU quantity ("100m", "0.1", 1, "2") to millicores, rounded up as the API server does."""
    if isinstance(value, bool):
        raise ValueError(f"not a CPU quantity: {value!r}")
    if isinstance(value, int | float):
        return math.ceil(float(value) * 1000 - 1e-9)
    match = _K8S.match(str(value))
    if not match:
        raise ValueError(f"not a CPU quantity: {value!r}")
    number, suffix = float(match.group(1)), match.group(2) or ""
    if suffix == "m":
        return math.ceil(number - 1e-9)
    return math.ceil(number * _K8S_SUFFIX[suffix] * 1000 - 1e-9)


def k8s_bytes(value: object) -> int:
    """Memory quantity ("512Mi", "1G", "1024") to bytes."""
    if isinstance(value, bool):
        raise ValueError(f"not a memory quantity: {value!r}")
    if isinstance(value, int | float):
        return math.ceil(value)
    match = _K8S.match(str(value))
    if not match or match.group(2) == "m":
        raise ValueError(f"not a memory quantity: {value!r}")
    return math.ceil(float(match.group(1)) * _K8S_SUFFIX[match.group(2) or ""])


def spark_mib(value: object) -> int:
    """Spark memory string ("512m", "2g", "0m") to MiB; a bare number means MiB, as in spark-submit."""
    if isinstance(value, bool):
        raise ValueError(f"not a Spark memory string: {value!r}")
    if isinstance(value, int):
        return value
    match = _SPARK.match(str(value))
    if not match:
        raise ValueError(f"not a Spark memory string: {value!r}")
    unit = (match.group(2) or "m").lower()[0]
    return int(match.group(1)) * _SPARK_UNIT[unit] // MIB


def format_cpu(millis: int) -> str:
    return f"{millis // 1000}" if millis % 1000 == 0 else f"{millis}m"


def format_bytes(value: int) -> str:
    for suffix, size in (("Gi", 2**30), ("Mi", 2**20), ("Ki", 2**10)):
        if value % size == 0 and value >= size:
            return f"{value // size}{suffix}"
    return str(value)

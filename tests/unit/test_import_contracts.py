"""The import contracts (.importlinter) name their source modules one by one: each must list every top-level
module of benchkit but the one it exempts, so a module added later is held to them too."""

from __future__ import annotations

import configparser
import pkgutil
from pathlib import Path

import pytest

import benchkit

REPO = Path(__file__).resolve().parents[2]
EXEMPT = {
    "kubernetes-in-kube": {"benchkit.kube"},
    "locust-at-the-edge": {"benchkit.load"},  # the locustfile too: it imports benchkit.load, never locust itself
    "boto3-in-capacity": {"benchkit.capacity"},
}


def _top_level() -> set[str]:
    return {f"benchkit.{m.name}" for m in pkgutil.iter_modules(benchkit.__path__)}


def _contracts() -> configparser.ConfigParser:
    parser = configparser.ConfigParser()
    parser.read(REPO / ".importlinter")
    return parser


@pytest.mark.parametrize("contract", sorted(EXEMPT))
def test_each_forbidden_contract_lists_every_other_top_level_module(contract: str) -> None:
    section = _contracts()[f"importlinter:contract:{contract}"]
    sources = set(section["source_modules"].split())
    assert sources | EXEMPT[contract] >= _top_level(), sorted(_top_level() - sources - EXEMPT[contract])
    assert not sources & EXEMPT[contract]


def test_every_package_has_a_layer() -> None:
    layers = _contracts()["importlinter:contract:layers"]["layers"]
    named = {m for line in layers.splitlines() for m in line.replace(":", " ").split()}
    packages = {f"benchkit.{m.name}" for m in pkgutil.iter_modules(benchkit.__path__)
                if m.ispkg or m.name in ("errors", "clock", "checks")}  # fmt: skip
    assert packages <= named, sorted(packages - named)

"""`benchkit plan --webhook on|off`: the plan models the operator's mutating webhook like the embedded twin."""

from __future__ import annotations

import json
from typing import Any

import pytest

from benchkit.cli import main

PAPER = ["--jobs-per-min", "1000", "--operator-workers", "10", "--operator-cpus", "36", "--app-seconds", "10m"]


def plan_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    main(["plan", *args, "--json"])
    return json.loads(capsys.readouterr().out)


def test_plan_with_the_webhook_off_processes_faster(capsys: pytest.CaptureFixture[str]) -> None:
    on = plan_json(capsys, "--total-jobs", "600", *PAPER)
    off = plan_json(capsys, "--total-jobs", "600", *PAPER, "--webhook", "off", "--spark-template", "without-webhook")
    assert on["webhook"] is True and off["webhook"] is False
    assert on["final_states"] == off["final_states"] == {"COMPLETED": 600}
    assert off["processed_per_min"] > on["processed_per_min"]  # each spark-submit no longer waits on admission
    assert off["last_start_s"] < on["last_start_s"]
    assert not any("off the bench group" in n for n in on["notes"] + off["notes"])  # both placed on bench nodes


def test_plan_says_why_a_with_webhook_template_lands_off_the_bench_group(capsys: pytest.CaptureFixture[str]) -> None:
    """The default (with-webhook) template without the webhook: no bench toleration or node selector, so the pods
    go to the core group (kubeflow/spark-operator v2.1.0 internal/webhook/sparkpod_defaulter.go applies them)."""
    off = plan_json(capsys, "--total-jobs", "60", "--jobs-per-min", "600", "--app-seconds", "30", "--webhook", "off")
    assert off["peak_nodes_needed"].get("core", 0) > 0 and "bench" not in off["peak_nodes_needed"]
    (note,) = [n for n in off["notes"] if "off the bench group" in n]
    assert f"need {off['peak_nodes_needed']['core']} core node(s)" in note
    assert note.endswith("use --spark-template without-webhook")

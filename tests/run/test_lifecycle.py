"""The run lifecycle's runner (orchestrate/lifecycle.py), the contact monitor (tracker/contact.py) and the
progress line's outage part, without a cluster."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from rich.console import Console

from benchkit import clock
from benchkit.errors import ConfigError
from benchkit.orchestrate import run as orchestrate
from benchkit.orchestrate.context import RunContext
from benchkit.orchestrate.lifecycle import at_end, do, hold, run_steps, unwind_order
from benchkit.orchestrate.progress import Progress, Snapshot
from benchkit.results import journal
from benchkit.settings import run as run_settings
from benchkit.tracker.contact import LOST, REGAINED, Contact


def _ctx() -> RunContext:
    quiet = Console(quiet=True)
    return RunContext(settings=run_settings.build(), console=quiet, out=quiet)


def _steps(log: list[str], fail: str | None = None, fail_at_exit: str | None = None) -> list:  # type: ignore[type-arg]
    def act(name: str):  # type: ignore[no-untyped-def]
        def fn(ctx: RunContext) -> None:
            log.append(name)
            if name == fail:
                raise ConfigError(f"{name} failed")

        return fn

    def pair(name: str):  # type: ignore[no-untyped-def]
        @contextmanager
        def cm(ctx: RunContext) -> Iterator[None]:
            log.append(f"start {name}")
            yield
            log.append(f"stop {name}")
            if name == fail_at_exit:
                raise RuntimeError(f"stopping {name} failed")

        return cm

    return [
        do("a", act("a")),
        hold("twin", pair("twin")),
        at_end("results", act("results")),
        do("b", act("b")),
        hold("lease", pair("lease")),
        do("c", act("c")),
    ]


def test_steps_start_in_list_order_and_stop_in_reverse() -> None:
    log: list[str] = []
    steps = _steps(log)
    run_steps(_ctx(), steps)
    assert log == ["a", "start twin", "b", "start lease", "c", "stop lease", "results", "stop twin"]
    assert unwind_order(steps) == ["lease", "results", "twin"]


def test_a_failing_step_skips_the_rest_and_unwinds_what_started() -> None:
    log: list[str] = []
    ctx = _ctx()
    with pytest.raises(ConfigError, match=r"^b failed$"):
        run_steps(ctx, _steps(log, fail="b"))
    assert log == ["a", "start twin", "b", "results", "stop twin"]  # the lease never started, so never stops
    assert ctx.end_reason == "error" and ctx.error == "b failed"


def test_an_error_while_unwinding_does_not_stop_the_unwinding_and_the_first_error_wins() -> None:
    log: list[str] = []
    ctx = _ctx()
    with pytest.raises(ConfigError, match=r"^c failed$"):
        run_steps(ctx, _steps(log, fail="c", fail_at_exit="lease"))
    assert log[-3:] == ["stop lease", "results", "stop twin"]
    assert ctx.error == "c failed"
    log.clear()
    with pytest.raises(RuntimeError, match=r"^stopping lease failed$"):
        run_steps(_ctx(), _steps(log, fail_at_exit="lease"))
    assert log[-2:] == ["results", "stop twin"]


def test_the_lifecycle_is_one_list_and_the_plain_locust_one_differs_only_in_driving() -> None:
    names = [s.name for s in orchestrate.LIFECYCLE]
    assert len(names) == len(set(names))
    plain = [s.name for s in orchestrate.lifecycle(lambda ctx: None, interactive=False)]
    assert plain == [n for n in names if n not in ("ctrl_c", "progress")]
    assert orchestrate.UNWIND[:3] == ["progress", "tracker", "autoscale"]  # tracking ends before anything is deleted
    assert orchestrate.UNWIND.index("cleanup") < orchestrate.UNWIND.index("teardown") < orchestrate.UNWIND.index(
        "results") < orchestrate.UNWIND.index("target")  # fmt: skip


def test_contact_journals_each_loss_and_regain_once(tmp_path: Path) -> None:
    contact = Contact(journal.Journal(tmp_path, src="tracker"))
    contact.answered()
    assert contact.outage() is None
    contact.failed("Connection refused")
    contact.failed("Connection refused")  # a second loop reports the same outage
    outage = contact.outage()
    assert outage is not None and outage.error == "Connection refused" and 0 <= outage.lasted() < 5
    contact.answered()
    contact.answered()
    assert contact.outage() is None
    stages = [(e["name"], e["detail"]) for e in journal.read(tmp_path) if e["ev"] == journal.STAGE]
    assert [name for name, _ in stages] == [LOST, REGAINED]
    assert stages[0][1]["error"] == "Connection refused" and stages[1][1]["lost_s"] >= 0
    assert stages[1][1]["since_wall"] == stages[0][1]["since_wall"] == outage.since_wall
    assert abs(outage.since_wall - clock.wall()) < 5


def test_the_progress_line_says_the_api_server_is_unreachable() -> None:
    snap = Snapshot(phase="tracking", planned=200, submitted=200, create_failed=189, operator_submitted=11,
                    running=11, completed=0, failed=0, target_per_min=600, deadline_in_s=1761.0)  # fmt: skip
    progress = Progress(Console(quiet=True), lambda: snap)
    assert "unreachable" not in progress.line(snap)
    snap.unreachable_s = 12.4
    line = progress.line(snap)
    assert line.endswith("| waiting for 11 (timeout in 1761s) | API server unreachable for 12 s; watches reconnecting")


def test_api_grace_is_a_duration_and_must_be_positive() -> None:
    assert run_settings.build(overrides={"api_grace": "90s"}).api_grace == 90.0
    assert run_settings.build().api_grace == 120.0
    with pytest.raises(ConfigError, match=r"^api-grace must be > 0, got 0$"):
        run_settings.build(overrides={"api_grace": "0"})
    with pytest.raises(ConfigError, match=r"^api-grace: expected a duration such as 90s"):
        run_settings.build(overrides={"api_grace": "soon"})


def _kind(step: object) -> str:
    return "hold" if getattr(step, "hold", None) else "at_end" if getattr(step, "end", None) else "do"


def test_docs_run_md_gives_the_lifecycle_as_declared() -> None:
    """docs/run.md "Where to change the lifecycle" lists the steps by kind, the starting and the unwinding order;
    all three follow the one list, so a step added to it without the doc fails here."""
    text = " ".join((Path(__file__).resolve().parents[2] / "docs" / "run.md").read_text().split())

    def listed(body: str) -> list[str]:
        """Names in order; a parenthesised group (at_end steps, written in the order they act) is reversed, as
        `run.ends()` declares it."""
        out: list[str] = []
        group: list[str] | None = None
        for raw in body.split(","):
            name = raw.strip("() ")
            if raw.strip().startswith("("):
                group = []
            (out if group is None else group).append(name)
            if raw.strip().endswith(")") and group is not None:
                out += reversed(group)
                group = None
        return out

    starting = listed(text.split("Starting order: ", 1)[1].split(". Unwinding", 1)[0])
    assert starting == [s.name for s in orchestrate.LIFECYCLE]
    assert listed(text.split("(`run.UNWIND`): ", 1)[1].split(". A failing", 1)[0]) == orchestrate.UNWIND
    for kind in ("do", "hold", "at_end"):
        line = re.split(r"\);|\)\.", text.split(f"- `{kind}(name, ", 1)[1], maxsplit=1)[0]  # "...: in order (a, b"
        names = {n.split(" (")[0].strip("() ") for n in line.split(" (", 1)[1].split(", ")}
        assert names == {s.name for s in orchestrate.LIFECYCLE if _kind(s) == kind}, kind

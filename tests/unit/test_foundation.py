"""The shared contracts: journal round trip and torn lines, CLI exit codes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchkit import cli
from benchkit.kube import rest
from benchkit.results import journal
from benchkit.spark import states


def test_journal_round_trip_and_torn_last_line(tmp_path: Path) -> None:
    with journal.Journal(tmp_path, src="test") as j:
        j.emit(journal.STAGE, name="a", detail={})
        j.emit(journal.STAGE, name="b", detail={"k": 1})
    with (tmp_path / journal.EVENTS_FILE).open("ab") as fh:
        fh.write(b'{"ev": "stage", "name": "tor')  # a crash in the middle of a write
    events = list(journal.read(tmp_path))
    assert [e["name"] for e in events] == ["a", "b"]
    assert all(e["src"] == "test" and e["mono"] > 0 and e["wall"] > 1.7e9 for e in events)


def test_journal_appends_from_two_writers_keep_whole_lines(tmp_path: Path) -> None:
    a, b = journal.Journal(tmp_path, src="a"), journal.Journal(tmp_path, src="b")
    for i in range(200):
        (a if i % 2 else b).emit(journal.STAGE, name=str(i), detail={"pad": "x" * 500})
    a.close()
    b.close()
    names = [e["name"] for e in journal.read(tmp_path)]
    assert names == [str(i) for i in range(200)]


def test_state_of_new_app() -> None:
    assert states.state_of({"status": {}}) == states.NEW
    assert states.state_of({"status": {"applicationState": {"state": "RUNNING"}}}) == states.RUNNING
    assert states.is_terminal(states.FAILED) and not states.is_terminal(states.SUBMITTED)


def test_cli_unknown_command_exits_2_with_one_line() -> None:
    proc = subprocess.run([sys.executable, "-m", "benchkit", "no-such-command"],
                          capture_output=True, text=True, env={**os.environ}, check=False)  # fmt: skip
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("benchkit: error:")


def test_cli_reports_an_escaped_transport_error_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A cluster that stops answering where nothing wrapped the error is a runtime error, not a traceback."""

    def no_answer(**_: object) -> None:
        raise rest.TransportError("MaxRetryError: HTTPSConnectionPool(host='127.0.0.1'):\n Connection refused")

    monkeypatch.setattr(cli.cli, "main", no_answer)
    with pytest.raises(SystemExit) as exited:
        cli.main(["run"])
    assert exited.value.code == 1
    assert capsys.readouterr().err == (
        "benchkit: error: no answer from the cluster: MaxRetryError: HTTPSConnectionPool(host='127.0.0.1'): "
        "Connection refused\n"
    )

"""bench/common.py: every BENCHMARKS.md section names the machine, the commit measured and the command line."""

from __future__ import annotations

import argparse
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import common


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True).stdout.strip()


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git checkout with BENCHMARKS.md and one source file committed, standing in for the project."""
    _git(tmp_path, "init", "-q")
    (tmp_path / "BENCHMARKS.md").write_text("# benchmarks\n")
    (tmp_path / "code.py").write_text("x = 1\n")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "start")
    monkeypatch.setattr(common, "REPO", tmp_path)
    return tmp_path


def test_commit_is_dirty_when_code_changed_but_not_when_only_the_output_did(repo: Path) -> None:
    head = _git(repo, "rev-parse", "--short", "HEAD")
    out = repo / "BENCHMARKS.md"
    assert common.commit(out) == head
    out.write_text("# benchmarks\n\n## an earlier section\n")  # make bench: the previous script appended
    assert common.commit(out) == head
    assert common.commit(repo / "elsewhere.md") == f"{head}+dirty"  # the changed file is not this run's output
    (repo / "code.py").write_text("x = 2\n")
    assert common.commit(out) == f"{head}+dirty"


def test_a_new_untracked_file_makes_the_tree_dirty(repo: Path) -> None:
    (repo / "new_bench.py").write_text("")
    assert common.commit(repo / "BENCHMARKS.md").endswith("+dirty")


def test_append_writes_the_header_taken_at_start(repo: Path) -> None:
    out = repo / "BENCHMARKS.md"
    header = common.Header(machine="m, 2 cores", commit="abc1234", command="uv run --frozen python bench/x.py --n 1")
    common.append("Title", "| a |\n|---|\n| 1 |", "notes", header, out)
    text = out.read_text()
    assert text.startswith("# benchmarks\n")  # appended, nothing rewritten
    section = text.split("\n## ", 1)[1]
    title, *lines = section.splitlines()
    assert title.startswith("Title (") and title.endswith(" UTC)")
    assert lines[1:4] == [
        "- machine: m, 2 cores",
        "- commit: `abc1234`",
        "- command: `uv run --frozen python bench/x.py --n 1`",
    ]
    assert section.rstrip().endswith("| 1 |\n\nnotes")


def test_the_title_says_when_the_measurement_started_and_ended(repo: Path) -> None:
    out = repo / "BENCHMARKS.md"
    header = common.begin(out)
    common.append("Title", "| a |", "notes", header, out)
    title = out.read_text().split("\n## ", 1)[1].splitlines()[0]
    stamp = r"\d{4}-\d\d-\d\d \d\d:\d\d UTC"
    # "started to HH:MM UTC" on the same day; only the end, dated, across midnight
    started = re.escape(header.started.removesuffix(" UTC"))
    assert re.fullmatch(rf"Title \(({started} to \d\d:\d\d UTC|{stamp})\)", title), title
    assert re.fullmatch(stamp, header.started)


def test_the_command_is_the_uv_command_line_that_started_the_script() -> None:
    code = "import sys; sys.path.insert(0, 'bench'); import common; print(common.command())"
    root = Path(__file__).resolve().parents[2]
    uv = os.environ.get("UV", "uv")  # set by `uv run`, which runs the tests
    typed = subprocess.run([uv, "run", "--frozen", "python", "-c", code, "--flag", "a b"], cwd=root,
                           capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    assert typed == "uv run --frozen python " + shlex.join(["-c", code, "--flag", "a b"])
    direct = subprocess.run([sys.executable, "-c", code, "x"], cwd=root, capture_output=True, text=True,
                            check=True).stdout.strip()  # fmt: skip
    assert direct.startswith("python") and direct.endswith(" x")


def test_publish_prints_and_appends_unless_told_not_to(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = repo / "BENCHMARKS.md"
    header = common.Header(machine="m", commit="abc1234", command="c")
    common.publish("Title", "| a |", "the notes", header, argparse.Namespace(out=out, no_append=True))
    assert out.read_text() == "# benchmarks\n"
    assert capsys.readouterr().out == "| a |\nthe notes\n"
    common.publish("Title", "| a |", "the notes", header, argparse.Namespace(out=out, no_append=False))
    assert out.read_text().count("\n## Title (") == 1

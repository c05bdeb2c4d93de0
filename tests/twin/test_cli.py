"""`benchkit twin` flags: bad input exits 2 with one line and writes nothing; a taken port is refused; a
kubeconfig is overwritten only if the twin wrote it."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from benchkit.errors import ConfigError
from benchkit.twin import kubeconfig
from benchkit.twin.process import TwinProcess


def _twin(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "benchkit", "twin", *args], capture_output=True, text=True,
                          timeout=timeout, check=False)  # fmt: skip


@pytest.mark.parametrize(
    "flags",
    [
        ["--fault-rate", "1.5"],
        ["--port", "70000"],
        ["--profile", "slowest"],
        ["--namespaces", "Bad_Namespace"],
        ["--namespaces", "a,a"],
        ["--watch-cut-every", "0"],
        ["--no-such-flag"],
    ],
)
def test_bad_flags_exit_2_with_one_line_and_write_nothing(tmp_path: Path, flags: list[str]) -> None:
    kubeconfig, state = tmp_path / "kc", tmp_path / "state"
    proc = _twin("--kubeconfig", str(kubeconfig), "--state-dir", str(state), *flags)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("benchkit: error:"), proc.stderr
    assert not kubeconfig.exists() and not state.exists()


def test_kubeconfig_is_required(tmp_path: Path) -> None:
    proc = _twin("--port", "0")
    assert proc.returncode == 2 and "--kubeconfig" in proc.stderr


def test_a_taken_port_is_refused(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        proc = _twin("--port", str(port), "--kubeconfig", str(tmp_path / "kc"), "--state-dir", str(tmp_path / "st"))
    assert proc.returncode == 2, proc.stderr
    assert f"cannot listen on 127.0.0.1:{port}" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "kc").exists() and not (tmp_path / "st").exists()


def test_a_previous_twin_kubeconfig_is_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "kc"
    kubeconfig.write(path, kubeconfig.kubeconfig("https://127.0.0.1:1", b"old CA", "old-token"))
    proc = subprocess.Popen([sys.executable, "-m", "benchkit", "twin", "--kubeconfig", str(path), "--nodes", "2"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while kubeconfig.read(path)[0] == "https://127.0.0.1:1":
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.1)
        server, token, _ = kubeconfig.read(path)
        assert server.startswith("https://127.0.0.1:") and token != "old-token"
    finally:
        proc.terminate()
        proc.communicate(timeout=30)


def test_twin_process_never_removes_a_users_kubeconfig(tmp_path: Path) -> None:
    path = tmp_path / "config"
    text = "apiVersion: v1\nkind: Config\ncurrent-context: prod\ncontexts: [{name: prod, context: {cluster: p}}]\n"
    path.write_text(text)
    with pytest.raises(ConfigError, match="refusing to overwrite"):
        TwinProcess(kubeconfig=path, workdir=tmp_path).start()
    assert path.read_text() == text


def test_options_are_declared_once_flags_round_trip() -> None:
    """`TwinOptions.to_args()` parsed by `benchkit twin`'s own parser gives the same options back, for every field."""
    import dataclasses

    from benchkit.cli.twin import twin
    from benchkit.twin.config import TwinOptions

    options = TwinOptions(port=1234, kubeconfig=Path("/tmp/kc"), host="::1", nodes=3, max_pods=9, profile="paper",
                          operator_workers=7, operator_cpus=1.5, fault_rate=0.25, api_latency_ms=2.5,
                          namespaces=("a", "b"), seed=4, watch_cut_every=3.0, state_dir=Path("/tmp/st"),
                          bookmark_every=0.5, watch_history=200, exit_with_parent=True, webhook="off",
                          operator_chart="2.5.2")  # fmt: skip
    assert all(getattr(options, f.name) != f.default for f in dataclasses.fields(options))  # every field is exercised
    ctx = twin.make_context("twin", options.to_args())
    assert TwinOptions(**ctx.params) == options
    defaults = twin.make_context("twin", ["--kubeconfig", "/tmp/kc"]).params
    assert TwinOptions(**defaults) == TwinOptions(kubeconfig=Path("/tmp/kc"))


def test_every_option_is_in_the_docs_table() -> None:
    import dataclasses

    from benchkit.twin.config import TwinOptions, flag_name

    docs = (Path(__file__).resolve().parents[2] / "docs" / "twin.md").read_text()
    missing = [f.name for f in dataclasses.fields(TwinOptions) if f"`{flag_name(f.name)}" not in docs]
    assert missing == []

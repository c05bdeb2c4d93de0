"""Checks made before the twin listens: it can write its kubeconfig and state dir, and it never overwrites a
kubeconfig it did not write (`--kubeconfig ~/.kube/config` must not destroy a user's clusters)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from benchkit.errors import ConfigError
from benchkit.twin import kubeconfig


def check_kubeconfig(path: Path) -> None:
    """Raise ConfigError unless `path` can be written and holds nothing but (at most) a twin's kubeconfig."""
    if path.is_dir():
        raise ConfigError(f"--kubeconfig {path}: is a directory")
    if path.exists():
        if not kubeconfig.is_twins(path):
            raise ConfigError(
                f"--kubeconfig {path}: the file exists and is not a kubeconfig the twin wrote (its only context is "
                f"not {kubeconfig.CONTEXT!r}): refusing to overwrite it; give another path"
            )
        if not os.access(path, os.W_OK):
            raise ConfigError(f"--kubeconfig {path}: the file is not writable")
    _check_writable_dir(path.parent, "--kubeconfig", path)


def check_state_dir(path: Path) -> None:
    """Raise ConfigError unless `path` is (or can be created as) a writable directory."""
    if path.exists() and not path.is_dir():
        raise ConfigError(f"--state-dir {path}: not a directory")
    _check_writable_dir(path, "--state-dir", path)


def _check_writable_dir(directory: Path, flag: str, path: Path) -> None:
    """Create and remove a probe file in `directory`, or in its nearest existing ancestor (which then must let
    the twin create the missing directories). Leaves nothing behind."""
    existing = directory.absolute()
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise ConfigError(f"{flag} {path}: {existing} is not a directory")
    try:
        fd, probe = tempfile.mkstemp(prefix=".benchkit-probe-", dir=existing)
    except OSError as exc:
        raise ConfigError(f"{flag} {path}: cannot write in {existing}: {exc.strerror or exc}") from None
    os.close(fd)
    Path(probe).unlink()

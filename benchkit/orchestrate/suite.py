"""Suites: a matrix of scenarios (seed 003's test matrix) run one after another, then suite.csv and charts.

    name: workers-x-rate          # optional; part of the suite folder's name
    base: {total-jobs: 60, app-seconds: 2}    # RunSettings keys shared by every cell
    matrix:                       # RunSettings keys -> lists of values; the suite runs their product
      jobs-per-min: [60, 120, 240]
      operator-workers: [1, 2]
    repeat: 1                     # runs per cell

Every cell is validated before the first run starts (a bad one is exit 2 with nothing run). Each cell
runs as its own `benchkit run` process (Locust monkey-patches the process it runs in), with its scenario
file and log in the suite folder.
"""

from __future__ import annotations

import itertools
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from benchkit.errors import ConfigError
from benchkit.report.suite import CellResult, read_cell, write_outputs
from benchkit.settings import run as run_settings

SUITE_KEYS = ("name", "base", "matrix", "repeat")
MAX_CELLS = 200


@dataclass(frozen=True)
class Cell:
    index: int
    repeat: int
    values: dict[str, Any]
    """matrix key (snake_case) -> this cell's value"""
    raw: dict[str, Any]
    """base merged with values: a scenario file's content"""

    @property
    def label(self) -> str:
        return ", ".join(f"{k}={_show(v)}" for k, v in self.values.items())


@dataclass
class Suite:
    name: str
    dimensions: list[str]
    cells: list[Cell] = field(default_factory=list)
    results_dir: Path = Path("runs")


def load_suite(path: Path, results_dir: Path | None = None) -> Suite:
    """Read and validate a suite file; every cell must build valid RunSettings (ConfigError otherwise)."""
    data = _read(path)
    unknown = sorted(set(map(str, data)) - set(SUITE_KEYS))
    if unknown:
        raise ConfigError(f"suite {path}: unknown key {unknown[0]!r} (allowed: {', '.join(SUITE_KEYS)})")
    base = _mapping(data.get("base") or {}, f"suite {path}: base")
    matrix = _mapping(data.get("matrix"), f"suite {path}: matrix")
    if not matrix:
        raise ConfigError(f"suite {path}: matrix needs at least one key with a list of values")
    for key, values in matrix.items():
        if not isinstance(values, list) or not values:
            raise ConfigError(f"suite {path}: matrix.{key} must be a non-empty list of values")
        if key in base:
            raise ConfigError(f"suite {path}: {key!r} is both in base and in matrix")
    repeat = data.get("repeat", 1)
    if isinstance(repeat, bool) or not isinstance(repeat, int) or repeat < 1:
        raise ConfigError(f"suite {path}: repeat must be an integer >= 1, got {repeat!r}")
    name = str(data.get("name") or path.stem)
    if not re.fullmatch(r"[A-Za-z0-9][-A-Za-z0-9_.]{0,62}", name):
        raise ConfigError(f"suite {path}: name {name!r} must be letters, digits, '-', '_' or '.'")
    combos = list(itertools.product(*matrix.values()))
    if len(combos) * repeat > MAX_CELLS:
        raise ConfigError(f"suite {path}: {len(combos) * repeat} runs is more than {MAX_CELLS}")
    suite = Suite(name, [k for k, v in matrix.items() if len(v) > 1] or list(matrix))
    for i, combo in enumerate(combos):
        values = dict(zip(matrix, combo, strict=True))
        raw = _absolute_paths({**base, **values}, path.parent)
        settings = _validate(raw, path, values)
        for r in range(repeat):
            suite.cells.append(Cell(len(suite.cells), r, values, raw))
        if i == 0:
            suite.results_dir = results_dir or settings.results_dir
    return suite


def _absolute_paths(raw: dict[str, Any], root: Path) -> dict[str, Any]:
    """Cells' scenario files live in the suite folder: make the suite file's relative template paths absolute."""
    out = dict(raw)
    for key in ("spark-template", "spark_template"):
        if isinstance(out.get(key), str) and not Path(out[key]).is_absolute():
            out[key] = str((root / out[key]).resolve())
    return out


def _read(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise ConfigError(f"cannot read suite file {path}: {exc.strerror or exc}") from None
    except yaml.YAMLError:
        raise ConfigError(f"suite file {path}: invalid YAML") from None
    return _mapping(data, f"suite file {path}")


def _mapping(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(f"{what}: expected a mapping")
    return {str(k): v for k, v in value.items()}


def _validate(raw: dict[str, Any], path: Path, values: dict[str, Any]) -> run_settings.RunSettings:
    scenario: dict[str, Any] = {}
    for key, value in raw.items():
        name = key.replace("-", "_")
        if name not in run_settings.FIELDS:
            raise ConfigError(f"suite {path}: unknown setting {key!r}")
        scenario[name] = value
    try:
        settings = run_settings.build(scenario)
        run_settings.check_twin_only(settings)  # every cell is a `benchkit run`
        return settings
    except ConfigError as exc:
        cell = ", ".join(f"{k}={_show(v)}" for k, v in values.items())
        raise ConfigError(f"suite {path}, cell {cell}: {exc}") from None


def run_suite(suite: Suite, echo: Callable[[str], None] = print,
              out_dir: Path | None = None) -> tuple[Path, list[CellResult]]:  # fmt: skip
    """Run every cell in order, then write suite.csv, the charts and suite.html (also after Ctrl-C)."""
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    out = out_dir or suite.results_dir / f"suite-{suite.name}-{stamp}"
    (out / "cells").mkdir(parents=True, exist_ok=True)
    results: list[CellResult] = []
    try:
        for cell in suite.cells:
            echo(f"[{cell.index + 1}/{len(suite.cells)}] {cell.label}" + (f" (repeat {cell.repeat + 1})"
                                                                           if cell.repeat else ""))  # fmt: skip
            result = run_cell(cell, out)
            results.append(result)
            echo(f"    {result.status}: {result.brief}")
    finally:
        if results:
            write_outputs(out, suite.dimensions, results)
    return out, results


def run_cell(cell: Cell, out: Path) -> CellResult:
    """One `benchkit run` of the cell's scenario in a subprocess; its results under out/runs/<index>/."""
    slug = f"{cell.index:03d}"
    scenario = out / "cells" / f"{slug}.yaml"
    scenario.write_text(yaml.safe_dump(cell.raw, sort_keys=False))
    results_dir = out / "runs" / slug
    results_dir.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "benchkit", "run", str(scenario), "--results-dir", str(results_dir)]
    with (out / "cells" / f"{slug}.log").open("wb") as log:
        code = subprocess.run(
            cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, check=False
        ).returncode
    run_dirs = sorted(p.parent for p in results_dir.glob("*/events.jsonl"))
    return read_cell(cell.index, cell.repeat, cell.values, code, run_dirs[-1] if run_dirs else None)


def exit_code(results: list[CellResult]) -> int:
    """0 all ok; 1 when a cell failed to run; 3 when every run finished but an SLO was breached."""
    codes = {r.exit_code for r in results}
    if codes - {0, 3}:
        return 1
    return 3 if 3 in codes else 0


def _show(value: Any) -> str:
    return ",".join(map(str, value)) if isinstance(value, list | tuple) else str(value)

"""Read a run folder for reports and comparisons: manifest, summary, journal timeline, collected metrics."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from benchkit.errors import ConfigError
from benchkit.report import timeline as tl
from benchkit.results import journal
from benchkit.results import summary as summaries
from benchkit.results.schema import Summary

MANIFEST = "manifest.json"
METRICS_DIR = "metrics"
COLLECTION = "collection.json"
_NOT_LABELS = ("timestamp", "elapsed_s", "value")


@dataclass
class MetricFile:
    """One collected Prometheus CSV: series name -> (elapsed seconds, values)."""

    name: str
    file: str
    series: dict[str, tuple[np.ndarray, np.ndarray]]
    unit: str = ""
    help: str = ""
    query: str = ""


@dataclass
class RunFolder:
    path: Path
    manifest: dict[str, Any]
    summary: Summary
    """Rebuilt from the journal with the current definitions (as summary.json was), so runs written by an
    older benchkit (an older summary.json schema) read and compare like new ones."""
    timeline: tl.Timeline
    metrics: list[MetricFile] = field(default_factory=list)
    missing_metrics: list[dict[str, Any]] = field(default_factory=list)
    """Queries collection reported without data or failed: {name, status, error}."""

    @property
    def run_id(self) -> str:
        return str(self.summary.run_id or self.manifest.get("run_id") or self.path.name)

    @property
    def settings(self) -> dict[str, Any]:
        settings = self.manifest.get("settings")
        return settings if isinstance(settings, dict) else {}


def load(path: Path) -> RunFolder:
    """Load a run folder; ConfigError (exit 2) when it is not one."""
    path = Path(path)
    if not (path / journal.EVENTS_FILE).is_file():
        raise ConfigError(f"{path} is not a run folder (no {journal.EVENTS_FILE})")
    events = list(journal.read(path))
    manifest = _json(path / MANIFEST) or {}
    folder = RunFolder(path, manifest, summaries.build(events), tl.build(events))
    folder.metrics, folder.missing_metrics = _metrics(path)
    return folder


def _json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path}: unreadable JSON ({exc})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a JSON object")
    return data


def _metrics(path: Path) -> tuple[list[MetricFile], list[dict[str, Any]]]:
    out_dir = path / METRICS_DIR
    info: dict[str, dict[str, Any]] = {}
    report = _json(out_dir / COLLECTION) if (out_dir / COLLECTION).is_file() else None
    for entry in (report or {}).get("metrics", []):
        info[str(entry.get("name"))] = entry
    missing = [{"name": n, "status": e.get("status"), "error": e.get("error")}
               for n, e in info.items() if e.get("status") != "ok"]  # fmt: skip
    files = []
    for csv_path in sorted(out_dir.glob("*.csv")) if out_dir.is_dir() else []:
        entry = info.get(csv_path.stem, {})
        files.append(MetricFile(csv_path.stem, f"{METRICS_DIR}/{csv_path.name}", read_metric_csv(csv_path),
                                unit=str(entry.get("unit") or ""), help=str(entry.get("help") or ""),
                                query=str(entry.get("query") or "")))  # fmt: skip
    return files, missing


def read_metric_csv(path: Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Series keyed by their label values ("verb=GET, code=200"; "value" for a single unlabelled series)."""
    points: dict[str, list[tuple[float, float]]] = defaultdict(list)
    with path.open(newline="") as fh:
        for row in csv.DictReader(fh):
            labels = ", ".join(f"{k}={v}" for k, v in row.items() if k not in _NOT_LABELS and v)
            points[labels or "value"].append((float(row["elapsed_s"]), float(row["value"])))
    return {k: (np.asarray([p[0] for p in v]), np.asarray([p[1] for p in v])) for k, v in points.items()}

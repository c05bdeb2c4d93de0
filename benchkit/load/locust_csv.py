"""Locust's own CSV files (`locust_stats.csv`, `locust_stats_history.csv`, `locust_failures.csv`) in library mode."""

from __future__ import annotations

import csv
from pathlib import Path

import gevent
from locust import stats
from locust.env import Environment

PREFIX = "locust"


class LocustCsv:
    """Writes the history every second while running; `close()` writes the final totals."""

    def __init__(self, env: Environment, run_dir: Path) -> None:
        self.env, self.base = env, str(Path(run_dir) / PREFIX)
        self.writer = stats.StatsCSVFileWriter(env, stats.PERCENTILES_TO_REPORT, self.base, full_history=True)
        self._greenlets = [gevent.spawn(self.writer.stats_writer)]
        if env.runner is not None:
            self._greenlets.append(gevent.spawn(stats.stats_history, env.runner))

    def close(self) -> None:
        """Stop the periodic writers and rewrite the totals and failures once more, complete."""
        for greenlet in self._greenlets:
            greenlet.kill(block=True)
        self.writer.stats_history_flush()
        self.writer.close_files()
        final = stats.StatsCSV(self.env, stats.PERCENTILES_TO_REPORT)  # Locust's public writers: header + rows
        with open(f"{self.base}_stats.csv", "w", newline="") as fh:
            final.requests_csv(csv.writer(fh))
        with open(f"{self.base}_failures.csv", "w", newline="") as fh:
            final.failures_csv(csv.writer(fh))

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
        self.base = str(Path(run_dir) / PREFIX)
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
        with open(f"{self.base}_stats.csv", "w", newline="") as fh:
            out = csv.writer(fh)
            out.writerow(self.writer.requests_csv_columns)
            self.writer._requests_data_rows(out)  # the same rows Locust's own writer produces
        with open(f"{self.base}_failures.csv", "w", newline="") as fh:
            out = csv.writer(fh)
            out.writerow(self.writer.failures_columns)
            self.writer._failures_data_rows(out)

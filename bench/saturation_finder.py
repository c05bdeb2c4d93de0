"""How often the ramp's saturation finder calls a step wrongly, on simulated operators of known capacity.

    uv run python bench/saturation_finder.py [--seeds 60] [--out FILE | --no-append]

A c-worker FIFO queue (4 workers, mean service 2 s: capacity 120/min) fed by benchkit's open-model schedule
in steps of 30, 60, 90, 105, 150 and 180 jobs/min; service times are gamma with CV 0.3 (close to a
spark-submit) or exponential (CV 1). Each step is judged by `benchkit.results.saturation.analyse`, the code
`summary.json` uses. Prints, per case, the share of seeds where each step did not hold (at or below capacity
that is a false alarm; above it, a detection). Pure computation: a few seconds, no twin.
"""

from __future__ import annotations

import argparse
import random

from common import begin, markdown_table, output_args, publish

from benchkit.results.records import AppRecord, RunFacts
from benchkit.results.saturation import analyse
from benchkit.spark import states

WORKERS = 4
SERVICE_S = 2.0
CAPACITY_PER_MIN = WORKERS * 60 / SERVICE_S
RATES = (30.0, 60.0, 90.0, 105.0, 150.0, 180.0)


def simulate(step_s: float, cv: float, seed: int) -> list[bool]:
    """Held or not, per step, for one simulated ramp."""
    rng = random.Random(seed)
    free = [0.0] * WORKERS
    records = []
    for i, per_min in enumerate(RATES):
        for k in range(round(per_min * step_s / 60)):
            due = i * step_s + k * 60 / per_min
            worker = free.index(min(free))
            service = rng.expovariate(1 / SERVICE_S) if cv == 1 else rng.gammavariate(1 / cv**2, SERVICE_S * cv**2)
            free[worker] = max(free[worker], due) + service
            records.append(AppRecord(name=f"a{i}-{k}", ns="a", due=due, sent=due, ack=due, ok=True,
                                     seen={states.SUBMITTED: free[worker]}))  # fmt: skip
    facts = RunFacts(start={"t0_mono": -1e-9, "steps": [[i * step_s, r] for i, r in enumerate(RATES)]})
    result = analyse(records, facts)
    assert result is not None
    return [s.held for s in result.steps]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=60)
    output_args(parser)
    args = parser.parse_args()
    started = begin(args.out)
    rows: list[list[object]] = []
    for cv in (0.3, 1.0):
        for step_s in (20.0, 60.0):
            failed = [0] * len(RATES)
            for seed in range(args.seeds):
                for i, held in enumerate(simulate(step_s, cv, seed)):
                    failed[i] += not held
            rows.append([f"{cv:g}", f"{step_s:g} s", *(f"{100 * n / args.seeds:.0f} %" for n in failed)])
    header = ["service CV", "step", *(f"{r:g}/min ({r / CAPACITY_PER_MIN:.3g}x)" for r in RATES)]
    table = markdown_table(header, rows)
    notes = (
        f"Share of {args.seeds} seeds where the step did not hold, on a simulated {WORKERS}-worker operator of "
        f"capacity {CAPACITY_PER_MIN:g}/min (mean service {SERVICE_S:g} s): at or below 1x a failed step is a false "
        "alarm, above 1x it is a detection. Judged by `benchkit.results.saturation.analyse`, the code summary.json "
        "uses; pure computation, no twin. See docs/observe.md for the rule."
    )
    publish("Saturation finder: wrong calls on simulated operators", table, notes, started, args)


if __name__ == "__main__":
    main()

"""The budget meter: pricing what is up, integrating it over time, calling back once."""

from __future__ import annotations

import pytest

from benchkit.capacity import budget, pricing

PRICES = pricing.default_table("us-west-2")


def test_hourly_rate_prices_nodes_by_instance_type() -> None:
    by_type = {"m6a.4xlarge": 200, "m5.xlarge": 2, "c5.9xlarge": 1, "r6a.2xlarge": 1, "x9.huge": 3}
    rate = budget.hourly_rate(by_type, PRICES)
    volumes = 207 * 100 * 0.08 / 730  # every node has a 100 GiB gp3 root volume, priced or not
    assert rate == pytest.approx(200 * 0.6912 + 2 * 0.192 + 1.53 + 0.4536 + volumes + 0.10 + 0.045)
    assert budget.unpriced(by_type, PRICES) == ["x9.huge"]


def test_meter_integrates_and_calls_back_once() -> None:
    now = [0.0]
    rates = iter([36.0, 36.0, 72.0, 72.0, 72.0])  # USD/h: 0.01 USD per second at 36
    calls: list[float] = []
    meter = budget.CostMeter(lambda: next(rates), budget=1.0, on_exceeded=calls.append, clock=lambda: now[0])
    meter.sample()
    for t in (50.0, 100.0, 110.0):
        now[0] = t
        meter.sample()
    # 0-50 s at 36/h = 0.5; 50-100 s at 36/h = 0.5 (not over 1.0 yet); 100-110 s at 72/h = 0.2
    assert meter.spent == pytest.approx(1.2)
    assert calls == [pytest.approx(1.2)] and meter.exceeded
    now[0] = 120.0
    assert meter.sample() == pytest.approx(1.4) and len(calls) == 1  # once only


def test_a_failed_sample_keeps_the_last_rate() -> None:
    now = [0.0]

    def rate() -> float:
        if now[0] > 0:
            raise ConnectionError("API server unreachable")
        return 3600.0

    meter = budget.CostMeter(rate, budget=100.0, on_exceeded=lambda spent: None, clock=lambda: now[0])
    meter.sample()
    now[0] = 10.0
    assert meter.sample() == pytest.approx(10.0)
    assert meter.usd_per_hour == 3600.0 and meter.errors == ["ConnectionError: API server unreachable"]

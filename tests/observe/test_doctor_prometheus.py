"""`benchkit doctor`'s Prometheus rows against a real Prometheus (Debian package) scraping the twin."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from benchkit.observe import doctor_checks
from benchkit.observe.local import LocalPrometheus, ScrapeTarget, find_binary
from benchkit.observe.promql import PromClient
from benchkit.twin.process import TwinProcess

pytestmark = pytest.mark.skipif(find_binary() is None, reason="needs Prometheus (make test installs it)")


def _scraping(twin: TwinProcess) -> LocalPrometheus:
    prom = LocalPrometheus([ScrapeTarget("twin", f"{twin.url}/metrics", twin.token, twin.ca_file)],
                           scrape_interval=1.0).start()  # fmt: skip
    prom.wait_for_targets()
    prom.wait_for_scrapes(1)  # one after the first: the series the first scrape's requests made are there too
    return prom


@pytest.fixture(scope="module")
def prom() -> Iterator[PromClient]:
    with TwinProcess(nodes=2, profile="fast") as twin:  # type: ignore[arg-type]
        server = _scraping(twin)
        try:
            yield server.client
        finally:
            server.stop()


def test_prometheus_scraping_the_operator(prom: PromClient) -> None:
    rows = doctor_checks.prometheus_rows(prom, absent_series_fail=False)
    statuses = {r.check: r.status for r in rows}
    assert statuses["prometheus"] == "ok" and statuses["operator scrape"] == "ok"
    assert next(r for r in rows if r.check == "operator scrape").detail == "1 target(s) up: twin"


def test_every_dashboard_series_is_present_on_the_twin(prom: PromClient) -> None:
    """The twin exports every series the dashboards select, the operator pod's kube-state-metrics CPU request
    included: the row is ok even where an absent series would fail (a real stack's setting)."""
    wanted = doctor_checks.dashboard_series()
    assert len(wanted) == 20 and "kube_pod_container_resource_requests" in wanted
    for absent_series_fail in (True, False):
        rows = doctor_checks.prometheus_rows(prom, absent_series_fail=absent_series_fail)
        row = next(r for r in rows if r.check == "dashboard series")
        assert (row.status, row.detail) == ("ok", "all 20 present")
    # the 1.34+ object count is not missing where its older name (the twin's, EKS 1.31-1.33's) is present
    present = set(prom.label_values("__name__"))
    assert "apiserver_resource_objects" in wanted and "apiserver_resource_objects" not in present
    assert "apiserver_storage_objects" in present


def test_absent_series_fail_on_a_real_target_and_warn_on_the_twin() -> None:
    """A Prometheus that scrapes nothing has none of the 20: a fail naming the first five for a stack, a warn
    naming them all where absent series are expected."""
    server = LocalPrometheus([ScrapeTarget("elsewhere", "http://127.0.0.1:9/metrics")], scrape_interval=1.0).start()
    try:
        wanted = doctor_checks.dashboard_series()
        row = next(r for r in doctor_checks.prometheus_rows(server.client) if r.check == "dashboard series")
        assert row.status == "fail" and row.fix
        assert row.detail == f"20 of 20 absent: {', '.join(wanted[:5])} ..."
        rows = doctor_checks.prometheus_rows(server.client, absent_series_fail=False)
        row = next(r for r in rows if r.check == "dashboard series")
        assert row.status == "warn"
        assert row.detail == f"20 of 20 absent (not modelled by this target): {', '.join(wanted)}"
    finally:
        server.stop()


def test_unreachable_prometheus_fails_one_row() -> None:
    rows = doctor_checks.prometheus_rows(PromClient("http://127.0.0.1:9", timeout=1.0))
    assert [(r.check, r.status) for r in rows] == [("prometheus", "fail")]
    assert rows[0].fix


def test_a_prometheus_that_does_not_scrape_the_operator() -> None:
    server = LocalPrometheus([ScrapeTarget("elsewhere", "http://127.0.0.1:9/metrics")], scrape_interval=1.0).start()
    try:
        rows = doctor_checks.prometheus_rows(server.client, absent_series_fail=False)
    finally:
        server.stop()
    row = next(r for r in rows if r.check == "operator scrape")
    assert row.status == "fail" and "no target has exported controller_runtime_active_workers" in row.detail


def test_operator_target_down() -> None:
    twin = TwinProcess(nodes=1, profile="fast").start()  # type: ignore[arg-type]
    server = _scraping(twin)
    try:
        twin.close()
        deadline = time.monotonic() + 20
        row = None
        while time.monotonic() < deadline:
            row = next(r for r in doctor_checks.prometheus_rows(server.client) if r.check == "operator scrape")
            if row.status == "fail":
                break
            time.sleep(0.5)
        assert row is not None and row.status == "fail" and "operator target(s) down" in row.detail
    finally:
        server.stop()

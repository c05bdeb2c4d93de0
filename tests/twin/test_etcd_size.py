"""`apiserver_storage_size_bytes` on the twin: kube-apiserver's name, type and label, and a size modelled from the
store (benchkit/twin/etcd.py).

Upstream, read at kubernetes/apiserver v0.31.0, v0.32.0 and v0.33.0 (the staging mirror of kubernetes/kubernetes
1.31 to 1.33; identical at the three): pkg/storage/etcd3/metrics/metrics.go `storageSizeDescription` (gauge,
STABLE, label `storage_cluster_id`, "Size of the storage database file physically allocated in bytes.") and
`monitorCollector.CollectWithStability` (`etcd-<i>` per storage config); pkg/storage/etcd3/compact.go (compaction
every interval to the revision seen at the previous run) and pkg/storage/storagebackend/config.go
(DefaultCompactInterval = 5 minutes).
"""

from __future__ import annotations

from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from benchkit.twin import etcd, exposition
from benchkit.twin.resources import NAMESPACES, PODS
from benchkit.twin.store import Store

T0 = 1000.0


def _pod(name: str, phase: str = "Pending", pad: int = 0) -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": "a", "annotations": {"pad": "x" * pad}},
            "spec": {"containers": [{"name": "c"}]}, "status": {"phase": phase}}  # fmt: skip


def _store() -> Store:
    store = Store(1000)
    store.create(NAMESPACES, {"metadata": {"name": "a"}}, T0)
    return store


def test_name_type_label_and_help_are_kube_apiservers() -> None:
    store = _store()
    text = exposition.text(etcd.EtcdSize(store, now=T0).family(T0))
    (family,) = text_string_to_metric_families(text)
    assert (family.name, family.type) == ("apiserver_storage_size_bytes", "gauge")
    assert family.documentation == "Size of the storage database file physically allocated in bytes."
    ((labels, value),) = [(s.labels, s.value) for s in family.samples]
    assert labels == {"storage_cluster_id": "etcd-0"}  # one storage config: the first index, 0
    assert value == store.live_bytes() > 0


def test_replaced_versions_are_held_until_the_second_compaction_after_them() -> None:
    """The compactor (compact.go) compacts, every 5 minutes, to the revision it saw at its previous run: a version
    replaced before run k is gone after run k + 1, not before."""
    store = _store()
    size = etcd.EtcdSize(store, now=T0)
    rec = store.create(PODS, _pod("p", pad=1000), T0)
    first = len(rec.raw)
    assert size.held(T0 + 1) == store.live_bytes()
    store.update(PODS, "a", "p", {"phase": "Running"})
    assert size.held(T0 + 2) == store.live_bytes() + first  # the old version is still in etcd
    assert size.held(T0 + etcd.COMPACT_INTERVAL) == store.live_bytes() + first  # run 1 records, compacts nothing
    assert size.held(T0 + 2 * etcd.COMPACT_INTERVAL - 1) == store.live_bytes() + first
    assert size.held(T0 + 2 * etcd.COMPACT_INTERVAL) == store.live_bytes()  # run 2 compacts to run 1's revision


def test_the_file_keeps_its_largest_size_after_deletes_and_compactions() -> None:
    """Compaction frees pages inside the file; only a defragmentation would give them back (etcd-io/etcd
    discussion #17310): the reported size never goes down."""
    store = _store()
    size = etcd.EtcdSize(store, now=T0)
    empty = size.size(T0)
    for i in range(20):
        store.create(PODS, _pod(f"p{i}", pad=500), T0)
    grown = size.size(T0 + 1)
    assert grown == store.live_bytes() > empty + 20 * 500
    for i in range(20):
        store.delete(PODS, "a", f"p{i}", T0)
    assert size.held(T0 + 2) == grown  # deleted, not yet compacted: the versions are still held
    assert size.held(T0 + 2 * etcd.COMPACT_INTERVAL) == store.live_bytes() == empty
    assert size.size(T0 + 2 * etcd.COMPACT_INTERVAL) == grown  # the file does not shrink
    for i in range(40):  # more than ever held: the file grows again
        store.create(PODS, _pod(f"q{i}", pad=500), T0)
    assert size.size(T0 + 2 * etcd.COMPACT_INTERVAL + 1) == store.live_bytes() > grown


def test_compaction_runs_missed_between_scrapes_compact_everything_held() -> None:
    store = _store()
    size = etcd.EtcdSize(store, now=T0)
    store.create(PODS, _pod("p", pad=300), T0)
    store.update(PODS, "a", "p", {"phase": "Running"})
    assert size.held(T0 + 1) > store.live_bytes()
    assert size.held(T0 + 3 * etcd.COMPACT_INTERVAL) == store.live_bytes()

"""`apiserver_storage_size_bytes`: the size of the etcd database behind the API server, modelled from the store.

Upstream (kubernetes/apiserver v0.31.0, v0.32.0 and v0.33.0, the staging mirror of kubernetes/kubernetes 1.31 to
1.33; the same at all three): pkg/storage/etcd3/metrics/metrics.go `storageSizeDescription` declares a STABLE
gauge `apiserver_storage_size_bytes`, "Size of the storage database file physically allocated in bytes.", with
the one label `storage_cluster_id`. Its `monitorCollector` reports it on every scrape: one series per storage
config (pkg/server/options/etcd.go monitorGetter, over `factory.Configs()`), labelled `etcd-<i>` by position, the
value being etcd's `Status().DbSize` of one endpoint (pkg/storage/storagebackend/factory/etcd3.go
etcd3ProberMonitor.Monitor). One etcd cluster (no --etcd-servers-overrides): one series, `etcd-0`.

The twin has no etcd, so the size is modelled from what it stores, under these rules:
- etcd keeps every version of a key until a compaction removes the older ones. The API server compacts every
  5 minutes (pkg/storage/storagebackend/config.go DefaultCompactInterval; --etcd-compaction-interval), each time
  up to the revision it saw at the previous run (pkg/storage/etcd3/compact.go `compactor`; none at the first).
  Held, then: the current version of every stored object plus every version replaced or deleted since the
  revision last compacted to.
- Freed space stays in the file: compaction leaves free pages etcd reuses, and only a defragmentation returns them
  to the filesystem (an etcd maintainer, etcd-io/etcd discussion #17310). The file is the most the database ever
  held: the gauge never goes down.
- A version's size is its serialized JSON (`Record.raw`, what the twin stores and sends). Not modelled: etcd's
  per-key overhead (the key path, revisions, bbolt's page fill and free list), that built-in types are stored as
  protobuf (smaller than JSON), and a starting database (the twin's begins with what it stores at start).
Compaction runs lazily, at the first scrape after it is due: a run skipped between two scrapes (no scrape for
more than 5 minutes) compacts everything held up to that scrape.
"""

from __future__ import annotations

from prometheus_client.core import GaugeMetricFamily, Metric

from benchkit import clock
from benchkit.twin.store import Store

NAME = "apiserver_storage_size_bytes"
HELP = "Size of the storage database file physically allocated in bytes."
CLUSTER_ID = "etcd-0"
"""`storage_cluster_id` of the first (only) storage config."""
COMPACT_INTERVAL = 300.0
"""kube-apiserver's default --etcd-compaction-interval (DefaultCompactInterval, 5 minutes)."""


class EtcdSize:
    """The modelled etcd database's size: the most it ever held (see the module docstring)."""

    def __init__(self, store: Store, now: float | None = None, interval: float = COMPACT_INTERVAL) -> None:
        start = clock.mono() if now is None else now
        self.store = store
        self.interval = interval
        self.next_run = start + interval
        self.compacted_to = store.superseded
        """`store.superseded` at the revision compacted to: the older replaced versions are gone."""
        self.seen: int | None = None
        """`store.superseded` at the compactor's previous run (None before its first, which compacts nothing)."""
        self.high_water = 0

    def held(self, now: float | None = None) -> int:
        """Bytes the database holds now: live versions and those replaced since the last compaction."""
        now = clock.mono() if now is None else now
        while now >= self.next_run:
            if self.seen is not None:
                self.compacted_to = self.seen
            self.seen = self.store.superseded
            self.next_run += self.interval
        return self.store.live_bytes() + self.store.superseded - self.compacted_to

    def size(self, now: float | None = None) -> int:
        self.high_water = max(self.high_water, self.held(now))
        return self.high_water

    def family(self, now: float | None = None) -> Metric:
        gauge = GaugeMetricFamily(NAME, HELP, labels=["storage_cluster_id"])
        gauge.add_metric([CLUSTER_ID], float(self.size(now)))
        return gauge

package io.catena.kv.etcd;

/**
 * The etcd lease conflict markers are put with (see {@link EtcdKvEngine}, "Markers and their lifetime"): one lease
 * shared by every commit of the engine, replaced by a fresh grant every half TTL, so a marker outlives every
 * transaction it can matter to. Time is measured on the monotonic clock: a lease lives on etcd's clock, not on the
 * wall clock the conflict window is measured on. Thread-safe: guarded by its monitor.
 */
final class Leases {
  private final EtcdClient client;
  private final long ttlSeconds;
  private long leaseId;
  private long grantedNanos;

  Leases(EtcdClient client, long ttlSeconds) {
    this.client = client;
    this.ttlSeconds = ttlSeconds;
  }

  synchronized long current() {
    long now = System.nanoTime();
    if (leaseId == 0 || now - grantedNanos > ttlSeconds * 500_000_000L) {
      leaseId = client.grantLease(ttlSeconds);
      grantedNanos = now; // measured before the grant: the lease lives at least this long after it
    }
    return leaseId;
  }

  /** etcd no longer knows {@code id} (it expired, e.g. over a long pause): the next commit grants a new one. */
  synchronized void gone(long id) {
    if (leaseId == id) {
      leaseId = 0;
    }
  }
}

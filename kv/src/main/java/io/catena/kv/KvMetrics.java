package io.catena.kv;

import io.catena.common.Errno;
import io.catena.common.metrics.Meters;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * What one user of the KV store (the {@code user} tag: meta, mgmtd) sees of it through its {@link TransactionRunner}:
 * commit latency ({@code catena_kv_commit_seconds}), transactions by outcome ({@code catena_kv_transactions_total}
 * {result=committed|failed}), conflicts ({@code catena_kv_conflicts_total}: retryable EAGAIN) and retries by cause
 * ({@code catena_kv_retries_total}{errno}). Thread-safe.
 */
public final class KvMetrics {
  private final MeterRegistry registry;
  private final String user;
  private final Timer commit;
  private final Counter committed;
  private final Counter failed;
  private final Counter conflicts;
  private final AtomicReferenceArray<Counter> retries = new AtomicReferenceArray<>(Errno.values().length);

  public KvMetrics(MeterRegistry registry, String user) {
    this.registry = registry;
    this.user = user;
    this.commit = Meters.latency(registry, "catena.kv.commit", "Commits of read-write transactions, durable when"
        + " the engine is", "user", user);
    this.committed = Counter.builder("catena.kv.transactions").tags("user", user, "result", "committed")
        .description("Read-write transactions run to an end").register(registry);
    this.failed = Counter.builder("catena.kv.transactions").tags("user", user, "result", "failed")
        .description("Read-write transactions run to an end").register(registry);
    this.conflicts = Counter.builder("catena.kv.conflicts").tag("user", user)
        .description("Attempts that lost a conflict (and were retried)").register(registry);
  }

  /** Counts nothing: for runners built outside a process. */
  public static KvMetrics discarding() {
    return new KvMetrics(Meters.discarding(), "none");
  }

  void commitTook(long startNanos) {
    commit.record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
  }

  void committed() {
    committed.increment();
  }

  void failed() {
    failed.increment();
  }

  /** An attempt failed retryably with {@code errno} and will be tried again (or give up at the deadline). */
  void retry(Errno errno) {
    if (errno == Errno.EAGAIN) {
      conflicts.increment();
    }
    Counter c = retries.get(errno.ordinal());
    if (c == null) {
      c = Counter.builder("catena.kv.retries").tags("user", user, "errno", errno.name())
          .description("Transaction attempts retried, by the failure that caused it").register(registry);
      retries.compareAndSet(errno.ordinal(), null, c);
    }
    c.increment();
  }
}

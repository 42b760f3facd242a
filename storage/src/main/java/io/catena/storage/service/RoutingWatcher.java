package io.catena.storage.service;

import io.catena.common.cluster.RoutingInfo;
import io.catena.common.cluster.RoutingSource;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * Follows a routing source and lets a thread wait for a version newer than one it has seen (instead of retrying
 * blindly after a peer's stale-routing error). Thread-safe.
 */
final class RoutingWatcher implements AutoCloseable {
  private final RoutingSource source;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private final AutoCloseable subscription;

  RoutingWatcher(RoutingSource source, Consumer<RoutingInfo> onChange) {
    this.source = source;
    this.subscription = source.subscribe(r -> {
      lock.lock();
      try {
        changed.signalAll();
      } finally {
        lock.unlock();
      }
      onChange.accept(r);
    });
  }

  RoutingInfo current() {
    return source.current();
  }

  /** Asks the source for something newer than {@code seen}, then waits up to {@code max} for it to appear. */
  RoutingInfo awaitNewer(long seen, Duration max) {
    RoutingInfo r = source.refresh(seen);
    if (r.version() > seen) {
      return r;
    }
    long nanos = max.toNanos();
    lock.lock();
    try {
      while ((r = source.current()).version() <= seen && nanos > 0) {
        nanos = changed.awaitNanos(nanos);
      }
      return r;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return source.current();
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void close() {
    try {
      subscription.close();
    } catch (Exception e) {
      // nothing to release beyond the listener
    }
  }

  static long nanos(Duration d) {
    return TimeUnit.NANOSECONDS.convert(d);
  }
}

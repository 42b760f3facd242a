package io.catena.storage.service;

import io.catena.common.cluster.RoutingInfo;
import io.catena.common.cluster.RoutingSource;
import java.time.Duration;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * Follows a routing source and lets a thread wait for a version newer than one it has seen (instead of retrying
 * blindly after a peer's stale-routing error). Thread-safe.
 */
final class RoutingWatcher implements AutoCloseable {
  private final RoutingSource source;
  private final Duration retryWait;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private final AutoCloseable subscription;
  private volatile Consumer<RoutingInfo> listener = r -> {};

  /** {@code retryWait} bounds every wait ({@code storage.retry_wait}). */
  RoutingWatcher(RoutingSource source, Duration retryWait) {
    this.source = source;
    this.retryWait = retryWait;
    this.subscription = source.subscribe(r -> {
      lock.lock();
      try {
        changed.signalAll();
      } finally {
        lock.unlock();
      }
      listener.accept(r);
    });
  }

  /**
   * Tells {@code onChange} about every routing version published from now on (on the publisher's thread). Set
   * once the listener's owner is built, which may itself need this watcher.
   */
  void listen(Consumer<RoutingInfo> onChange) {
    listener = onChange;
  }

  RoutingInfo current() {
    return source.current();
  }

  Duration retryWait() {
    return retryWait;
  }

  /** Asks the source for something newer than {@code seen}, then waits up to the retry wait for it to appear. */
  RoutingInfo awaitNewer(long seen) {
    RoutingInfo r = source.refresh(seen);
    if (r.version() > seen) {
      return r;
    }
    long nanos = retryWait.toNanos();
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
}

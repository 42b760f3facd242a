package io.catena.fuse.usrbio;

import io.catena.io.ring.RingLayout;
import java.util.concurrent.TimeUnit;

/**
 * The bytes all rings of a mount may have in flight at once ({@code fuse.io.max_inflight}), shared by priority:
 * high-priority entries may fill all of it, normal ones three quarters, low ones half, so when storage is the
 * bottleneck the low-priority rings wait first and a high-priority ring always finds room. An entry larger than its
 * share still runs when nothing else is in flight. Thread-safe: guarded by the instance monitor.
 */
final class IoBudget {
  private final long limit;
  private long inFlight;

  IoBudget(long limit) {
    this.limit = limit;
  }

  private long share(int priority) {
    return switch (priority) {
      case RingLayout.PRIORITY_HIGH -> limit;
      case RingLayout.PRIORITY_NORMAL -> limit / 4 * 3;
      default -> limit / 2;
    };
  }

  /** Takes {@code bytes}, waiting up to {@code waitMillis} for room; false when there was none by then. */
  synchronized boolean acquire(long bytes, int priority, long waitMillis) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMillis);
    while (inFlight > 0 && inFlight + bytes > share(priority)) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return false;
      }
      TimeUnit.NANOSECONDS.timedWait(this, left);
    }
    inFlight += bytes;
    return true;
  }

  synchronized void release(long bytes) {
    inFlight -= bytes;
    notifyAll();
  }

  synchronized long inFlight() {
    return inFlight;
  }
}

package io.catena.common.retry;

import java.time.Duration;

/**
 * Waits between retry attempts. Injected so tests can record pauses or advance a manual clock instead of sleeping.
 * Implementations must be thread-safe.
 */
@FunctionalInterface
public interface Sleeper {
  void sleep(Duration d) throws InterruptedException;

  /** {@link Thread#sleep(Duration)}. */
  static Sleeper system() {
    return d -> {
      if (d.isPositive()) {
        Thread.sleep(d);
      }
    };
  }
}

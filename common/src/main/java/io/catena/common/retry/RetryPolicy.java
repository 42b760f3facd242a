package io.catena.common.retry;

import java.time.Duration;
import java.util.Objects;

/**
 * How a call is retried, for every retry loop in Catena (transactions, meta, mgmtd and storage clients, chain
 * forwarding, resync): at most {@code maxAttempts} attempts (the first included), a pause drawn uniformly from
 * {@code [0, min(maxBackoff, initialBackoff * 2^(n-1))]} after the n-th failure ("full jitter"), and {@code timeout}
 * as the default overall deadline. {@link Retrier} carries it out with an injected clock, generator and sleeper.
 * Immutable.
 */
public record RetryPolicy(int maxAttempts, Duration initialBackoff, Duration maxBackoff, Duration timeout) {

  /** Attempts without a count limit: only the deadline ends them. */
  public static final int UNLIMITED = Integer.MAX_VALUE;

  public RetryPolicy {
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts must be >= 1: " + maxAttempts);
    }
    Objects.requireNonNull(initialBackoff, "initialBackoff");
    Objects.requireNonNull(maxBackoff, "maxBackoff");
    Objects.requireNonNull(timeout, "timeout");
    if (initialBackoff.isNegative() || maxBackoff.isNegative() || timeout.isNegative()) {
      throw new IllegalArgumentException("durations must not be negative");
    }
  }

  /** Retries until {@code timeout} passes, whatever the count. */
  public static RetryPolicy untilDeadline(Duration initialBackoff, Duration maxBackoff, Duration timeout) {
    return new RetryPolicy(UNLIMITED, initialBackoff, maxBackoff, timeout);
  }

  public RetryPolicy withTimeout(Duration t) {
    return new RetryPolicy(maxAttempts, initialBackoff, maxBackoff, t);
  }

  /** The jitter bound after {@code failures} failed attempts (1-based), in nanoseconds. */
  public long backoffBoundNanos(int failures) {
    long base = initialBackoff.toNanos();
    long max = maxBackoff.toNanos();
    int shift = Math.min(Math.max(failures, 1) - 1, 40);
    long bound = base > (max >> shift) ? max : base << shift;
    return Math.min(bound, max);
  }
}

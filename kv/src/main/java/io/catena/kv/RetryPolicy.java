package io.catena.kv;

import io.catena.common.config.Config;
import java.time.Duration;
import java.util.Objects;

/**
 * How {@link TransactionRunner} retries: at most {@code maxAttempts} attempts (the first included), a pause drawn
 * uniformly from {@code [0, min(maxBackoff, initialBackoff * 2^(n-1))]} after the n-th failure ("full jitter"), and
 * {@code timeout} as the default overall deadline. Immutable.
 */
public record RetryPolicy(int maxAttempts, Duration initialBackoff, Duration maxBackoff, Duration timeout) {

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

  public static RetryPolicy defaults() {
    return new RetryPolicy(KvConfig.RETRY_MAX_ATTEMPTS.defaultValue(), KvConfig.RETRY_INITIAL_BACKOFF.defaultValue(),
        KvConfig.RETRY_MAX_BACKOFF.defaultValue(), KvConfig.RETRY_TIMEOUT.defaultValue());
  }

  /** The policy of the {@code kv.retry.*} keys (defaults for keys the config's schema lacks). */
  public static RetryPolicy from(Config config) {
    return new RetryPolicy(KvConfig.get(config, KvConfig.RETRY_MAX_ATTEMPTS),
        KvConfig.get(config, KvConfig.RETRY_INITIAL_BACKOFF), KvConfig.get(config, KvConfig.RETRY_MAX_BACKOFF),
        KvConfig.get(config, KvConfig.RETRY_TIMEOUT));
  }

  /** The jitter bound after {@code failures} failed attempts (1-based), in nanoseconds. */
  long backoffBoundNanos(int failures) {
    long base = initialBackoff.toNanos();
    long max = maxBackoff.toNanos();
    int shift = Math.min(failures - 1, 40);
    long bound = base > (max >> shift) ? max : base << shift;
    return Math.min(bound, max);
  }
}

package io.catena.common.metrics;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import java.time.Duration;

/**
 * How Catena's meters are built, so every process exports the same shapes: timers are Prometheus histograms with one
 * fixed bucket layout (so Grafana's {@code histogram_quantile} can sum buckets across processes), names are dotted
 * Micrometer names that the Prometheus registry turns into {@code catena_..._seconds} / {@code _bytes_total}.
 * Stateless.
 */
public final class Meters {
  /**
   * Latency buckets from 50 µs (a cached stat, a ping) to 10 s (a stalled chain). Fixed rather than Micrometer's
   * percentile histogram: 17 buckets instead of ~70 per series keeps a storage node's /metrics page small and the
   * record cost one short binary search.
   */
  private static final Duration[] LATENCY_BUCKETS = {
      Duration.ofNanos(50_000), Duration.ofNanos(100_000), Duration.ofNanos(250_000), Duration.ofNanos(500_000),
      Duration.ofMillis(1), Duration.ofNanos(2_500_000), Duration.ofMillis(5), Duration.ofMillis(10),
      Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250),
      Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5),
      Duration.ofSeconds(10)};

  /** The {@code status} tag of a call that succeeded. */
  public static final String OK = "ok";

  private Meters() {}

  /** A latency histogram named {@code name} (dotted; exported as {@code name_seconds}) with the given tag pairs. */
  public static Timer latency(MeterRegistry registry, String name, String description, String... tags) {
    return Timer.builder(name).description(description).tags(tags).serviceLevelObjectives(LATENCY_BUCKETS)
        .minimumExpectedValue(LATENCY_BUCKETS[0]).maximumExpectedValue(LATENCY_BUCKETS[LATENCY_BUCKETS.length - 1])
        .register(registry);
  }

  /** The {@code status} tag of a finished call: {@code ok}, or the errno's name ({@code ENOENT}). */
  public static String status(Throwable failure) {
    return failure == null ? OK : CatenaException.statusOf(failure).code().name();
  }

  public static String status(Errno errno) {
    return errno == null || errno == Errno.OK ? OK : errno.name();
  }

  /**
   * A registry that keeps nothing, for code run outside a process (tests, one-shot tools): a fresh empty composite,
   * whose meters record into no registry. Not shared: every caller gets its own.
   */
  public static MeterRegistry discarding() {
    return new CompositeMeterRegistry();
  }
}

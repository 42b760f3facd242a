package io.catena.client;

import io.catena.common.metrics.Meters;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A client's write-behind, summed over its open files: chunk writes sent but not yet committed
 * ({@code catena_client_write_behind_writes}) and their bytes ({@code catena_client_write_behind_bytes}). A queue that
 * stays full means storage is the bottleneck; one that stays empty means the application is. Thread-safe.
 */
public final class ClientMetrics {
  private final AtomicLong writes = new AtomicLong();
  private final AtomicLong bytes = new AtomicLong();

  public ClientMetrics(MeterRegistry registry) {
    Gauge.builder("catena.client.write.behind.writes", writes, AtomicLong::get)
        .description("Chunk writes of write-behind in flight").register(registry);
    Gauge.builder("catena.client.write.behind", bytes, AtomicLong::get).baseUnit("bytes")
        .description("Bytes of write-behind in flight").register(registry);
  }

  public static ClientMetrics discarding() {
    return new ClientMetrics(Meters.discarding());
  }

  void queued(long n) {
    writes.incrementAndGet();
    bytes.addAndGet(n);
  }

  void done(long n) {
    writes.decrementAndGet();
    bytes.addAndGet(-n);
  }
}

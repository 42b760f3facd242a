package io.catena.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catena.common.time.ManualClock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class HistoryTest {
  private static final long T0 = Instant.parse("2026-11-21T12:00:00Z").toEpochMilli();

  private static String storage(long readBytes, long writeCount, double writeSeconds) {
    return "catena_storage_data_bytes_total{role=\"storage\",node=\"10001\",host=\"h\",op=\"read\",target=\"1\"} "
        + readBytes + "\ncatena_storage_op_seconds_count{role=\"storage\",node=\"10001\",host=\"h\",op=\"write\"} "
        + writeCount + "\ncatena_storage_op_seconds_sum{role=\"storage\",node=\"10001\",host=\"h\",op=\"write\"} "
        + writeSeconds + "\n";
  }

  @Test
  void ratesAndMeansPerStep_spreadOverThePushedSpans_andARestartIsNotANegativeRate() {
    ManualClock clock = new ManualClock(Instant.ofEpochMilli(T0));
    Collector c = new Collector(new History(ChartSeries.DEFAULT, Duration.ofMinutes(1), Duration.ofSeconds(10)),
        clock);
    c.accept("a", storage(0, 0, 0));
    // Pushes every 5 s, 1000 bytes/s read and 2 writes of 10 ms per push.
    for (int i = 1; i <= 6; i++) {
      clock.advance(Duration.ofSeconds(5));
      c.accept("a", storage(5000L * i, 2L * i, 0.020 * i));
    }
    List<History.Point> read = c.history().points("storage_read", clock.millis());
    assertEquals(6, read.size());
    History.Point last = read.get(read.size() - 1);
    assertEquals(T0 + 20_000, last.millis());
    assertEquals(1000.0, last.value(), 1e-6);
    assertEquals(1000.0, read.get(read.size() - 2).value(), 1e-6);
    assertTrue(Double.isNaN(read.get(0).value()), "before the first push: no data");
    assertEquals(10.0, c.history().points("write_latency", clock.millis()).get(5).value(), 1e-6);

    // The process restarts: its counters start over, and what it counted since is new, not negative.
    clock.advance(Duration.ofSeconds(5));
    c.accept("a", storage(2500, 1, 0.01));
    clock.advance(Duration.ofSeconds(5));
    c.accept("a", storage(7500, 2, 0.02));
    List<History.Point> after = c.history().points("storage_read", clock.millis());
    assertEquals(750.0, after.get(after.size() - 1).value(), 1e-6);
  }

  @Test
  void latestKeepsTwoPushesPerProcess_forRatesNow() {
    ManualClock clock = new ManualClock(Instant.ofEpochMilli(T0));
    Collector c = new Collector(new History(ChartSeries.DEFAULT, Duration.ofMinutes(1), Duration.ofSeconds(10)),
        clock);
    c.accept("ignored", storage(100, 0, 0));
    clock.advance(Duration.ofSeconds(4));
    c.accept("ignored", storage(4100, 0, 0));
    Collector.Latest l = c.of("storage", "10001", 60_000).orElseThrow();
    assertEquals(1000.0, l.rate("catena_storage_data_bytes_total", "op", "read"), 1e-9);
    assertEquals("storage 10001 h", l.current().source());
  }
}

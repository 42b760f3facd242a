package io.catena.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catena.common.config.Config;
import io.catena.common.config.ConfigSchema;
import io.catena.common.time.ManualClock;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ClickHouse writer against a real ClickHouse 18.16 that is stopped and started under it. */
class ClickHouseSinkTest {
  private static final Instant NOW = Instant.parse("2026-11-21T12:00:00Z");

  @TempDir
  Path dir;

  private static List<Sample> samples(String metric, int n) {
    List<Sample> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(new Sample(metric, Map.of("role", "storage", "node", "10001", "host", "h", "target", "t" + i,
          "weird", "tab\there \"quoted\""), i));
    }
    return out;
  }

  private static Config config(String url) {
    return Config.defaults(ConfigSchema.fromHolders(MonitorConfig.class)).withUpdates(Map.of(
        MonitorConfig.CLICKHOUSE_URL.name(), url, MonitorConfig.FLUSH_INTERVAL.name(), "200ms",
        MonitorConfig.BUFFER_SAMPLES.name(), "1000", MonitorConfig.RETENTION.name(), "30d"), "test", false);
  }

  @Test
  void samplesLandInADayPartitionedTable_aDownServerIsBufferedDroppingTheOldest_andCaughtUpAfter()
      throws Exception {
    MeterRegistry registry = new SimpleMeterRegistry();
    ManualClock clock = new ManualClock(NOW);
    try (ClickHouseServer ch = new ClickHouseServer(dir.resolve("ch")).start();
        ClickHouseSink sink = new ClickHouseSink(config(ch.url()), registry, clock)) {
      String table = "catena.metrics";
      sink.offer(NOW.getEpochSecond(), samples("catena_a_total", 10));
      await(() -> count(ch, table, "metric = 'catena_a_total'") == 10);
      String create = ch.query("SHOW CREATE TABLE " + table);
      assertTrue(create.contains("MergeTree") && create.contains("PARTITION BY date"), create);
      assertEquals("storage\t10001\th\ttarget=\"t3\",weird=\"tab\\there \\\\\"quoted\\\\\"\"\t3\n",
          ch.query("SELECT role, node, host, tags, value FROM " + table + " WHERE metric = 'catena_a_total'"
              + " AND value = 3 FORMAT TabSeparated"));
      assertTrue(sink.reachable());

      ch.stop();
      sink.offer(NOW.getEpochSecond() + 10, samples("catena_b_total", 700));
      sink.offer(NOW.getEpochSecond() + 20, samples("catena_c_total", 800));
      await(() -> !sink.reachable());
      // The writer keeps trying: while a batch is out for an attempt it is not counted as buffered.
      await(() -> sink.buffered() == 1000);
      assertEquals(500.0, registry.get("catena.monitor.samples.dropped").counter().count());

      ch.start();
      await(() -> sink.buffered() == 0 && count(ch, table, "1") == 1010);
      // The oldest went: 200 of the 700 b samples remain, every c sample does.
      assertEquals(200, count(ch, table, "metric = 'catena_b_total'"));
      assertEquals(800, count(ch, table, "metric = 'catena_c_total'"));
      assertEquals("500", ch.query("SELECT min(value) FROM " + table + " WHERE metric = 'catena_b_total'").trim());
    }
  }

  @Test
  void dayPartitionsOlderThanTheRetentionAreDropped() throws Exception {
    ManualClock clock = new ManualClock(NOW);
    try (ClickHouseServer ch = new ClickHouseServer(dir.resolve("ch")).start();
        ClickHouseSink sink = new ClickHouseSink(config(ch.url()), new SimpleMeterRegistry(), clock)) {
      String table = "catena.metrics";
      sink.offer(NOW.minus(Duration.ofDays(40)).getEpochSecond(), samples("catena_old_total", 5));
      sink.offer(NOW.minus(Duration.ofDays(29)).getEpochSecond(), samples("catena_recent_total", 5));
      await(() -> count(ch, table, "metric = 'catena_recent_total'") == 5);
      // Checked at start, then hourly on the injected clock: the 40-day-old day goes, the 29-day-old one stays.
      clock.advance(Duration.ofHours(2));
      sink.offer(NOW.getEpochSecond(), samples("catena_now_total", 1));
      await(() -> count(ch, table, "metric = 'catena_now_total'") == 1);
      assertEquals(0, count(ch, table, "metric = 'catena_old_total'"));
      assertEquals("", ch.query("SELECT DISTINCT partition FROM system.parts WHERE table = 'metrics' AND active"
          + " AND partition < '2026-10-22'"));
      assertEquals(5, count(ch, table, "metric = 'catena_recent_total'"));
    }
  }

  private static long count(ClickHouseServer ch, String table, String where) throws Exception {
    return Long.parseLong(ch.query("SELECT count() FROM " + table + " WHERE " + where).trim());
  }

  private static void await(Callable<Boolean> condition) throws Exception {
    long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (true) {
      try {
        if (condition.call()) {
          return;
        }
      } catch (java.io.IOException e) {
        // the table may not exist yet
      }
      if (System.nanoTime() > end) {
        throw new AssertionError("condition not met within 60 s");
      }
      Thread.sleep(100); // the writer flushes every 200 ms (real time: it talks to a real server)
    }
  }
}

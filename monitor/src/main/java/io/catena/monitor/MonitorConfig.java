package io.catena.monitor;

import io.catena.common.config.DataSize;
import io.catena.common.config.Key;
import java.time.Duration;

/**
 * The keys of the monitor role: where its ClickHouse is, how much it buffers while ClickHouse is away, how long data
 * stays, and what it keeps in memory for the dashboard. Immutable constants.
 */
public final class MonitorConfig {
  private MonitorConfig() {}

  public static final Key<String> CLICKHOUSE_URL = Key.string("monitor.clickhouse.url").defaultValue("")
      .check(v -> v.isEmpty() || v.matches("https?://[^/\\s]+/?"), "empty (no ClickHouse) or http://host:port")
      .doc("ClickHouse's HTTP interface (e.g. http://127.0.0.1:8123). Empty: samples are kept in memory for the"
          + " dashboard only.");

  public static final Key<String> CLICKHOUSE_DATABASE = Key.string("monitor.clickhouse.database")
      .defaultValue("catena").check(v -> v.matches("[A-Za-z_][A-Za-z0-9_]*"), "an identifier")
      .doc("Database of the samples table (created on first start).");

  public static final Key<String> CLICKHOUSE_TABLE = Key.string("monitor.clickhouse.table").defaultValue("metrics")
      .check(v -> v.matches("[A-Za-z_][A-Za-z0-9_]*"), "an identifier")
      .doc("Table of the samples (MergeTree partitioned by day, created on first start).");

  public static final Key<String> CLICKHOUSE_USER = Key.string("monitor.clickhouse.user").defaultValue("default")
      .doc("ClickHouse user.");

  public static final Key<String> CLICKHOUSE_PASSWORD = Key.string("monitor.clickhouse.password").defaultValue("")
      .secret().doc("ClickHouse password of monitor.clickhouse.user.");

  public static final Key<Duration> RETENTION = Key.duration("monitor.retention").defaultValue("30d").min("1d")
      .doc("How long samples stay in ClickHouse: day partitions older than this are dropped (ClickHouse 18.16 has no"
          + " TTL clause).");

  public static final Key<Integer> BUFFER_SAMPLES = Key.integer("monitor.buffer_samples").defaultValue("1000000")
      .range("1000", "100000000")
      .doc("Samples held while ClickHouse is unreachable (about 100 bytes each); beyond it the oldest are dropped"
          + " and counted in catena_monitor_samples_dropped_total.");

  public static final Key<Integer> BATCH_SAMPLES = Key.integer("monitor.batch_samples").defaultValue("50000")
      .range("100", "10000000").doc("Most samples in one INSERT.");

  public static final Key<Duration> FLUSH_INTERVAL = Key.duration("monitor.flush_interval").defaultValue("5s")
      .range("100ms", "10m").doc("How often buffered samples are written to ClickHouse.");

  public static final Key<Boolean> HISTOGRAM_BUCKETS = Key.bool("monitor.clickhouse.buckets").defaultValue("false")
      .doc("Whether histogram _bucket series go to ClickHouse too. Off: _count and _sum suffice for rates and means,"
          + " and buckets are most of the rows (Prometheus keeps them for quantiles).");

  public static final Key<Duration> HISTORY = Key.duration("monitor.history").defaultValue("1h").range("1m", "1d")
      .doc("How far back the in-memory charts of the dashboard reach.");

  public static final Key<Duration> HISTORY_STEP = Key.duration("monitor.history_step").defaultValue("10s")
      .range("1s", "10m").doc("Resolution of the in-memory charts.");

  public static final Key<DataSize> MAX_PUSH = Key.dataSize("monitor.max_push").defaultValue("32MiB")
      .range("64KiB", "1GiB").doc("Largest push accepted (after decompression).");
}

package io.catena.monitor;

import io.catena.common.config.Config;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes samples to ClickHouse over its HTTP interface, in batches, from one writer thread. The table is created on
 * first contact: {@code MergeTree} partitioned by day, ordered by (metric, role, node, tags, time); retention drops
 * whole day partitions older than {@code monitor.retention} (18.16, Debian's ClickHouse, has no TTL clause).
 *
 * <p>ClickHouse away: samples wait in a bounded buffer ({@code monitor.buffer_samples}); past it the oldest are
 * dropped and counted ({@code catena_monitor_samples_dropped_total}); once ClickHouse answers again the writer sends
 * batch after batch without pausing until it has caught up. Offering never blocks and never talks to ClickHouse, so a
 * pushing process waits for nothing. Thread-safe: the buffer is guarded by this object's monitor.
 */
public final class ClickHouseSink implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ClickHouseSink.class);
  private static final long RETENTION_CHECK_MILLIS = 3_600_000;

  /** One row of the samples table. */
  record Row(long epochSeconds, String metric, String role, String node, String host, String tags, double value) {}

  private final URI base;
  private final String database;
  private final String table;
  private final String user;
  private final String password;
  private final Duration retention;
  private final int capacity;
  private final int batch;
  private final long flushMillis;
  private final boolean buckets;
  private final Clock clock;
  private final HttpClient http;
  private final ArrayDeque<Row> buffer = new ArrayDeque<>();
  private final Counter received;
  private final Counter written;
  private final Counter dropped;
  private final Counter failures;
  private final AtomicInteger up = new AtomicInteger();
  private final Thread writer;
  private volatile boolean closed;
  private boolean schemaReady;
  private long lastRetentionMillis;
  private long lastWarnMillis;

  public ClickHouseSink(Config config, MeterRegistry registry, Clock clock) {
    String url = config.get(MonitorConfig.CLICKHOUSE_URL);
    this.base = URI.create(url.endsWith("/") ? url : url + "/");
    this.database = config.get(MonitorConfig.CLICKHOUSE_DATABASE);
    this.table = config.get(MonitorConfig.CLICKHOUSE_TABLE);
    this.user = config.get(MonitorConfig.CLICKHOUSE_USER);
    this.password = config.get(MonitorConfig.CLICKHOUSE_PASSWORD);
    this.retention = config.get(MonitorConfig.RETENTION);
    this.capacity = config.get(MonitorConfig.BUFFER_SAMPLES);
    this.batch = config.get(MonitorConfig.BATCH_SAMPLES);
    this.flushMillis = config.get(MonitorConfig.FLUSH_INTERVAL).toMillis();
    this.buckets = config.get(MonitorConfig.HISTOGRAM_BUCKETS);
    this.clock = clock;
    this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).version(HttpClient.Version.HTTP_1_1)
        .build();
    this.received = counter(registry, "catena.monitor.samples.received", "Samples pushed to this monitor");
    this.written = counter(registry, "catena.monitor.samples.written", "Samples written to ClickHouse");
    this.dropped = counter(registry, "catena.monitor.samples.dropped",
        "Samples dropped, oldest first, because the buffer was full while ClickHouse was away");
    this.failures = counter(registry, "catena.monitor.clickhouse.failures", "Failed ClickHouse requests");
    Gauge.builder("catena.monitor.buffer.samples", this, ClickHouseSink::buffered)
        .description("Samples waiting to be written to ClickHouse").register(registry);
    Gauge.builder("catena.monitor.clickhouse.up", up, AtomicInteger::get)
        .description("1 when the last ClickHouse request succeeded").register(registry);
    this.writer = Thread.ofPlatform().daemon().name("clickhouse-writer").unstarted(this::run);
    writer.start();
  }

  private static Counter counter(MeterRegistry r, String name, String description) {
    return Counter.builder(name).description(description).register(r);
  }

  /** Queues one push's samples taken at {@code epochSeconds}; never blocks on ClickHouse. */
  public void offer(long epochSeconds, List<Sample> samples) {
    List<Row> rows = new ArrayList<>(samples.size());
    for (Sample s : samples) {
      if (!buckets && s.name().endsWith("_bucket")) {
        continue;
      }
      rows.add(new Row(epochSeconds, s.name(), s.label("role"), s.label("node"), s.label("host"), tags(s.labels()),
          s.value()));
    }
    received.increment(rows.size());
    synchronized (this) {
      buffer.addAll(rows);
      trim();
      notifyAll();
    }
  }

  /** The labels other than role, node and host, in Prometheus syntax and name order: {@code a="1",b="2"}. */
  static String tags(Map<String, String> labels) {
    StringBuilder sb = new StringBuilder();
    for (var e : new java.util.TreeMap<>(labels).entrySet()) {
      String k = e.getKey();
      if (k.equals("role") || k.equals("node") || k.equals("host")) {
        continue;
      }
      if (!sb.isEmpty()) {
        sb.append(',');
      }
      sb.append(k).append("=\"").append(e.getValue().replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
    }
    return sb.toString();
  }

  private void trim() {
    int over = buffer.size() - capacity;
    for (int i = 0; i < over; i++) {
      buffer.pollFirst();
    }
    if (over > 0) {
      dropped.increment(over);
    }
  }

  public synchronized int buffered() {
    return buffer.size();
  }

  /** Whether the last request to ClickHouse succeeded. */
  public boolean reachable() {
    return up.get() == 1;
  }

  private void run() {
    while (!closed) {
      List<Row> rows;
      synchronized (this) {
        if (buffer.size() < batch) {
          try {
            wait(flushMillis);
          } catch (InterruptedException e) {
            return;
          }
        }
        rows = new ArrayList<>(Math.min(batch, buffer.size()));
        while (rows.size() < batch && !buffer.isEmpty()) {
          rows.add(buffer.pollFirst());
        }
      }
      if (closed) {
        requeue(rows);
        return;
      }
      try {
        ensureSchema();
        if (!rows.isEmpty()) {
          insert(rows);
          written.increment(rows.size());
        }
        dropOldPartitions();
        up.set(1);
      } catch (IOException | RuntimeException e) {
        failed(e);
        requeue(rows);
        pause();
      } catch (InterruptedException e) {
        requeue(rows);
        return;
      }
    }
  }

  private void failed(Exception e) {
    failures.increment();
    up.set(0);
    long now = clock.millis();
    if (now - lastWarnMillis > 60_000) {
      lastWarnMillis = now;
      LOG.warn("ClickHouse at {} failed (logged once a minute; {} samples buffered): {}", base, buffered(),
          e.toString());
    }
  }

  /** Puts rows that could not be written back at the head, oldest first, then drops what no longer fits. */
  private synchronized void requeue(List<Row> rows) {
    for (int i = rows.size() - 1; i >= 0; i--) {
      buffer.addFirst(rows.get(i));
    }
    trim();
  }

  /** After a failure: retry at the flush pace, not in a tight loop (pushes notify, so wait out the whole time). */
  private void pause() {
    long end = System.nanoTime() + flushMillis * 1_000_000;
    synchronized (this) {
      long left;
      while (!closed && (left = end - System.nanoTime()) > 0) {
        try {
          wait(Math.max(1, left / 1_000_000));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

  private void ensureSchema() throws IOException, InterruptedException {
    if (schemaReady) {
      return;
    }
    execute("CREATE DATABASE IF NOT EXISTS " + database, "");
    execute("CREATE TABLE IF NOT EXISTS " + database + "." + table + " (date Date DEFAULT toDate(time),"
        + " time DateTime, metric String, role String, node String, host String, tags String, value Float64)"
        + " ENGINE = MergeTree() PARTITION BY date ORDER BY (metric, role, node, tags, time)", "");
    schemaReady = true;
    LOG.info("writing samples to ClickHouse {} table {}.{}", base, database, table);
  }

  private void insert(List<Row> rows) throws IOException, InterruptedException {
    StringBuilder tsv = new StringBuilder(rows.size() * 96);
    for (Row r : rows) {
      tsv.append(r.epochSeconds()).append('\t');
      tsv(tsv, r.metric()).append('\t');
      tsv(tsv, r.role()).append('\t');
      tsv(tsv, r.node()).append('\t');
      tsv(tsv, r.host()).append('\t');
      tsv(tsv, r.tags()).append('\t').append(number(r.value())).append('\n');
    }
    execute("INSERT INTO " + database + "." + table + " (time, metric, role, node, host, tags, value)"
        + " FORMAT TabSeparated", tsv.toString());
  }

  private static StringBuilder tsv(StringBuilder sb, String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '\\' -> sb.append("\\\\");
        case '\t' -> sb.append("\\t");
        case '\n' -> sb.append("\\n");
        default -> sb.append(c);
      }
    }
    return sb;
  }

  private static String number(double v) {
    if (Double.isNaN(v)) {
      return "nan";
    }
    if (Double.isInfinite(v)) {
      return v > 0 ? "inf" : "-inf";
    }
    return Double.toString(v);
  }

  private void dropOldPartitions() throws IOException, InterruptedException {
    long now = clock.millis();
    if (now - lastRetentionMillis < RETENTION_CHECK_MILLIS) {
      return;
    }
    LocalDate oldestKept = LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC).minusDays(retention.toDays());
    String parts = query("SELECT DISTINCT partition FROM system.parts WHERE database = '" + database
        + "' AND table = '" + table + "' AND active FORMAT TabSeparated");
    for (String p : parts.split("\n")) {
      String day = p.trim().replace("'", "");
      if (day.matches("\\d{4}-\\d{2}-\\d{2}") && LocalDate.parse(day).isBefore(oldestKept)) {
        execute("ALTER TABLE " + database + "." + table + " DROP PARTITION '" + day + "'", "");
        LOG.info("dropped samples of {} (older than monitor.retention {})", day, retention);
      }
    }
    lastRetentionMillis = now;
  }

  /** Runs a statement whose text goes in the URL, with {@code body} as its data. */
  private void execute(String statement, String body) throws IOException, InterruptedException {
    send(statement, body);
  }

  /** Runs a SELECT and returns its output. */
  public String query(String select) throws IOException, InterruptedException {
    return send(select, "");
  }

  private String send(String statement, String body) throws IOException, InterruptedException {
    URI uri = base.resolve("?user=" + URLEncoder.encode(user, StandardCharsets.UTF_8)
        + (password.isEmpty() ? "" : "&password=" + URLEncoder.encode(password, StandardCharsets.UTF_8))
        + "&query=" + URLEncoder.encode(statement, StandardCharsets.UTF_8));
    HttpRequest req = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30))
        .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)).build();
    HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    if (r.statusCode() != 200) {
      String msg = r.body().length() > 300 ? r.body().substring(0, 300) + "..." : r.body();
      throw new IOException("ClickHouse answered HTTP " + r.statusCode() + ": " + msg.trim());
    }
    return r.body();
  }

  /** Stops the writer; what is still buffered is lost (the next start begins afresh). */
  @Override
  public void close() {
    closed = true;
    writer.interrupt();
    try {
      writer.join(5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    http.close();
  }
}

package io.catena.monitor;

import com.sun.net.httpserver.HttpExchange;
import io.catena.common.config.Config;
import io.catena.common.config.ConfigException;
import io.catena.metrics.MetricsConfig;
import io.catena.metrics.MetricsHttpServer;
import io.catena.metrics.MetricsPusher;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The monitor (ARCHITECTURE §1, seed 001's "Monitor, data in ClickHouse"): takes the samples every process pushes to
 * {@code POST /push} on its HTTP endpoint, keeps the latest of each process and an hour of charts in memory, and,
 * when {@code monitor.clickhouse.url} is set, writes every sample to ClickHouse. Push, not scrape: processes need to
 * know one address (monitor.push_to) instead of the monitor learning every process's; a mount, which is in no routing
 * table, is monitored like a server. A push is answered once parsed and queued: ClickHouse is never on its path.
 * Thread-safe.
 */
public final class Monitor implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Monitor.class);
  /** Processes silent this long leave the "latest" view (a stopped process stops being listed). */
  private static final long EXPIRE_MILLIS = 3_600_000;

  private final Collector collector;
  private final ClickHouseSink clickHouse;
  private final ScheduledExecutorService housekeeping;

  private Monitor(Collector collector, ClickHouseSink clickHouse) {
    this.collector = collector;
    this.clickHouse = clickHouse;
    this.housekeeping = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon()
        .name("monitor-housekeeping").factory());
    housekeeping.scheduleWithFixedDelay(() -> collector.expire(EXPIRE_MILLIS), 1, 1, TimeUnit.MINUTES);
  }

  /**
   * Starts collecting on {@code http} (its /push), writing to ClickHouse when configured.
   *
   * @throws ConfigException when {@code http} listens beyond loopback and {@code monitor.push_token} is empty
   */
  public static Monitor start(Config config, MeterRegistry registry, Clock clock, MetricsHttpServer http) {
    String token = config.get(MetricsConfig.PUSH_TOKEN);
    if (!http.loopbackOnly() && token.isEmpty()) {
      throw new ConfigException("the monitor listens on " + http.url() + ", beyond loopback: set"
          + " monitor.push_token so only Catena's processes can push");
    }
    History history = new History(ChartSeries.DEFAULT, config.get(MonitorConfig.HISTORY),
        config.get(MonitorConfig.HISTORY_STEP));
    Collector collector = new Collector(history, clock);
    ClickHouseSink sink = null;
    if (!config.get(MonitorConfig.CLICKHOUSE_URL).isEmpty()) {
      sink = new ClickHouseSink(config, registry, clock);
      ClickHouseSink s = sink;
      collector.addSink(p -> s.offer(p.millis() / 1000, p.samples()));
    }
    Monitor m = new Monitor(collector, sink);
    long maxPush = config.get(MonitorConfig.MAX_PUSH).bytes();
    byte[] expected = ("Bearer " + token).getBytes(StandardCharsets.UTF_8);
    http.handle("/push", ex -> m.push(ex, token.isEmpty() ? null : expected, maxPush));
    LOG.info("monitor collecting pushes at {}/push{}", http.url(),
        sink == null ? " (no ClickHouse: in memory only)" : ", writing to ClickHouse "
            + config.get(MonitorConfig.CLICKHOUSE_URL));
    return m;
  }

  private void push(HttpExchange ex, byte[] expectedAuth, long maxPush) throws IOException {
    if (!ex.getRequestMethod().equals("POST")) {
      MetricsHttpServer.respond(ex, 405, "text/plain", "POST only\n");
      return;
    }
    if (expectedAuth != null) {
      String auth = ex.getRequestHeaders().getFirst("Authorization");
      if (auth == null || !MessageDigest.isEqual(expectedAuth, auth.getBytes(StandardCharsets.UTF_8))) {
        MetricsHttpServer.respond(ex, 401, "text/plain", "monitor.push_token required\n");
        return;
      }
    }
    String text;
    try (InputStream raw = ex.getRequestBody();
        InputStream in = "gzip".equalsIgnoreCase(ex.getRequestHeaders().getFirst("Content-Encoding"))
            ? new GZIPInputStream(raw) : raw) {
      text = readAtMost(in, maxPush);
    }
    if (text == null) {
      MetricsHttpServer.respond(ex, 413, "text/plain", "push larger than monitor.max_push\n");
      return;
    }
    String source = ex.getRequestHeaders().getFirst(MetricsPusher.SOURCE_HEADER);
    collector.accept(source == null ? String.valueOf(ex.getRemoteAddress()) : source, text);
    ex.sendResponseHeaders(204, -1);
    ex.close();
  }

  private static String readAtMost(InputStream in, long max) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[65536];
    int n;
    while ((n = in.read(buf)) > 0) {
      if (out.size() + n > max) {
        return null;
      }
      out.write(buf, 0, n);
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  public Collector collector() {
    return collector;
  }

  /** The ClickHouse writer, when {@code monitor.clickhouse.url} is set. */
  public Optional<ClickHouseSink> clickHouse() {
    return Optional.ofNullable(clickHouse);
  }

  @Override
  public void close() {
    housekeeping.shutdownNow();
    if (clickHouse != null) {
      clickHouse.close();
    }
  }
}

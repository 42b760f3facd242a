package io.catena.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.zip.GZIPOutputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pushes this process's samples (its /metrics text, gzipped) to a monitor's {@code POST /push} every interval, on one
 * daemon thread of its own. Push, not scrape: every process, mounts included, reaches the monitor without the monitor
 * learning addresses, and a process with its HTTP endpoint off is still monitored. A monitor that is down or slow
 * costs a counted failure and at most one timeout per interval on this thread, never a caller's time: nothing is
 * queued here, the next push sends fresh totals (counters are cumulative, so nothing is lost but resolution).
 * Thread-safe.
 */
public final class MetricsPusher implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(MetricsPusher.class);
  /** The header naming the pushing process: {@code role node host}. */
  public static final String SOURCE_HEADER = "X-Catena-Source";

  private final URI target;
  private final Supplier<String> scrape;
  private final String source;
  private final String token;
  private final Duration timeout;
  private final HttpClient http;
  private final ScheduledExecutorService thread;
  private final Counter pushed;
  private final Counter failed;
  private final Clock clock;
  private volatile long lastWarnMillis;

  /**
   * Starts pushing {@code scrape} to {@code hostPort} every {@code interval}.
   *
   * @param source the pushing process as {@code role node host}
   */
  public MetricsPusher(String hostPort, Duration interval, String token, Supplier<String> scrape, String source,
      MeterRegistry registry, Clock clock) {
    this.target = URI.create("http://" + hostPort + "/push");
    this.scrape = scrape;
    this.source = source;
    this.token = token;
    this.clock = clock;
    this.timeout = interval.compareTo(Duration.ofSeconds(5)) < 0 ? interval : Duration.ofSeconds(5);
    this.http = HttpClient.newBuilder().connectTimeout(timeout).version(HttpClient.Version.HTTP_1_1).build();
    this.pushed = Counter.builder("catena.monitor.pushes").tag("result", "ok")
        .description("Samples pushed to the monitor").register(registry);
    this.failed = Counter.builder("catena.monitor.pushes").tag("result", "failed")
        .description("Samples pushed to the monitor").register(registry);
    this.thread = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("metrics-push")
        .factory());
    thread.scheduleWithFixedDelay(this::pushOnce, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** One push now; false when it failed (already counted and, at most once a minute, logged). */
  public boolean pushOnce() {
    try {
      HttpRequest.Builder req = HttpRequest.newBuilder(target).timeout(timeout)
          .header("Content-Type", "text/plain; version=0.0.4").header("Content-Encoding", "gzip")
          .header(SOURCE_HEADER, source)
          .POST(HttpRequest.BodyPublishers.ofByteArray(gzip(scrape.get())));
      if (!token.isEmpty()) {
        req.header("Authorization", "Bearer " + token);
      }
      HttpResponse<Void> r = http.send(req.build(), HttpResponse.BodyHandlers.discarding());
      if (r.statusCode() / 100 != 2) {
        throw new IOException("monitor answered HTTP " + r.statusCode());
      }
      pushed.increment();
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } catch (IOException | RuntimeException e) {
      failed.increment();
      long now = clock.millis();
      if (now - lastWarnMillis > 60_000) {
        lastWarnMillis = now;
        LOG.warn("pushing metrics to {} failed (logged once a minute): {}", target, e.toString());
      }
      return false;
    }
  }

  static byte[] gzip(String text) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(Math.max(1024, text.length() / 6));
    try (GZIPOutputStream z = new GZIPOutputStream(bytes)) {
      z.write(text.getBytes(StandardCharsets.UTF_8));
    }
    return bytes.toByteArray();
  }

  @Override
  public void close() {
    thread.shutdownNow();
    http.close();
  }
}

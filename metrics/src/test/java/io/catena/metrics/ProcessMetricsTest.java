package io.catena.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.catena.common.config.Config;
import io.catena.common.config.ConfigSchema;
import io.micrometer.core.instrument.Counter;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;

class ProcessMetricsTest {
  private final HttpClient http = HttpClient.newHttpClient();

  private static Config config(Map<String, String> overrides) {
    return Config.defaults(ConfigSchema.fromHolders(MetricsConfig.class)).withUpdates(overrides, "test", false);
  }

  private HttpResponse<String> get(String url) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void servesPrometheusTextWithTheProcessLabels_jvmMeters_andHealth() throws Exception {
    try (ProcessMetrics m = ProcessMetrics.start("storage", "10001", config(Map.of()), Clock.systemUTC())
        .buildInfo("1.2.3")) {
      Counter.builder("catena.test.data").baseUnit("bytes").register(m.registry()).increment(42);
      String base = m.http().orElseThrow().url();
      assertTrue(base.startsWith("http://127.0.0.1:"), base);
      HttpResponse<String> r = get(base + "/metrics");
      assertEquals(200, r.statusCode());
      assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));
      String text = r.body();
      assertTrue(text.contains("catena_test_data_bytes_total{host=\""), text);
      assertTrue(text.contains("node=\"10001\",role=\"storage\"} 42.0"), text);
      assertTrue(text.contains("catena_build_info{") && text.contains("version=\"1.2.3\""), text);
      for (String jvm : new String[] {"jvm_memory_used_bytes", "jvm_gc_", "jvm_threads_live_threads",
          "process_cpu_usage", "process_cpu_seconds_total"}) {
        assertTrue(text.contains(jvm), jvm);
      }
      assertEquals("ok\n", get(base + "/healthz").body());
      m.health(() -> "no targets");
      HttpResponse<String> sick = get(base + "/healthz");
      assertEquals(503, sick.statusCode());
      assertEquals("no targets\n", sick.body());
      HttpResponse<String> post = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics"))
          .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(405, post.statusCode());
    }
  }

  @Test
  void anEmptyListenAddressServesNothing() {
    try (ProcessMetrics m = ProcessMetrics.start("mount", "/mnt", config(Map.of(MetricsConfig.HTTP_LISTEN.name(),
        "")), Clock.systemUTC())) {
      assertFalse(m.http().isPresent());
      assertEquals("metrics endpoint off", m.describe());
    }
  }

  @Test
  void pushesGzippedTextWithItsTokenAndSource_andCountsFailuresWithoutThrowing() throws Exception {
    LinkedBlockingQueue<String[]> got = new LinkedBlockingQueue<>();
    HttpServer monitor = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    monitor.createContext("/push", ex -> {
      try (InputStream in = new GZIPInputStream(ex.getRequestBody())) {
        got.add(new String[] {ex.getRequestHeaders().getFirst("Authorization"),
            ex.getRequestHeaders().getFirst(MetricsPusher.SOURCE_HEADER),
            new String(in.readAllBytes(), StandardCharsets.UTF_8)});
      }
      ex.sendResponseHeaders(204, -1);
      ex.close();
    });
    monitor.start();
    int port = monitor.getAddress().getPort();
    try (ProcessMetrics m = ProcessMetrics.start("meta", "100", config(Map.of(MetricsConfig.PUSH_TO.name(),
        "127.0.0.1:" + port, MetricsConfig.PUSH_INTERVAL.name(), "1s", MetricsConfig.PUSH_TOKEN.name(), "s3cret",
        MetricsConfig.HTTP_LISTEN.name(), "")), Clock.systemUTC())) {
      String[] push = got.poll(30, TimeUnit.SECONDS);
      assertEquals("Bearer s3cret", push[0]);
      assertTrue(push[1].startsWith("meta 100 "), push[1]);
      assertTrue(push[2].contains("jvm_memory_used_bytes"), push[2]);
      monitor.stop(0);
      assertFalse(m.pusher().orElseThrow().pushOnce());
      assertTrue(m.registry().get("catena.monitor.pushes").tag("result", "failed").counter().count() >= 1);
    } finally {
      monitor.stop(0);
    }
  }
}

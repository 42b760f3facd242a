package io.catena.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catena.common.cluster.ChainInfo;
import io.catena.common.cluster.ChainTarget;
import io.catena.common.cluster.LocalTargetState;
import io.catena.common.cluster.NodeInfo;
import io.catena.common.cluster.NodeStatus;
import io.catena.common.cluster.NodeType;
import io.catena.common.cluster.PublicTargetState;
import io.catena.common.cluster.RoutingInfo;
import io.catena.common.cluster.TargetInfo;
import io.catena.common.config.Config;
import io.catena.common.config.ConfigException;
import io.catena.common.config.ConfigSchema;
import io.catena.common.time.ManualClock;
import io.catena.metrics.MetricsConfig;
import io.catena.metrics.MetricsHttpServer;
import io.catena.mgmtd.ClientSession;
import io.catena.mgmtd.MgmtdService;
import io.catena.monitor.ChartSeries;
import io.catena.monitor.Collector;
import io.catena.monitor.History;
import java.lang.reflect.Proxy;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The dashboard's pages over a fixed cluster (mgmtd answered by a stub) and pushed samples. */
class DashboardTest {
  private static final Instant NOW = Instant.parse("2026-11-21T12:00:00Z");
  private final ManualClock clock = new ManualClock(NOW);
  private final HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
  private final AtomicReference<RoutingInfo> routing = new AtomicReference<>(routing(PublicTargetState.SERVING));
  private MetricsHttpServer server;

  private static RoutingInfo routing(PublicTargetState third) {
    long hb = NOW.toEpochMilli() - 3000;
    List<NodeInfo> nodes = List.of(
        new NodeInfo(1, NodeType.MGMTD, "tcp://127.0.0.1:8000", NodeStatus.ALIVE, 1, hb, 0, ""),
        new NodeInfo(10001, NodeType.STORAGE, "tcp://127.0.0.1:9001", NodeStatus.ALIVE, 1, hb, 2, ""),
        new NodeInfo(10002, NodeType.STORAGE, "tcp://127.0.0.1:9002", third == PublicTargetState.SERVING
            ? NodeStatus.ALIVE : NodeStatus.FAILED, 1, hb, 0, "<b>bad</b>"));
    List<TargetInfo> targets = List.of(
        new TargetInfo(101, 10001, 0, 1, PublicTargetState.SERVING, LocalTargetState.UPTODATE, 1 << 30, 4L << 30),
        new TargetInfo(102, 10002, 0, 1, third, third == PublicTargetState.SERVING ? LocalTargetState.UPTODATE
            : LocalTargetState.OFFLINE, 1 << 30, 4L << 30),
        new TargetInfo(201, 10001, 0, 2, PublicTargetState.SERVING, LocalTargetState.UPTODATE, 0, 4L << 30));
    List<ChainInfo> chains = List.of(
        new ChainInfo(2, 1, List.of(new ChainTarget(201, PublicTargetState.SERVING))),
        new ChainInfo(1, 3, List.of(new ChainTarget(101, PublicTargetState.SERVING), new ChainTarget(102, third))));
    return new RoutingInfo(7, "test", nodes, targets, chains, List.of());
  }

  private MgmtdService mgmtd() {
    return (MgmtdService) Proxy.newProxyInstance(MgmtdService.class.getClassLoader(),
        new Class<?>[] {MgmtdService.class}, (proxy, method, args) -> switch (method.getName()) {
          case "getRoutingInfo" -> Optional.of(routing.get());
          case "listSessions" -> List.of(new ClientSession("fuse-1-ab", NodeType.FUSE, "host1", "mount /mnt/c",
              NOW.toEpochMilli() - 60_000, NOW.toEpochMilli() - 1000, NOW.toEpochMilli() + 30_000));
          case "toString" -> "stub mgmtd";
          default -> throw new UnsupportedOperationException(method.getName());
        });
  }

  private Collector collector() {
    Collector c = new Collector(new History(ChartSeries.DEFAULT, Duration.ofMinutes(10), Duration.ofSeconds(10)),
        clock);
    String labels = "role=\"storage\",node=\"10001\",host=\"h\"";
    String fixed = "catena_build_info{" + labels + ",version=\"9.9\"} 1\nprocess_cpu_usage{" + labels + "} 0.25\n"
        + "catena_storage_sync_remaining_chunks{" + labels + ",target=\"101\",successor=\"102\"} 12\n";
    c.accept("x", fixed + "catena_storage_data_bytes_total{" + labels + ",op=\"read\",target=\"101\"} 0\n");
    clock.advance(Duration.ofSeconds(5));
    c.accept("x", fixed + "catena_storage_data_bytes_total{" + labels + ",op=\"read\",target=\"101\"} 10485760\n");
    return c;
  }

  private Config config(Map<String, String> overrides) {
    return Config.defaults(ConfigSchema.fromHolders(WebConfig.class, MetricsConfig.class))
        .withUpdates(overrides, "test", false);
  }

  private String base(Map<String, String> overrides) {
    Config config = config(overrides);
    server = MetricsHttpServer.start(config.get(MetricsConfig.HTTP_LISTEN), () -> "", () -> null);
    Dashboard.mount(server, mgmtd(), "test", collector(), Optional.empty(), config, clock);
    return server.url();
  }

  private HttpResponse<String> get(String url, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url));
    if (headers.length > 0) {
      b.headers(headers);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void everyPageRenders_withTheClusterAndTheMonitorsFigures() throws Exception {
    String base = base(Map.of());
    String overview = get(base + "/").body();
    assertTrue(overview.contains("<title>Overview · Catena test</title>"), overview);
    assertTrue(overview.contains("healthy") && overview.contains("2.0 MiB/s read"), overview);
    String nodes = get(base + "/nodes").body();
    assertTrue(nodes.contains("data-node=\"10001\" data-state=\"alive\"") && nodes.contains("9.9")
        && nodes.contains("25.0%") && nodes.contains("8 s ago"), nodes);
    assertTrue(nodes.contains("&lt;b&gt;bad&lt;/b&gt;") && !nodes.contains("<b>bad</b>"), "escaped: " + nodes);
    String targets = get(base + "/targets").body();
    assertTrue(targets.contains("data-target=\"102\" data-state=\"serving\"") && targets.contains("width:25.0%"),
        targets);
    assertTrue(targets.contains("12 chunks"), targets);
    assertTrue(get(base + "/chains").body().contains("all complete"));
    assertTrue(get(base + "/clients").body().contains("mount /mnt/c"));
    assertTrue(get(base + "/metadata").body().contains("Operations by kind"));
    assertTrue(get(base + "/charts").body().contains("<svg"));
    assertEquals(404, get(base + "/nope").statusCode());
    HttpResponse<String> post = http.send(HttpRequest.newBuilder(URI.create(base + "/"))
        .POST(HttpRequest.BodyPublishers.ofString("")).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(405, post.statusCode());
  }

  @Test
  void aFailedNodeShowsItsTargetsOfflineAndItsChainsUnderReplicatedFirst() throws Exception {
    String base = base(Map.of());
    routing.set(routing(PublicTargetState.OFFLINE));
    clock.advance(Duration.ofSeconds(10)); // past the dashboard's short cache of mgmtd's answer
    String chains = get(base + "/chains?fragment=1").body();
    assertFalse(chains.contains("<html"), "a fragment is the content alone");
    assertTrue(chains.contains("1 under-replicated"), chains);
    assertTrue(chains.indexOf("data-chain=\"1\" data-health=\"degraded\"") < chains.indexOf("data-chain=\"2\""),
        chains);
    assertTrue(get(base + "/targets").body().contains("data-target=\"102\" data-state=\"offline\""));
    assertTrue(get(base + "/").body().contains("degraded"));
  }

  @Test
  void withATokenOnlyItsCookieGetsIn_andBeyondLoopbackATokenIsRequired() throws Exception {
    String base = base(Map.of(WebConfig.TOKEN.name(), "t0k"));
    assertEquals(401, get(base + "/nodes").statusCode());
    assertEquals(401, get(base + "/nodes?token=wrong").statusCode());
    HttpResponse<String> in = get(base + "/nodes?token=t0k");
    assertEquals(303, in.statusCode());
    assertEquals("/nodes", in.headers().firstValue("Location").orElseThrow());
    String cookie = in.headers().firstValue("Set-Cookie").orElseThrow();
    assertTrue(cookie.contains("HttpOnly"), cookie);
    assertEquals(200, get(base + "/nodes", "Cookie", cookie.split(";")[0]).statusCode());
    server.close();
    server = null;

    Config open = config(Map.of(MetricsConfig.HTTP_LISTEN.name(), "0.0.0.0:0"));
    try (MetricsHttpServer wide = MetricsHttpServer.start("0.0.0.0:0", () -> "", () -> null)) {
      assertThrows(ConfigException.class, () -> Dashboard.mount(wide, mgmtd(), "test", collector(),
          Optional.empty(), open, clock));
    }
  }
}

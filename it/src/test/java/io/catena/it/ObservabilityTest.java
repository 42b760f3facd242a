package io.catena.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.catena.monitor.ClickHouseServer;
import io.catena.monitor.PromText;
import io.catena.monitor.Sample;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 19 end to end, on one {@code catena up} with a real ClickHouse: every process's /metrics moving under load,
 * the samples in ClickHouse, Debian's Prometheus scraping them with deploy/prometheus.yml, the dashboard in headless
 * Chromium showing a killed storage node within seconds, and a standalone {@code catena monitor}. The last test kills
 * a storage node, so the order matters.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ObservabilityTest {
  private static final Pattern MONITOR = Pattern.compile("^\\s+monitor\\s+(http://\\S+)/");
  /** Screenshots, kept as test artifacts (CI uploads it/target). */
  static final Path SHOTS = Launcher.ROOT.resolve("it/target/screenshots");
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  static Path tmp;
  static ClickHouseServer clickHouse;
  static SingleMachineCluster cluster;
  static String monitor;
  static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeAll
  static void up() throws Exception {
    clickHouse = new ClickHouseServer(tmp.resolve("clickhouse")).start();
    cluster = SingleMachineCluster.start(tmp.resolve("data"), Map.of(
        "CATENA_MONITOR_CLICKHOUSE_URL", clickHouse.url(), "CATENA_MONITOR_FLUSH_INTERVAL", "1s",
        "CATENA_MONITOR_PUSH_INTERVAL", "2s", "CATENA_WEB_REFRESH", "1s"));
    for (String line : cluster.up.output().split("\n")) {
      Matcher m = MONITOR.matcher(line);
      if (m.find()) {
        monitor = m.group(1);
      }
    }
    assertTrue(monitor != null, cluster.up.output());
  }

  @AfterAll
  static void down() throws Exception {
    try {
      if (cluster != null) {
        cluster.close();
      }
    } finally {
      if (clickHouse != null) {
        clickHouse.close();
      }
    }
  }

  static String get(String url) throws IOException, InterruptedException {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
        .build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      // An IOException, so await() polls on through a server still starting (Prometheus answers 503 until ready).
      throw new IOException(url + ": HTTP " + r.statusCode() + ": " + r.body());
    }
    return r.body();
  }

  /** The endpoints catena up listed for Prometheus: http://host:port of every process. */
  static List<String> endpoints() throws IOException {
    List<String> out = new ArrayList<>();
    for (JsonNode group : JSON.readTree(cluster.data.resolve("prometheus-targets.json").toFile())) {
      group.path("targets").forEach(t -> out.add("http://" + t.asText()));
    }
    return out;
  }

  static double sum(List<Sample> samples, String name, String... labels) {
    return samples.stream().filter(s -> s.name().equals(name) && s.has(labels)).mapToDouble(Sample::value).sum();
  }

  static boolean has(List<Sample> samples, String name) {
    return samples.stream().anyMatch(s -> s.name().equals(name));
  }

  static Map<String, List<Sample>> scrapeAll() throws Exception {
    Map<String, List<Sample>> byRole = new HashMap<>();
    for (String e : endpoints()) {
      assertEquals("ok\n", get(e + "/healthz"));
      List<Sample> s = PromText.parse(get(e + "/metrics"));
      String role = s.stream().map(x -> x.label("role")).filter(r -> !r.isEmpty()).findFirst().orElseThrow();
      byRole.computeIfAbsent(role, k -> new ArrayList<>()).addAll(s);
    }
    return byRole;
  }

  @Test
  @Order(1)
  void everyProcessServesItsMetrics_andTheyMoveUnderLoad() throws Exception {
    assertEquals(5, endpoints().size(), "control, three storage nodes and the mount");
    Map<String, List<Sample>> before = scrapeAll();
    assertEquals(Set.of("control", "storage", "mount"), before.keySet());

    byte[] block = new byte[1 << 20];
    new java.util.Random(19).nextBytes(block);
    Path dir = Files.createDirectories(cluster.mnt.resolve("load"));
    for (int f = 0; f < 4; f++) {
      try (FileChannel ch = FileChannel.open(dir.resolve("big-" + f), StandardOpenOption.CREATE,
          StandardOpenOption.WRITE)) {
        for (int i = 0; i < 8; i++) {
          ch.write(java.nio.ByteBuffer.wrap(block));
        }
        ch.force(true);
      }
    }
    for (int f = 0; f < 4; f++) {
      assertEquals(8L << 20, Files.readAllBytes(dir.resolve("big-" + f)).length);
    }
    for (int i = 0; i < 50; i++) {
      Path p = Files.writeString(dir.resolve("small-" + i), "x");
      Files.readAttributes(p, "size");
      Files.delete(p);
    }
    Map<String, List<Sample>> after = scrapeAll();

    for (List<Sample> s : after.values()) {
      for (String common : List.of("jvm_memory_used_bytes", "jvm_gc_pause_seconds_count", "jvm_threads_live_threads",
          "process_cpu_usage", "process_cpu_seconds_total", "catena_build_info")) {
        assertTrue(has(s, common), common);
      }
    }
    List<Sample> s0 = before.get("storage");
    List<Sample> s1 = after.get("storage");
    String written = "catena_storage_data_bytes_total";
    assertTrue(sum(s1, written, "op", "write") - sum(s0, written, "op", "write") >= 32 << 20, "head writes");
    assertTrue(sum(s1, written, "op", "update") - sum(s0, written, "op", "update") >= 64 << 20, "replication");
    assertTrue(sum(s1, written, "op", "read") > sum(s0, written, "op", "read"), "reads");
    assertTrue(sum(s1, "catena_storage_op_seconds_count", "op", "write")
        > sum(s0, "catena_storage_op_seconds_count", "op", "write"));
    assertTrue(sum(s1, "catena_storage_chunk_commits_total") > sum(s0, "catena_storage_chunk_commits_total"));
    assertTrue(sum(s1, "catena_rpc_server_seconds_count", "service", "storage", "method", "Write")
        > sum(s0, "catena_rpc_server_seconds_count", "service", "storage", "method", "Write"));
    for (String g : List.of("catena_storage_target_used_bytes", "catena_storage_target_free_bytes",
        "catena_storage_crc_failures_total", "catena_storage_syncs_running", "catena_storage_op_seconds_bucket")) {
      assertTrue(has(s1, g), g);
    }

    List<Sample> c0 = before.get("control");
    List<Sample> c1 = after.get("control");
    assertTrue(sum(c1, "catena_meta_op_seconds_count", "op", "Create")
        >= sum(c0, "catena_meta_op_seconds_count", "op", "Create") + 50);
    assertTrue(sum(c1, "catena_kv_commit_seconds_count", "user", "meta")
        > sum(c0, "catena_kv_commit_seconds_count", "user", "meta"));
    assertEquals(3.0, sum(c1, "catena_mgmtd_nodes", "type", "storage", "status", "alive"));
    // 12 targets of chain table 1 (4 chains x 3) and the goal tables' 3 (goal 1) and 6 (goal 2): docs/goals.md.
    assertEquals(21.0, sum(c1, "catena_mgmtd_targets", "state", "serving"));
    assertEquals(0.0, sum(c1, "catena_mgmtd_chains_degraded"));
    assertEquals(1.0, sum(c1, "catena_mgmtd_primary"));
    for (String g : List.of("catena_mgmtd_routing_version", "catena_meta_write_sessions",
        "catena_meta_gc_backlog_files", "catena_kv_conflicts_total", "catena_monitor_samples_received_total")) {
      assertTrue(has(c1, g), g);
    }

    List<Sample> m0 = before.get("mount");
    List<Sample> m1 = after.get("mount");
    assertTrue(sum(m1, "catena_fuse_op_seconds_count", "op", "write")
        > sum(m0, "catena_fuse_op_seconds_count", "op", "write"));
    assertTrue(sum(m1, "catena_fuse_op_seconds_count", "op", "create")
        >= sum(m0, "catena_fuse_op_seconds_count", "op", "create") + 50);
    assertTrue(sum(m1, "catena_rpc_client_seconds_count", "service", "storage")
        > sum(m0, "catena_rpc_client_seconds_count", "service", "storage"));
    assertTrue(has(m1, "catena_client_write_behind_bytes"));
  }

  @Test
  @Order(2)
  void clickHouseHoldsTheSamplesOfEveryProcess() throws Exception {
    await(Duration.ofSeconds(60), () -> clickHouse.query("SELECT DISTINCT role FROM catena.metrics ORDER BY role")
        .equals("control\nmount\nstorage\n"));
    await(Duration.ofSeconds(60), () -> Double.parseDouble(clickHouse.query("SELECT max(value) FROM"
        + " (SELECT node, max(value) AS value FROM catena.metrics WHERE metric = 'catena_storage_data_bytes_total'"
        + " AND tags LIKE '%op=\"write\"%' GROUP BY node, tags)").trim()) > 0);
    String nodes = clickHouse.query("SELECT DISTINCT node FROM catena.metrics WHERE role = 'storage' ORDER BY node");
    assertEquals("10001\n10002\n10003\n", nodes);
    String partitions = clickHouse.query("SELECT DISTINCT partition FROM system.parts WHERE database = 'catena'"
        + " AND table = 'metrics' AND active");
    assertTrue(partitions.trim().matches("\\d{4}-\\d{2}-\\d{2}(\\n\\d{4}-\\d{2}-\\d{2})*"), partitions);
  }

  @Test
  @Order(3)
  void prometheusScrapesTheClusterWithTheDeployedConfig() throws Exception {
    Path promBinary = Path.of("/usr/bin/prometheus");
    assertTrue(Files.isExecutable(promBinary), "apt-get install -y prometheus");
    Path config = Files.copy(Launcher.ROOT.resolve("deploy/prometheus.yml"), cluster.data.resolve("prometheus.yml"));
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    Process prom = new ProcessBuilder(promBinary.toString(), "--config.file=" + config,
        "--storage.tsdb.path=" + tmp.resolve("prometheus"), "--web.listen-address=127.0.0.1:" + port)
        .redirectErrorStream(true).redirectOutput(tmp.resolve("prometheus.log").toFile()).start();
    try {
      String api = "http://127.0.0.1:" + port + "/api/v1/query?query=";
      // The first scrape of each target comes within one scrape interval (10 s) of start.
      await(Duration.ofSeconds(90), () -> query(api, "count(up{job=\"catena\"} == 1)").equals("5"));
      assertEquals("3", query(api, "count(count by (node) (catena_storage_data_bytes_total{op=\"write\"}))"));
      assertEquals("3", query(api, "catena_mgmtd_nodes{type=\"storage\",status=\"alive\"}"));
      assertEquals("1", query(api, "count(catena_fuse_op_seconds_count{op=\"write\"})"));
      assertTrue(Double.parseDouble(query(api, "sum(catena_meta_op_seconds_count)")) > 0);
    } finally {
      prom.destroy();
      if (!prom.waitFor(30, TimeUnit.SECONDS)) {
        prom.destroyForcibly();
      }
    }
  }

  /** The value of the first result of a PromQL instant query ("" when none). */
  private static String query(String api, String promql) throws Exception {
    JsonNode r = JSON.readTree(get(api + URLEncoder.encode(promql, StandardCharsets.UTF_8)));
    JsonNode first = r.path("data").path("result").path(0);
    return first.isMissingNode() ? "" : first.path("value").path(1).asText();
  }

  @Test
  @Order(4)
  void theDashboardInChromium_showsEveryPage_andAKilledStorageNodeWithinSeconds() throws Exception {
    try (Browser b = new Browser(tmp.resolve("chromium"), tmp.resolve("chromedriver.log"))) {
      Map<String, String> pages = new java.util.LinkedHashMap<>();
      pages.put("/", "Throughput now");
      pages.put("/nodes", "10003");
      pages.put("/targets", "303");
      pages.put("/chains", "all complete");
      pages.put("/metadata", "Operations by kind");
      pages.put("/clients", "mount " + cluster.mnt);
      pages.put("/charts", "Storage writes");
      for (var p : pages.entrySet()) {
        b.open(monitor + p.getKey());
        String text = b.text();
        // innerText follows CSS text-transform (headings are upper case on screen).
        assertTrue(text.toLowerCase(java.util.Locale.ROOT).contains(p.getValue().toLowerCase(java.util.Locale.ROOT)),
            p.getKey() + ":\n" + text);
        b.screenshot(SHOTS.resolve(name(p.getKey()) + ".png"));
      }

      // The chains page stays open; its live refresh must show the kill without a reload.
      b.open(monitor + "/chains");
      ProcessHandle storage3 = SingleMachineCluster.child(cluster.data.resolve("storage-3").toString())
          .orElseThrow();
      long killed = System.nanoTime();
      storage3.destroyForcibly();
      // Table 1's 4 chains and the 2 goal-2 chains with a replica on node 3 (its goal-1 chain is unavailable).
      await(Duration.ofSeconds(60), () -> b.eval("return document.querySelectorAll("
          + "'tr[data-health=\"degraded\"]').length").asInt() == 6);
      long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - killed);
      b.screenshot(SHOTS.resolve("chains-after-kill.png"));
      // Heartbeat timeout (10 s in catena up) + a refresh (1 s here) + mgmtd's tick, with room for a busy machine.
      assertTrue(seconds <= 30, "the dashboard showed the kill after " + seconds + " s");
      System.out.println("dashboard showed the killed storage node's chains degraded after " + seconds + " s");

      b.open(monitor + "/targets");
      await(Duration.ofSeconds(30), () -> b.eval("return document.querySelectorAll("
          + "'tr[data-state=\"offline\"]').length").asInt() == 6); // the goal-1 replica is lastsrv
      b.screenshot(SHOTS.resolve("targets-after-kill.png"));
      b.open(monitor + "/");
      String overview = b.text();
      // The goal-1 chain on the killed node has no replica left: the cluster is unavailable there, not just degraded.
      assertTrue(overview.contains("unavailable") && overview.contains("storage 10003"), overview);
      b.screenshot(SHOTS.resolve("overview-after-kill.png"));
      b.open(monitor + "/nodes");
      assertEquals(1, b.eval("return document.querySelectorAll('tr[data-state=\"failed\"]').length").asInt());
      b.screenshot(SHOTS.resolve("nodes-after-kill.png"));
    }
  }

  private static String name(String path) {
    return path.equals("/") ? "overview" : path.substring(1);
  }

  @Test
  @Order(5)
  void aStandaloneMonitorServesTheDashboardOfTheCluster() throws Exception {
    try (Launcher.Daemon m = new Launcher.Daemon(Map.of(), "monitor", "--listen", "127.0.0.1:0", "--mgmtd",
        cluster.controlAddress, "--cluster-id", "catena", "--token-file", cluster.adminToken().toString())) {
      String line = m.awaitLine(l -> l.startsWith("monitor listening on"), Duration.ofSeconds(60));
      Matcher url = Pattern.compile("(http://\\S+)").matcher(line);
      assertTrue(url.find(), line);
      String nodes = get(url.group(1) + "/nodes");
      assertTrue(nodes.contains("data-node=\"10001\" data-state=\"alive\""), nodes);
      assertTrue(get(url.group(1) + "/metrics").contains("role=\"monitor\""));
    }
  }

  static void await(Duration limit, Callable<Boolean> condition) throws Exception {
    long end = System.nanoTime() + limit.toNanos();
    Exception last = null;
    while (System.nanoTime() < end) {
      try {
        if (condition.call()) {
          return;
        }
      } catch (IOException | RuntimeException e) {
        last = e;
      }
      Thread.sleep(250); // polling real processes: mgmtd's heartbeat timeout, a scrape, a flush
    }
    throw new AssertionError("condition not met within " + limit, last);
  }

  static Set<String> lines(String s) {
    return new TreeSet<>(List.of(s.split("\n")));
  }
}

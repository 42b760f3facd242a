package io.catena.monitor;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A real ClickHouse server (Debian's clickhouse-server 18.16) for a test: the installed config copied with its paths
 * under a temporary directory and its ports moved to free ones on 127.0.0.1. {@link #stop} and {@link #start} again
 * keep the data and the ports, as an operator's restart would. Not thread-safe: one test owns it.
 */
public final class ClickHouseServer implements AutoCloseable {
  private static final Path BINARY = Path.of("/usr/sbin/clickhouse-server");
  private static final Path CONFIG = Path.of("/etc/clickhouse-server/config.xml");

  private final Path dir;
  private final int httpPort;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private Process process;

  public ClickHouseServer(Path dir) throws IOException {
    if (!Files.isExecutable(BINARY) || !Files.exists(CONFIG)) {
      throw new IllegalStateException("ClickHouse is not installed: apt-get install -y clickhouse-server");
    }
    this.dir = dir;
    this.httpPort = freePort();
    String config = Files.readString(CONFIG)
        .replace("/var/log/clickhouse-server/", dir.resolve("log") + "/")
        .replace("/var/lib/clickhouse/", dir.resolve("data") + "/")
        .replace("<http_port>8123</http_port>", "<http_port>" + httpPort + "</http_port>")
        .replace("<tcp_port>9000</tcp_port>", "<tcp_port>" + freePort() + "</tcp_port>")
        .replace("<interserver_http_port>9009</interserver_http_port>",
            "<interserver_http_port>" + freePort() + "</interserver_http_port>")
        .replace("<listen_host>::1</listen_host>", "")
        .replace("<users_config>users.xml</users_config>", "<users_config>/etc/clickhouse-server/users.xml"
            + "</users_config>");
    Files.createDirectories(dir.resolve("log"));
    Files.createDirectories(dir.resolve("data"));
    Files.writeString(dir.resolve("config.xml"), config);
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** Starts the server and waits (up to a minute) until it answers queries. */
  public ClickHouseServer start() throws IOException, InterruptedException {
    process = new ProcessBuilder(BINARY.toString(), "--config-file=" + dir.resolve("config.xml"))
        .redirectErrorStream(true).redirectOutput(dir.resolve("log/stdout.log").toFile()).start();
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      try {
        if (query("SELECT 1").trim().equals("1")) {
          return this;
        }
      } catch (IOException e) {
        if (!process.isAlive() || System.nanoTime() > end) {
          throw new IOException("ClickHouse did not start; see " + dir.resolve("log"), e);
        }
      }
      Thread.sleep(200); // polling a starting server: it answers within a few seconds
    }
  }

  /** Stops the server (SIGTERM, then SIGKILL after 30 s) and waits for it. */
  public void stop() throws InterruptedException {
    if (process == null) {
      return;
    }
    process.destroy();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    process = null;
  }

  /** {@code http://127.0.0.1:PORT}, as monitor.clickhouse.url takes it. */
  public String url() {
    return "http://127.0.0.1:" + httpPort;
  }

  /** Runs a query over the HTTP interface and returns its TabSeparated output. */
  public String query(String sql) throws IOException, InterruptedException {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url() + "/?query="
        + URLEncoder.encode(sql, StandardCharsets.UTF_8))).timeout(Duration.ofSeconds(30))
        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IOException("HTTP " + r.statusCode() + ": " + r.body());
    }
    return r.body();
  }

  @Override
  public void close() throws InterruptedException {
    stop();
    http.close();
  }
}

package io.catena.dist;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * The etcd members of {@code catena up --ha}: the installed {@code etcd} binary, one process per member with its data
 * under {@code DATA/etcd-N} and the ports kept in {@code DATA/ports.properties}, so a restart finds the same cluster.
 * Readiness is a real linearizable read through each member's client port (etcd 3.4 logs its "ready" line only at
 * info level, and a member alone cannot serve until a quorum is up). Not thread-safe: the starting thread uses it.
 */
final class EtcdMembers {
  static final String BINARY_ENV = "CATENA_ETCD_BINARY";
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);

  private final Path dir;
  private final int count;
  private final List<String> clientUrls = new ArrayList<>();
  private final List<String> peerUrls = new ArrayList<>();

  /** {@code port} gives the kept (or a new, then kept) port for a name such as {@code etcd-1-client}. */
  EtcdMembers(Path dir, int count, java.util.function.ToIntFunction<String> port) {
    this.dir = dir;
    this.count = count;
    for (int i = 1; i <= count; i++) {
      clientUrls.add("http://127.0.0.1:" + port.applyAsInt("etcd-" + i + "-client"));
      peerUrls.add("http://127.0.0.1:" + port.applyAsInt("etcd-" + i + "-peer"));
    }
  }

  static Path binary() {
    Path etcd = Path.of(System.getenv().getOrDefault(BINARY_ENV, "/usr/bin/etcd"));
    if (!Files.isExecutable(etcd)) {
      throw CatenaException.of(Errno.ENOENT, "%s is not installed: `up --ha` runs etcd from Debian's etcd-server "
          + "package (apt-get install etcd-server), or set %s", etcd, BINARY_ENV);
    }
    return etcd;
  }

  /** The members' client endpoints as {@code host:port}, for an {@code etcd://} URL. */
  List<String> endpoints() {
    return clientUrls.stream().map(u -> u.replace("http://", "")).toList();
  }

  /**
   * Starts every member (all first: a member alone waits for its peers) and returns once each answers a read;
   * each is added to {@code children} as soon as it runs.
   */
  void start(List<ChildProcess> children) throws InterruptedException {
    Path etcd = binary();
    String cluster = IntStream.rangeClosed(1, count).mapToObj(i -> "etcd-" + i + "=" + peerUrls.get(i - 1))
        .collect(Collectors.joining(","));
    List<ChildProcess> started = new ArrayList<>();
    for (int i = 1; i <= count; i++) {
      String name = "etcd-" + i;
      List<String> cmd = List.of(etcd.toString(), "--name", name, "--data-dir", dir.resolve(name).toString(),
          "--listen-client-urls", clientUrls.get(i - 1), "--advertise-client-urls", clientUrls.get(i - 1),
          "--listen-peer-urls", peerUrls.get(i - 1), "--initial-advertise-peer-urls", peerUrls.get(i - 1),
          // Ignored by etcd once the data directory holds a member: a restart rejoins the same cluster.
          "--initial-cluster", cluster, "--initial-cluster-state", "new",
          "--initial-cluster-token", "catena-" + dir.getFileName(),
          // Loopback round trips are microseconds: elect a new leader within about a second of losing one.
          "--heartbeat-interval", "100", "--election-timeout", "1000",
          "--listen-metrics-urls", "", "--log-level", "warn");
      ChildProcess c = ChildProcess.startCommand(name, dir.resolve("logs/" + name + ".log"), cmd);
      children.add(c);
      started.add(c);
    }
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    for (int i = 0; i < count; i++) {
      awaitRead(http, started.get(i), clientUrls.get(i));
    }
  }

  /** The last {@code n} lines of a log, so the reason a member died reaches whoever reads the error. */
  private static String tail(Path log, int n) {
    try {
      List<String> lines = Files.readAllLines(log);
      return String.join(System.lineSeparator(), lines.subList(Math.max(0, lines.size() - n), lines.size()));
    } catch (IOException | RuntimeException e) {
      return "(log unreadable: " + e + ")";
    }
  }

  /** Polls a linearizable read through the member's client port until it succeeds, the member exits, or time is up. */
  private static void awaitRead(HttpClient http, ChildProcess member, String clientUrl) throws InterruptedException {
    HttpRequest read = HttpRequest.newBuilder(URI.create(clientUrl + "/v3/kv/range")).timeout(Duration.ofSeconds(2))
        .POST(HttpRequest.BodyPublishers.ofString("{\"key\":\"AA==\"}")).build();
    long end = System.nanoTime() + READY_TIMEOUT.toNanos();
    String last = "no answer yet";
    while (true) {
      if (!member.isAlive()) {
        throw CatenaException.of(Errno.EIO, "%s exited before it was ready; see %s; it ended with:%n%s", member.name(),
            member.log(), tail(member.log(), 8));
      }
      try {
        HttpResponse<String> r = http.send(read, HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200 && r.body().contains("\"header\"")) {
          return;
        }
        last = "HTTP " + r.statusCode() + ": " + r.body();
      } catch (IOException e) {
        last = e.toString();
      }
      if (System.nanoTime() > end) {
        throw CatenaException.of(Errno.ETIMEDOUT, "%s did not answer a read within %s (%s); see %s", member.name(),
            READY_TIMEOUT, last, member.log());
      }
      Thread.sleep(50); // polling a starting process's port with a deadline
    }
  }
}

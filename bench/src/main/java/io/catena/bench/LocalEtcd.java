package io.catena.bench;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A throwaway etcd cluster for one benchmark run: {@code members} processes of the installed etcd
 * ({@code /usr/bin/etcd}, or {@code CATENA_ETCD_BINARY}) on 127.0.0.1 with free ports, data in a fresh directory
 * (under /dev/shm by default, so the figures measure etcd and Catena rather than the disk's fsync), killed and deleted
 * by {@link #close}. Ready means every member answered a real linearizable read. etcd runs with its defaults apart from
 * the election timing, so the figures are those of a stock deployment. Not thread-safe: one benchmark thread.
 */
public final class LocalEtcd implements AutoCloseable {
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);

  private final Path root;
  private final List<Process> processes = new ArrayList<>();
  private final List<String> endpoints = new ArrayList<>();
  private final Thread reaper = new Thread(this::destroy, "bench-etcd-reaper");

  private LocalEtcd(Path root) {
    this.root = root;
  }

  /** Starts {@code members} members with data under {@code base} and waits until each answers. */
  public static LocalEtcd start(int members, Path base) {
    Path binary = Path.of(System.getenv().getOrDefault("CATENA_ETCD_BINARY", "/usr/bin/etcd"));
    if (!Files.isExecutable(binary)) {
      throw CatenaException.of(Errno.ENOENT, "%s is not installed (apt-get install etcd-server, or set"
          + " CATENA_ETCD_BINARY)", binary);
    }
    Path root;
    try {
      root = Files.createTempDirectory(base, "catena-bench-etcd-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    LocalEtcd c = new LocalEtcd(root);
    Runtime.getRuntime().addShutdownHook(c.reaper); // a benchmark stopped with ^C must not leave etcd running
    try {
      c.launch(binary, members);
      return c;
    } catch (RuntimeException e) {
      c.close();
      throw e;
    }
  }

  /** CPU time the members have used so far, summed (what a benchmark phase costs etcd). */
  public Duration cpuTime() {
    Duration sum = Duration.ZERO;
    for (Process p : processes) {
      sum = sum.plus(p.info().totalCpuDuration().orElse(Duration.ZERO));
    }
    return sum;
  }

  private void launch(Path binary, int n) {
    int[] ports = freePorts(2 * n);
    String cluster = java.util.stream.IntStream.range(0, n)
        .mapToObj(i -> "m" + i + "=http://127.0.0.1:" + ports[2 * i + 1]).collect(Collectors.joining(","));
    for (int i = 0; i < n; i++) {
      String client = "http://127.0.0.1:" + ports[2 * i];
      String peer = "http://127.0.0.1:" + ports[2 * i + 1];
      List<String> cmd = List.of(binary.toString(), "--name=m" + i, "--data-dir=" + root.resolve("m" + i),
          "--listen-client-urls=" + client, "--advertise-client-urls=" + client,
          "--listen-peer-urls=" + peer, "--initial-advertise-peer-urls=" + peer,
          "--initial-cluster=" + cluster, "--initial-cluster-state=new",
          "--initial-cluster-token=" + root.getFileName(),
          // As `catena up --ha`: loopback round trips are microseconds.
          "--heartbeat-interval=100", "--election-timeout=1000",
          "--listen-metrics-urls=", "--log-level=warn");
      try {
        processes.add(new ProcessBuilder(cmd).redirectErrorStream(true)
            .redirectOutput(root.resolve("m" + i + ".log").toFile()).start());
      } catch (IOException e) {
        throw new UncheckedIOException("cannot start " + binary, e);
      }
      endpoints.add("127.0.0.1:" + ports[2 * i]);
    }
    for (int i = 0; i < n; i++) {
      awaitReady(i);
    }
  }

  private static int[] freePorts(int n) {
    List<ServerSocket> held = new ArrayList<>();
    try {
      int[] ports = new int[n];
      for (int i = 0; i < n; i++) {
        ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        held.add(s);
        ports[i] = s.getLocalPort();
      }
      return ports;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      for (ServerSocket s : held) {
        try {
          s.close();
        } catch (IOException ignored) {
          // a probe socket: nothing to do
        }
      }
    }
  }

  private void awaitReady(int member) {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    HttpRequest read = HttpRequest.newBuilder(URI.create("http://" + endpoints.get(member) + "/v3/kv/range"))
        .timeout(Duration.ofSeconds(2)).POST(HttpRequest.BodyPublishers.ofString("{\"key\":\"AA==\"}")).build();
    long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
    String last = "no answer";
    while (System.nanoTime() < deadline) {
      if (!processes.get(member).isAlive()) {
        throw new IllegalStateException("etcd member m" + member + " exited; see " + root.resolve("m" + member
            + ".log"));
      }
      try {
        HttpResponse<String> r = http.send(read, HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200 && r.body().contains("\"header\"")) {
          return;
        }
        last = "HTTP " + r.statusCode();
        Thread.sleep(20);
      } catch (IOException e) {
        last = e.toString();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for etcd", e);
      }
    }
    throw new IllegalStateException("etcd member m" + member + " not ready within " + READY_TIMEOUT + ": " + last);
  }

  /** The engine URL of {@code prefix} over every member. */
  public String url(String prefix) {
    return "etcd://" + String.join(",", endpoints) + "/" + prefix;
  }

  public int members() {
    return endpoints.size();
  }

  private void destroy() {
    for (Process p : processes) {
      p.destroyForcibly();
    }
    for (Process p : processes) {
      try {
        p.waitFor();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  @Override
  public void close() {
    destroy();
    try {
      Runtime.getRuntime().removeShutdownHook(reaper);
    } catch (IllegalStateException ignored) {
      // already shutting down: the hook runs anyway
    }
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException ignored) {
      // a leftover temporary directory is harmless
    }
  }
}

package io.catena.kv.etcd;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A real etcd cluster of one or more members ({@code /usr/bin/etcd}, Debian's {@code etcd-server}) on 127.0.0.1,
 * with free ports and temporary data directories (under /dev/shm when it exists: fsync there is free, which keeps
 * test runs short). {@link #start} returns once every member answers a real linearizable read through its client
 * port (no fixed sleeps). Members can be killed with SIGKILL and restarted on their data. A missing binary is a
 * failure with a message saying what to install, never a skip. Ships in the kv test-jar for integration tests.
 * Thread-safe: its methods are synchronized.
 */
public final class EtcdProcess implements AutoCloseable {
  public static final Path BINARY = Path.of("/usr/bin/etcd");
  private static final AtomicInteger CLUSTERS = new AtomicInteger();
  private static final AtomicInteger PREFIXES = new AtomicInteger();
  private static final Duration START_TIMEOUT = Duration.ofSeconds(30);

  /** Options of a cluster to start. Not thread-safe. */
  public static final class Builder {
    private int members = 1;
    private final List<String> flags = new ArrayList<>();

    /** Members of the cluster (1 by default; 3 for failover tests). */
    public Builder members(int n) {
      if (n < 1) {
        throw new IllegalArgumentException("members must be >= 1: " + n);
      }
      members = n;
      return this;
    }

    /** etcd's --max-request-bytes (its default is 1.5 MiB). */
    public Builder maxRequestBytes(long bytes) {
      return flag("--max-request-bytes=" + bytes);
    }

    /** etcd's --max-txn-ops (its default is 128). */
    public Builder maxTxnOps(int ops) {
      return flag("--max-txn-ops=" + ops);
    }

    /** Any other etcd flag, e.g. {@code --auto-compaction-retention=1}. */
    public Builder flag(String flag) {
      flags.add(flag);
      return this;
    }

    public EtcdProcess start() {
      return EtcdProcess.start(members, List.copyOf(flags));
    }
  }

  private static final class Member {
    final String name;
    final int clientPort;
    final int peerPort;
    final Path dataDir;
    final Path log;
    Process process;

    Member(String name, int clientPort, int peerPort, Path dataDir, Path log) {
      this.name = name;
      this.clientPort = clientPort;
      this.peerPort = peerPort;
      this.dataDir = dataDir;
      this.log = log;
    }
  }

  private final Path root;
  private final List<Member> members;
  private final List<String> flags;
  private final String token;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
  private final Thread reaper;

  private EtcdProcess(Path root, List<Member> members, List<String> flags, String token) {
    this.root = root;
    this.members = members;
    this.flags = flags;
    this.token = token;
    // A JVM that dies without close() must not leave etcd running.
    this.reaper = new Thread(this::destroyAll, "etcd-reaper");
    Runtime.getRuntime().addShutdownHook(reaper);
  }

  public static Builder builder() {
    return new Builder();
  }

  /** A one-member cluster with etcd's default limits. */
  public static EtcdProcess start() {
    return builder().start();
  }

  private static EtcdProcess start(int n, List<String> flags) {
    if (!Files.isExecutable(BINARY)) {
      throw new IllegalStateException("etcd is not installed: " + BINARY + " is missing or not executable."
          + " Install Debian's etcd-server package (apt-get install -y etcd-server); .ci/run does.");
    }
    IllegalStateException last = null;
    for (int attempt = 0; attempt < 3; attempt++) {
      EtcdProcess p = null;
      try {
        p = create(n, flags);
        p.startAll();
        return p;
      } catch (IllegalStateException e) {
        // Free ports are picked by binding and releasing them; someone may have taken one meanwhile.
        last = e;
        if (p != null) {
          p.close();
        }
      }
    }
    throw last;
  }

  private static EtcdProcess create(int n, List<String> flags) {
    Path base = Files.isDirectory(Path.of("/dev/shm")) && Files.isWritable(Path.of("/dev/shm"))
        ? Path.of("/dev/shm") : Path.of(System.getProperty("java.io.tmpdir"));
    Path root;
    try {
      root = Files.createTempDirectory(base, "catena-etcd-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    int[] ports = freePorts(2 * n);
    List<Member> ms = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      ms.add(new Member("m" + i, ports[2 * i], ports[2 * i + 1], root.resolve("m" + i), root.resolve("m" + i
          + ".log")));
    }
    return new EtcdProcess(root, ms, flags, "catena-test-" + ProcessHandle.current().pid() + "-"
        + CLUSTERS.incrementAndGet());
  }

  private static int[] freePorts(int n) {
    List<ServerSocket> held = new ArrayList<>();
    try {
      int[] ports = new int[n];
      for (int i = 0; i < n; i++) {
        ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
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
          // closing a probe socket cannot fail in a way that matters
        }
      }
    }
  }

  private synchronized void startAll() {
    for (Member m : members) {
      launch(m, true);
    }
    for (Member m : members) {
      awaitReady(m);
    }
  }

  private void launch(Member m, boolean fresh) {
    String cluster = members.stream().map(x -> x.name + "=http://127.0.0.1:" + x.peerPort)
        .collect(Collectors.joining(","));
    List<String> cmd = new ArrayList<>(List.of(BINARY.toString(),
        "--name=" + m.name,
        "--data-dir=" + m.dataDir,
        "--listen-client-urls=http://127.0.0.1:" + m.clientPort,
        "--advertise-client-urls=http://127.0.0.1:" + m.clientPort,
        "--listen-peer-urls=http://127.0.0.1:" + m.peerPort,
        "--initial-advertise-peer-urls=http://127.0.0.1:" + m.peerPort,
        "--initial-cluster=" + cluster,
        "--initial-cluster-state=" + (fresh ? "new" : "existing"),
        "--initial-cluster-token=" + token,
        // Fast elections: loopback round trips are microseconds, and failover tests wait for them.
        "--heartbeat-interval=50",
        "--election-timeout=500",
        "--logger=zap",
        "--log-level=warn"));
    cmd.addAll(flags);
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(m.log.toFile()));
    try {
      m.process = pb.start();
    } catch (IOException e) {
      throw new IllegalStateException("cannot start " + BINARY + ": " + e.getMessage(), e);
    }
  }

  /** Polls a linearizable read through the member's client port until it succeeds. */
  private void awaitReady(Member m) {
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    HttpRequest read = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + m.clientPort + "/v3/kv/range"))
        .timeout(Duration.ofSeconds(2))
        .POST(HttpRequest.BodyPublishers.ofString("{\"key\":\"AA==\"}")).build();
    String lastError = "no answer yet";
    while (System.nanoTime() < deadline) {
      if (!m.process.isAlive()) {
        throw new IllegalStateException("etcd member " + m.name + " exited with " + m.process.exitValue()
            + " while starting; its log: " + tail(m.log));
      }
      try {
        HttpResponse<String> r = http.send(read, HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200 && r.body().contains("\"header\"")) {
          return;
        }
        lastError = "HTTP " + r.statusCode() + ": " + r.body();
      } catch (IOException e) {
        lastError = e.toString();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for etcd", e);
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for etcd", e);
      }
    }
    throw new IllegalStateException("etcd member " + m.name + " did not answer a read within " + START_TIMEOUT
        + " (" + lastError + "); its log: " + tail(m.log));
  }

  private static String tail(Path log) {
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
    } catch (IOException e) {
      return "(unreadable: " + e + ")";
    }
  }

  public int size() {
    return members.size();
  }

  /** {@code 127.0.0.1:port} of every member's client port. */
  public List<String> endpoints() {
    return members.stream().map(m -> "127.0.0.1:" + m.clientPort).toList();
  }

  /** The engine URL for {@code prefix} over all members. */
  public String url(String prefix) {
    return "etcd://" + String.join(",", endpoints()) + "/" + prefix;
  }

  /** A prefix no other caller in this JVM gets, so tests sharing one cluster never see each other's keys. */
  public static String uniquePrefix(String base) {
    return base + "/" + ProcessHandle.current().pid() + "-" + PREFIXES.incrementAndGet();
  }

  public synchronized boolean isAlive(int member) {
    Process p = members.get(member).process;
    return p != null && p.isAlive();
  }

  /** SIGKILL: no shutdown, no flush; the member's data directory stays for {@link #restart}. */
  public synchronized void kill(int member) {
    Process p = members.get(member).process;
    if (p != null) {
      p.destroyForcibly();
      try {
        p.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Starts a killed member again on its data directory and waits until it answers. */
  public synchronized void restart(int member) {
    Member m = members.get(member);
    if (m.process != null && m.process.isAlive()) {
      throw new IllegalStateException("member " + member + " is running");
    }
    launch(m, false);
    awaitReady(m);
  }

  private synchronized void destroyAll() {
    for (Member m : members) {
      if (m.process != null) {
        m.process.destroyForcibly();
      }
    }
    for (Member m : members) {
      if (m.process != null) {
        try {
          m.process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
  }

  /** Kills every member and deletes the data directories. */
  @Override
  public synchronized void close() {
    destroyAll();
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
      // a leftover temp directory is harmless
    }
  }
}

package io.catena.bench;

import io.catena.meta.client.MetaClientConfig;
import io.catena.common.cluster.ChainTable;
import io.catena.common.config.Config;
import io.catena.common.config.ConfigSchema;
import io.catena.common.net.Address;
import io.catena.kv.KvConfig;
import io.catena.kv.KvEngine;
import io.catena.kv.TransactionRunner;
import io.catena.kv.etcd.EtcdConfig;
import io.catena.meta.ChainTableSource;
import io.catena.meta.ChunkStorage;
import io.catena.meta.server.MetaConfig;
import io.catena.meta.MetaService;
import io.catena.meta.OpenFlags;
import io.catena.meta.ReaddirPage;
import io.catena.meta.UserInfo;
import io.catena.meta.client.MetaClient;
import io.catena.meta.server.MetaRpcService;
import io.catena.meta.store.KvMetaService;
import io.catena.rpc.Rpc;
import io.catena.rpc.RpcConfig;
import io.catena.rpc.RpcServer;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code catena bench meta}: metadata operations per second (create of empty files, stat by name, unlink, and
 * full listings of a 10k-entry directory) in-process ({@link KvMetaService} directly) and over RPC (one meta server in
 * this process on 127.0.0.1, called through {@link MetaClient}), at several client counts, on RocksDB with durable
 * (fsync'd) commits by default. Clients are platform threads in closed loops. Creates go either to one directory per
 * client ("spread", like mdtest -u) or all into one shared directory ("one"), which serialises on the parent inode
 * because every create updates the parent's mtime. A create is open(O_CREAT|O_EXCL|O_RDONLY) of an empty file (no
 * write session), a stat is a lookup by name, a readdir result is one full listing of the 10k-entry directory. Over
 * RPC every mutation carries a request id the client made (so it writes an idempotency record); in-process calls
 * pass none.
 */
@Command(name = "meta", mixinStandardHelpOptions = true,
    description = "Benchmark the metadata service: creates, stats, unlinks and readdir per second, in-process and"
        + " over RPC.")
public final class MetaBench implements Callable<Integer> {

  @Option(names = "--no-metrics", description = "Count into a registry that keeps nothing instead of a Prometheus"
      + " registry, as servers do (the overhead of metrics is the difference).")
  boolean noMetrics;

  @Mixin
  EngineOptions engineOptions = new EngineOptions();

  @Option(names = "--dir", description = "RocksDB directory (default: a temporary directory, deleted afterwards).")
  Path dir;

  @Option(names = "--no-sync", description = "RocksDB: do not fsync the WAL per commit batch.")
  boolean noSync;

  @Option(names = "--modes", defaultValue = "inproc,rpc", split = ",",
      description = "inproc and/or rpc (default ${DEFAULT-VALUE}).")
  String[] modes;

  @Option(names = "--clients", defaultValue = "1,16", split = ",",
      description = "Concurrent clients per phase (default ${DEFAULT-VALUE}).")
  int[] clients;

  @Option(names = "--layouts", defaultValue = "spread,one", split = ",",
      description = "Where creates go: spread (a directory per client) and/or one (one shared directory)"
          + " (default ${DEFAULT-VALUE}).")
  String[] layouts;

  @Option(names = "--ops-per-client", defaultValue = "2000",
      description = "Files each client creates, stats and unlinks per phase (default ${DEFAULT-VALUE}).")
  int opsPerClient;

  @Option(names = "--readdir-entries", defaultValue = "10000",
      description = "Entries of the directory the readdir phase lists; 0 skips that phase (default"
          + " ${DEFAULT-VALUE}).")
  int readdirEntries;

  @Option(names = "--listings-per-client", defaultValue = "10",
      description = "Full listings each client makes in the readdir phase (default ${DEFAULT-VALUE}).")
  int listingsPerClient;

  @Option(names = "--readdir-page", defaultValue = "1024",
      description = "Entries per readdir call (meta.readdir_page_size; default ${DEFAULT-VALUE}).")
  int readdirPage;

  @Option(names = "--worker-threads", defaultValue = "16",
      description = "rpc.worker_threads of the meta server (default ${DEFAULT-VALUE}).")
  int workerThreads;

  @Option(names = "--inline-reads",
      description = "Serve lookup/getattr on the RPC I/O threads (meta.rpc_inline_reads=true).")
  boolean inlineReads;

  @Option(names = "--inline-writes",
      description = "Serve create/close/unlink on the RPC I/O threads (meta.rpc_inline_writes=true).")
  boolean inlineWrites;

  @Option(names = "--io-threads", defaultValue = "0",
      description = "rpc.io_threads of server and client (default ${DEFAULT-VALUE}: one per core).")
  int ioThreads;

  @Option(names = "--connections", defaultValue = "2",
      description = "rpc.connections_per_address of the client (default ${DEFAULT-VALUE}).")
  int connections;

  @Option(names = "--warmup-ops", defaultValue = "3000",
      description = "Creates+stats+unlinks per client before the first measured phase of a mode (default"
          + " ${DEFAULT-VALUE}).")
  int warmupOps;

  @Option(names = "--subdir", description = "Work in this directory (created) and, over RPC, mount it as "
      + "`catena mount --subdir` does: meta checks that every inode a call names lies beneath it (the cost of export "
      + "subtrees). \"/\" installs the check on the whole tree, where it only reads the field.")
  String subdir;

  /** Where the bench's directories go: meta's root, or the directory of --subdir. */
  private long base = MetaService.ROOT;

  private static final UserInfo USER = UserInfo.ROOT;
  private static final ChainTable TABLE = new ChainTable(1, 1, List.of(101L, 102L, 103L, 104L, 105L, 106L));

  public static void main(String[] args) {
    System.exit(new CommandLine(new MetaBench()).execute(args));
  }


  @Override
  public Integer call() throws Exception {
    Config config = Config.defaults(ConfigSchema.fromHolders(KvConfig.class, EtcdConfig.class, MetaConfig.class,
            MetaClientConfig.class, RpcConfig.class))
        .withUpdates(Map.of("kv.rocksdb.sync_commits", Boolean.toString(!noSync),
            "meta.readdir_page_size", Integer.toString(readdirPage),
            "meta.rpc_inline_reads", Boolean.toString(inlineReads),
            "meta.rpc_inline_writes", Boolean.toString(inlineWrites),
            "rpc.worker_threads", Integer.toString(workerThreads), "rpc.io_threads", Integer.toString(ioThreads),
            "rpc.connections_per_address", Integer.toString(connections)), "bench", false);
    for (String engine : engineOptions.engines) {
      try (BenchEngine e = BenchEngine.open(engine, dir, config,
          engineOptions.etcd())) {
        etcdCpu = e::etcdCpuTime;
        run(e.engine(), e.label() + (e.label().startsWith("rocksdb") ? (noSync ? " (no fsync)"
            : " (durable commits, fsync per batch)") : ""), config);
      }
    }
    return 0;
  }

  private KvEngine kv;
  /** CPU time of the benchmark's own etcd members (zero without). */
  private java.util.function.Supplier<java.time.Duration> etcdCpu = () -> java.time.Duration.ZERO;

  private void run(KvEngine kv, String label, Config config) throws Exception {
    this.kv = kv;
    // Metrics on, as in a meta process: KV commits, namespace operations and RPC on both sides are counted.
    io.micrometer.core.instrument.MeterRegistry registry = noMetrics ? io.catena.common.metrics.Meters.discarding()
        : io.catena.metrics.ProcessMetrics.unexported("bench", "meta").registry();
    KvMetaService service = new KvMetaService(new TransactionRunner(kv, KvConfig.defaultRetryPolicy(),
        Clock.systemUTC(), java.util.random.RandomGenerator.of("L64X128MixRandom"),
        new io.catena.kv.KvMetrics(registry, "meta")), Clock.systemUTC(), config, ChainTableSource.fixed(TABLE),
        ChunkStorage.NONE);
    service.format(0755);
    if (subdir != null) {
      for (String name : subdir.split("/")) {
        if (!name.isEmpty()) {
          base = service.mkdir(USER, base, name, 0755, null).id();
        }
      }
    }
    System.out.printf("meta bench: engine=%s, %d ops per client, readdir of %d entries (%d per call),"
            + " server worker threads %d%s%n", label, opsPerClient, readdirEntries, readdirPage, workerThreads,
        (inlineReads ? ", inline reads" : "") + (inlineWrites ? ", inline writes" : ""));
    System.out.printf("%-7s %7s %-7s %-8s %12s %10s %10s %s%n", "mode", "clients", "dirs", "op", "ops/s",
        "p50 ms", "p99 ms", "");
    int phase = 0;
    for (String mode : modes) {
      RpcServer server = null;
      MetaClient client = null;
      io.catena.rpc.RpcClient subdirRpc = null; // a subdir client's RPC client: its MetaClient does not own it
      MetaService m;
      switch (mode) {
        case "inproc" -> m = service;
        case "rpc" -> {
          io.catena.rpc.ServiceDefinition served = MetaRpcService.definition(service, config);
          if (subdir != null) {
            served = new io.catena.meta.server.SubtreeConfinement(new io.catena.meta.store.Subtrees(
                service.context()), Clock.systemUTC()).wrap(served);
          }
          server = Rpc.server(config, Address.tcp("127.0.0.1", 0), List.of(new io.catena.meta.server.MetaMetrics(
              registry).wrap(served)), io.catena.rpc.Authenticator.ACCEPT_ALL, registry);
          client = subdir == null ? MetaClient.create(config, List.of(server.boundAddress()), "metabench", registry)
              : new MetaClient(subdirRpc = Rpc.client(config, registry), io.catena.meta.client.MetaServers.fixed(
                  List.of(server.boundAddress())), "metabench", MetaClient.Options.from(config),
                  java.util.random.RandomGenerator.of("L64X128MixRandom"), io.catena.common.retry.Sleeper.system(),
                  subdir);
          m = client;
        }
        default -> throw new CommandLine.ParameterException(new CommandLine(this), "unknown mode " + mode);
      }
      try {
        long listDir = m.mkdir(USER, base, "readdir-" + mode, 0755, null).id();
        if (readdirEntries > 0) {
          fill(service, listDir, readdirEntries);
        }
        int warmClients = Math.max(1, Arrays.stream(clients).max().orElse(1));
        if (warmupOps > 0) {
          runCreateStatUnlink(m, "warm-" + mode, warmClients, warmupOps, true);
        }
        for (int c : clients) {
          for (String layout : layouts) {
            boolean spread = switch (layout) {
              case "spread" -> true;
              case "one" -> false;
              default -> throw new CommandLine.ParameterException(new CommandLine(this), "unknown layout " + layout);
            };
            if (!spread && c == 1 && Arrays.asList(layouts).contains("spread")) {
              continue; // one client: "one" and "spread" are the same thing
            }
            for (Result r : runCreateStatUnlink(m, "p" + (phase++) + "-" + mode, c, opsPerClient, spread)) {
              print(mode, c, c == 1 ? "-" : layout, r);
            }
          }
          if (readdirEntries > 0) {
            print(mode, c, "-", runReaddir(m, listDir, c));
          }
        }
      } finally {
        if (client != null) {
          client.close();
        }
        if (subdirRpc != null) {
          subdirRpc.close();
        }
        if (server != null) {
          server.close();
        }
      }
    }
  }

  private static void print(String mode, int clients, String layout, Result r) {
    System.out.printf("%-7s %7d %-7s %-8s %12.0f %10.3f %10.3f %s%n", mode, clients, layout, r.op, r.opsPerSecond(),
        r.p50Nanos / 1e6, r.p99Nanos / 1e6, r.note);
  }

  /** Puts {@code n} names into {@code dir} through the in-process service, many per client thread. */
  private static void fill(MetaService m, long dir, int n) throws InterruptedException {
    int threads = 1;
    runClients(threads, c -> {
      for (int k = c; k < n; k += threads) {
        m.create(USER, dir, String.format("entry-%06d", k), 0644, OpenFlags.O_CREAT | OpenFlags.O_EXCL, "fill",
            null);
      }
      return null;
    });
  }

  private record Result(String op, long ops, long nanos, long p50Nanos, long p99Nanos, String note) {
    double opsPerSecond() {
      return ops / (nanos / 1e9);
    }
  }

  /** One client's loop body: returns per-operation latencies (or null). */
  private interface ClientBody {
    long[] run(int client) throws Exception;
  }

  private static long runClients(int n, ClientBody body, List<long[]> latencies) throws InterruptedException {
    CountDownLatch start = new CountDownLatch(1);
    CountDownLatch done = new CountDownLatch(n);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    long[][] lat = new long[n][];
    for (int i = 0; i < n; i++) {
      int c = i;
      Thread.ofPlatform().name("metabench-" + i).daemon().start(() -> {
        try {
          start.await();
          lat[c] = body.run(c);
        } catch (Throwable t) {
          failure.compareAndSet(null, t);
        } finally {
          done.countDown();
        }
      });
    }
    long t0 = System.nanoTime();
    start.countDown();
    done.await();
    long nanos = System.nanoTime() - t0;
    if (failure.get() != null) {
      throw new IllegalStateException("a bench client failed: " + failure.get(), failure.get());
    }
    if (latencies != null) {
      latencies.addAll(Arrays.asList(lat));
    }
    return nanos;
  }

  private static void runClients(int n, ClientBody body) throws InterruptedException {
    runClients(n, body, null);
  }

  /** Create, then stat (lookup by name), then unlink the same files; one result per operation. */
  private List<Result> runCreateStatUnlink(MetaService m, String tag, int clientCount, int ops, boolean spread)
      throws InterruptedException {
    long top = m.mkdir(USER, base, tag, 0755, null).id();
    long[] dirs = new long[clientCount];
    for (int c = 0; c < clientCount; c++) {
      dirs[c] = spread ? m.mkdir(USER, top, "c" + c, 0755, null).id() : top;
    }
    int flags = OpenFlags.O_CREAT | OpenFlags.O_EXCL | OpenFlags.O_RDONLY;
    List<Result> out = new ArrayList<>();
    Map<String, ClientBody> bodies = new HashMap<>();
    bodies.put("create", c -> timed(ops, k -> m.create(USER, dirs[c], name(c, k), 0644, flags, "bench", null)));
    bodies.put("stat", c -> timed(ops, k -> m.lookup(USER, dirs[c], name(c, k))));
    bodies.put("unlink", c -> timed(ops, k -> m.unlink(USER, dirs[c], name(c, k), null)));
    for (String op : List.of("create", "stat", "unlink")) {
      List<long[]> lat = new ArrayList<>();
      long[] before = etcdCounts();
      long[] cpuBefore = cpuNanos();
      long nanos = runClients(clientCount, bodies.get(op), lat);
      long n = (long) clientCount * ops;
      out.add(summarize(op, n, nanos, lat, cpuNote(cpuBefore, n) + etcdNote(before, n)));
    }
    return out;
  }

  /** {this JVM's CPU time, the local etcd members' CPU time}, in nanoseconds. */
  private long[] cpuNanos() {
    long jvm = ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
        .getOperatingSystemMXBean()).getProcessCpuTime();
    return new long[] {jvm, etcdCpu.get().toNanos()};
  }

  /** CPU per operation, this JVM (clients, RPC, meta, KV client) and etcd: on 2 cores what decides the rate. */
  private String cpuNote(long[] before, long ops) {
    long[] after = cpuNanos();
    String jvm = String.format("CPU per op: %.0f us here", (after[0] - before[0]) / 1e3 / ops);
    return after[1] == 0 ? jvm + "; " : jvm + String.format(", %.0f us etcd; ", (after[1] - before[1]) / 1e3 / ops);
  }

  private long[] etcdCounts() {
    if (!(kv instanceof io.catena.kv.etcd.EtcdKvEngine e)) {
      return null;
    }
    long[] r = e.requestCounts();
    long[] m = e.mirrorCounts();
    return new long[] {r[0], r[1], r[2], r[3], m[0], m[1], m[3]};
  }

  /** etcd requests per operation: how many round trips an operation costs, and how well they were shared. */
  private String etcdNote(long[] before, long ops) {
    long[] after = etcdCounts();
    if (before == null || after == null) {
      return "";
    }
    long mirrored = after[4] - before[4];
    long fellBack = after[5] - before[5];
    long recent = after[6] - before[6];
    return String.format("etcd per op: %.2f reads in %.2f requests, %.2f commits in %.2f requests; mirror: %d"
        + " transactions served (%d without a fence), %d fell back",
        (after[1] - before[1]) / (double) ops, (after[0] - before[0]) / (double) ops,
        (after[3] - before[3]) / (double) ops, (after[2] - before[2]) / (double) ops, mirrored, recent, fellBack);
  }

  private static String name(int client, int k) {
    return "f" + client + "-" + k;
  }

  private interface Op {
    void run(int k) throws Exception;
  }

  private static long[] timed(int n, Op op) throws Exception {
    long[] lat = new long[n];
    for (int k = 0; k < n; k++) {
      long t0 = System.nanoTime();
      op.run(k);
      lat[k] = System.nanoTime() - t0;
    }
    return lat;
  }

  /** Each client lists the whole directory {@code listingsPerClient} times; latency is per full listing. */
  private Result runReaddir(MetaService m, long dir, int clientCount) throws InterruptedException {
    long[] entriesSeen = new long[clientCount];
    List<long[]> lat = new ArrayList<>();
    long nanos = runClients(clientCount, c -> timed(listingsPerClient, k -> {
      String cursor = null;
      long n = 0;
      while (true) {
        ReaddirPage p = m.readdir(USER, dir, cursor, readdirPage, false);
        n += p.entries().size();
        if (!p.more()) {
          break;
        }
        cursor = p.cursor();
      }
      if (n != readdirEntries) {
        throw new IllegalStateException("listing saw " + n + " entries, expected " + readdirEntries);
      }
      entriesSeen[c] += n;
    }), lat);
    long listings = (long) clientCount * listingsPerClient;
    long entries = Arrays.stream(entriesSeen).sum();
    Result r = summarize("readdir", listings, nanos, lat, "");
    return new Result("readdir", listings, nanos, r.p50Nanos, r.p99Nanos,
        String.format("listings/s; %.0f entries/s", entries / (nanos / 1e9)));
  }

  private static Result summarize(String op, long ops, long nanos, List<long[]> lat, String note) {
    long[] all = lat.stream().filter(a -> a != null).flatMapToLong(Arrays::stream).sorted().toArray();
    long p50 = all.length == 0 ? 0 : all[(int) (all.length * 0.50)];
    long p99 = all.length == 0 ? 0 : all[Math.min(all.length - 1, (int) (all.length * 0.99))];
    return new Result(op, ops, nanos, p50, p99, note);
  }
}

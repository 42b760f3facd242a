package io.catena.bench;

import io.catena.common.cluster.ChunkId;
import io.catena.common.config.Config;
import io.catena.common.config.ConfigSchema;
import io.catena.rpc.Rpc;
import io.catena.rpc.RpcClient;
import io.catena.rpc.RpcConfig;
import io.catena.storage.StorageConfig;
import io.catena.storage.client.StorageClient;
import io.catena.storage.client.StorageClientConfig;
import io.catena.storage.service.LocalCluster;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code catena bench storage}: whole-chunk writes and reads through the storage client against chains of
 * length 1 and 3, served by storage nodes in this process on loopback (the client, three nodes and their disks
 * share the machine). Each stream is a closed loop: it issues its next request when the previous one completes.
 */
@Command(name = "storage", mixinStandardHelpOptions = true,
    description = "Storage benchmark on loopback: chunk writes (to the chain head, replicated) and reads (from a"
        + " random serving replica) for each chain length and stream count; MB/s and latency percentiles.")
public final class StorageBench implements Callable<Integer> {

  @Option(names = "--no-metrics", description = "Count into a registry that keeps nothing instead of a Prometheus"
      + " registry, as servers do (the overhead of metrics is the difference).")
  boolean noMetrics;

  @Option(names = "--seconds", defaultValue = "5", description = "Measured seconds per phase (default ${DEFAULT-VALUE}).")
  int seconds;

  @Option(names = "--warmup", defaultValue = "1", description = "Warm-up seconds per phase (default ${DEFAULT-VALUE}).")
  int warmup;

  @Option(names = "--chains", defaultValue = "1,3", split = ",",
      description = "Chain lengths (default ${DEFAULT-VALUE}).")
  int[] chainLengths;

  @Option(names = "--streams", defaultValue = "1,8", split = ",",
      description = "Concurrent streams (default ${DEFAULT-VALUE}).")
  int[] streams;

  @Option(names = "--chunk-size", defaultValue = "1048576", description = "Chunk and request size in bytes.")
  int chunkSize;

  @Option(names = "--chunks-per-stream", defaultValue = "32",
      description = "Distinct chunks each stream cycles over (default ${DEFAULT-VALUE}).")
  int chunksPerStream;

  @Option(names = "--fsync", defaultValue = "always", description = "storage.fsync: always, batch or never.")
  String fsync;

  @Option(names = "--set", paramLabel = "KEY=VALUE",
      description = "Override a storage.* or rpc.* key for the nodes and the client (repeatable).")
  Map<String, String> sets = new HashMap<>();

  @Option(names = "--dir", description = "Directory for the nodes' disks (default: a temporary directory).")
  Path dir;

  public static void main(String[] args) {
    System.exit(new CommandLine(new StorageBench()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    Map<String, String> m = new HashMap<>();
    // Three nodes and the client share one JVM here: one event loop per server and client (instead of one per
    // core each: 14 loops on 2 cores) took length-3 writes from ~200 to ~410 MB/s with 8 streams.
    m.put("rpc.io_threads", "1");
    m.put("storage.fsync", fsync);
    m.putAll(sets);
    Config config = Config.defaults(ConfigSchema.fromHolders(StorageConfig.class, StorageClientConfig.class, RpcConfig.class))
        .withUpdates(m, "bench", false);
    Path root = dir != null ? dir : Files.createTempDirectory("catena-storage-bench");
    String fmt = "%-28s %10s %10s %10s %10s%n";
    System.out.printf(Locale.ROOT, "storage bench: %d-byte chunks, fsync=%s, %d s per phase, disks under %s%n",
        chunkSize, fsync, seconds, root);
    System.out.printf(Locale.ROOT, fmt, "phase", "MB/s", "ops/s", "p50 ms", "p99 ms");
    // Metrics on, as in a storage process: what is measured includes their cost on the data path.
    io.micrometer.core.instrument.MeterRegistry registry = noMetrics ? io.catena.common.metrics.Meters.discarding()
        : io.catena.metrics.ProcessMetrics.unexported("bench", "storage").registry();
    try (LocalCluster cluster = new LocalCluster(root, 3, config, java.time.Clock.systemUTC(), registry);
        RpcClient rpc = Rpc.client(config, registry);
        StorageClient client = new StorageClient(cluster.routing(), rpc, config)) {
      long chainId = 1;
      for (int len : chainLengths) {
        int[] nodes = new int[len];
        for (int i = 0; i < len; i++) {
          nodes[i] = i;
        }
        cluster.createChain(chainId, nodes);
        for (int s : streams) {
          Result w = run(client, chainId, s, true);
          System.out.printf(Locale.ROOT, fmt, "write chain=" + len + " streams=" + s, mb(w.bytesPerSecond),
              String.format(Locale.ROOT, "%.0f", w.opsPerSecond), ms(w.p50), ms(w.p99));
          Result r = run(client, chainId, s, false);
          System.out.printf(Locale.ROOT, fmt, "read  chain=" + len + " streams=" + s, mb(r.bytesPerSecond),
              String.format(Locale.ROOT, "%.0f", r.opsPerSecond), ms(r.p50), ms(r.p99));
        }
        chainId++;
      }
    } finally {
      if (dir == null) {
        deleteTree(root);
      }
    }
    return 0;
  }

  private record Result(double bytesPerSecond, double opsPerSecond, long p50, long p99) {}

  private Result run(StorageClient client, long chainId, int streamCount, boolean write) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(streamCount);
    ByteBuf data = PooledByteBufAllocator.DEFAULT.directBuffer(chunkSize);
    byte[] rnd = new byte[chunkSize];
    new Random(1).nextBytes(rnd);
    data.writeBytes(rnd);
    try {
      long warmEnd = System.nanoTime() + TimeUnit.SECONDS.toNanos(warmup);
      long start = warmEnd;
      long end = start + TimeUnit.SECONDS.toNanos(seconds);
      List<Future<long[]>> fs = new ArrayList<>();
      for (int s = 0; s < streamCount; s++) {
        int stream = s;
        fs.add(pool.submit(() -> {
          long[] lat = new long[1 << 16];
          int n = 0;
          for (int k = 0; ; k++) {
            long t0 = System.nanoTime();
            if (t0 >= end) {
              break;
            }
            ChunkId c = new ChunkId(1000 + stream, write ? k % chunksPerStream
                : ThreadLocalRandom.current().nextInt(chunksPerStream));
            if (write) {
              client.write(chainId, c, chunkSize, 0, data).get(60, TimeUnit.SECONDS);
            } else {
              StorageClient.ReadData d = client.read(chainId, c, 0, chunkSize).get(60, TimeUnit.SECONDS);
              if (d.data().length() != chunkSize) {
                throw new IllegalStateException("short read: " + d.data().length());
              }
              d.close();
            }
            long t1 = System.nanoTime();
            if (t0 >= start && n < lat.length) {
              lat[n++] = t1 - t0;
            }
          }
          return Arrays.copyOf(lat, n);
        }));
      }
      List<Long> all = new ArrayList<>();
      for (Future<long[]> f : fs) {
        for (long x : f.get()) {
          all.add(x);
        }
      }
      all.sort(Comparator.naturalOrder());
      double secs = (end - start) / 1e9;
      double ops = all.size() / secs;
      long p50 = all.isEmpty() ? 0 : all.get(all.size() / 2);
      long p99 = all.isEmpty() ? 0 : all.get(Math.min(all.size() - 1, (int) (all.size() * 0.99)));
      return new Result(ops * chunkSize, ops, p50, p99);
    } finally {
      pool.shutdownNow();
      data.release();
    }
  }

  private static String mb(double bytesPerSecond) {
    return String.format(Locale.ROOT, "%.0f", bytesPerSecond / 1e6);
  }

  private static String ms(long nanos) {
    return String.format(Locale.ROOT, "%.2f", nanos / 1e6);
  }

  private static void deleteTree(Path root) throws IOException {
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}

package io.catena.bench;

import io.catena.kv.KvConfig;
import io.catena.common.CatenaException;
import io.catena.kv.KvEngine;
import io.catena.common.retry.RetryPolicy;
import io.catena.kv.TransactionRunner;
import io.catena.kv.rocksdb.RocksKvEngine;
import io.catena.kv.etcd.EtcdConfig;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.LongAdder;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code catena bench kv}: commits per second of small transactions (1 conflict-tracked read + 2 writes, through
 * {@link TransactionRunner}) at several client counts, on RocksDB with durable (fsync'd) commits by default. The
 * batches column shows group commit at work: commits per second divided by batches per second is how many
 * transactions share one WAL fsync. Each client is a platform thread running transactions back to back. Several
 * engines can be measured in one invocation ({@code --engine etcd,rocksdb}), each on fresh data.
 */
@Command(name = "kv", mixinStandardHelpOptions = true,
    description = "Benchmark the transactional KV layer: small read-modify-write transactions per second.")
public final class KvBench implements Callable<Integer> {

  @Option(names = "--dir", description = "Database directory (default: a temporary directory, deleted afterwards).")
  Path dir;

  @Option(names = "--seconds", defaultValue = "5", description = "Measured seconds per phase (default ${DEFAULT-VALUE}).")
  int seconds;

  @Option(names = "--warmup", defaultValue = "1", description = "Warm-up seconds per phase (default ${DEFAULT-VALUE}).")
  int warmup;

  @Option(names = "--clients", defaultValue = "1,8,64", split = ",",
      description = "Concurrent clients per phase (default ${DEFAULT-VALUE}).")
  int[] clients;

  @Option(names = "--keys", defaultValue = "100000", description = "Key space size (default ${DEFAULT-VALUE}).")
  int keys;

  @Mixin
  EngineOptions engineOptions = new EngineOptions();

  @Option(names = "--no-sync", description = "RocksDB: do not fsync the WAL per commit batch.")
  boolean noSync;

  public static void main(String[] args) {
    System.exit(new CommandLine(new KvBench()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    io.catena.common.config.Config config = io.catena.common.config.Config.defaults(
        io.catena.common.config.ConfigSchema.fromHolders(KvConfig.class, EtcdConfig.class))
        .withUpdates(java.util.Map.of("kv.rocksdb.sync_commits", Boolean.toString(!noSync)), "bench", false);
    for (String engine : engineOptions.engines) {
      try (BenchEngine e = BenchEngine.open(engine, dir, config,
          engineOptions.etcd())) {
        run(e.engine(), e.label() + (e.label().startsWith("rocksdb") ? (noSync ? " (no fsync)" : " (fsync per batch)")
            : ""));
      }
    }
    return 0;
  }

  private void run(KvEngine kv, String label) throws InterruptedException {
    System.out.printf("kv bench: engine=%s keys=%d, %d s per phase, txn = 1 conflict read + 2 writes%n",
        label, keys, seconds);
    System.out.printf("%8s %12s %10s %10s %10s %12s %10s%n", "clients", "commits/s", "retries/s", "p50 ms",
        "p99 ms", "batches/s", "txn/batch");
    for (int c : clients) {
      Phase p = runPhase(kv, c);
      double secs = p.nanos / 1e9;
      double cps = p.commits / secs;
      double bps = p.batches / secs;
      System.out.printf("%8d %12.0f %10.0f %10.3f %10.3f %12s %10s%n", c, cps, p.retries / secs,
          p.p50Nanos / 1e6, p.p99Nanos / 1e6, p.batches < 0 ? "-" : String.format("%.0f", bps),
          p.batches <= 0 ? "-" : String.format("%.1f", p.commits / (double) p.batches));
    }
  }

  private record Phase(long commits, long retries, long batches, long nanos, long p50Nanos, long p99Nanos) {}

  private Phase runPhase(KvEngine kv, int clientCount) throws InterruptedException {
    LongAdder commits = new LongAdder();
    LongAdder retries = new LongAdder();
    long[][] latencies = new long[clientCount][];
    int[] counts = new int[clientCount];
    CountDownLatch done = new CountDownLatch(clientCount);
    long start = System.nanoTime();
    long measureFrom = start + warmup * 1_000_000_000L;
    long end = measureFrom + seconds * 1_000_000_000L;
    long[] batchesAt = new long[2];
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < clientCount; i++) {
      int client = i;
      threads.add(Thread.ofPlatform().name("kvbench-" + i).start(() -> {
        SplittableRandom rnd = new SplittableRandom(client * 7919L + 1);
        TransactionRunner runner = new TransactionRunner(kv, KvConfig.defaultRetryPolicy(), Clock.systemUTC(),
            new SplittableRandom(client));
        int[] attempts = new int[1];
        long[] lat = new long[1 << 16];
        int n = 0;
        byte[] value = new byte[16];
        try {
          while (true) {
            long t0 = System.nanoTime();
            if (t0 >= end) {
              break;
            }
            byte[] a = key(rnd.nextInt(keys));
            byte[] b = key(rnd.nextInt(keys));
            rnd.nextBytes(value);
            attempts[0] = 0;
            runner.run(txn -> {
              attempts[0]++;
              txn.get(a);
              txn.set(a, value);
              txn.set(b, value);
              return null;
            });
            long t1 = System.nanoTime();
            if (t0 >= measureFrom) {
              commits.increment();
              retries.add(attempts[0] - 1);
              if (n == lat.length) {
                lat = Arrays.copyOf(lat, n * 2);
              }
              lat[n++] = t1 - t0;
            }
          }
        } catch (CatenaException e) {
          System.err.println("client " + client + " failed: " + e.getMessage());
        } finally {
          latencies[client] = lat;
          counts[client] = n;
          done.countDown();
        }
      }));
    }
    long sleepUntilMeasure = measureFrom - System.nanoTime();
    if (sleepUntilMeasure > 0) {
      Thread.sleep(Duration.ofNanos(sleepUntilMeasure));
    }
    batchesAt[0] = batchCount(kv);
    done.await();
    batchesAt[1] = batchCount(kv);
    long total = 0;
    for (int c : counts) {
      total += c;
    }
    long[] all = new long[(int) total];
    int o = 0;
    for (int i = 0; i < clientCount; i++) {
      System.arraycopy(latencies[i], 0, all, o, counts[i]);
      o += counts[i];
    }
    Arrays.sort(all);
    long p50 = all.length == 0 ? 0 : all[(int) (all.length * 0.50)];
    long p99 = all.length == 0 ? 0 : all[Math.min(all.length - 1, (int) (all.length * 0.99))];
    long batches = batchesAt[0] < 0 ? -1 : batchesAt[1] - batchesAt[0];
    return new Phase(commits.sum(), retries.sum(), batches, end - measureFrom, p50, p99);
  }

  /** Commit batches so far: RocksDB WriteBatches, etcd commit requests (each may carry several commits). */
  private static long batchCount(KvEngine kv) {
    if (kv instanceof io.catena.kv.etcd.EtcdKvEngine e) {
      return e.requestCounts()[2];
    }
    return kv instanceof RocksKvEngine r ? r.batchCount() : -1;
  }

  private static byte[] key(int i) {
    byte[] k = new byte[12];
    k[0] = 'B';
    k[1] = 'E';
    k[2] = 'N';
    k[3] = 'C';
    for (int s = 0; s < 8; s++) {
      k[4 + s] = (byte) ((long) i >>> (56 - 8 * s));
    }
    return k;
  }
}

package io.catena.bench;

import io.catena.common.config.Config;
import io.catena.kv.KvEngine;
import io.catena.kv.KvEngines;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * The engine one benchmark phase runs on, named on the command line as {@code rocksdb} (a temporary or given
 * directory), {@code mem}, {@code etcd} (a throwaway local cluster, see {@link LocalEtcd}) or any engine URL
 * ({@code rocksdb:///dir}, {@code mem://}, {@code etcd://host:port,.../prefix}); {@link #close} removes whatever the
 * benchmark created for it. Not thread-safe: opened and closed by the benchmark thread (the engine itself is
 * thread-safe).
 */
final class BenchEngine implements AutoCloseable {
  /** Separates engine specs in a list: a comma followed by an engine name, not one inside an etcd URL. */
  static final String SPLIT = ",(?=(?:rocksdb|mem|etcd)(?:$|,|:))";

  /** How to start a local etcd cluster for the spec {@code etcd}. */
  record EtcdOptions(int members, Path dataBase) {}

  private final KvEngine engine;
  private final String label;
  private final Path tempDir;
  private final LocalEtcd etcd;

  private BenchEngine(KvEngine engine, String label, Path tempDir, LocalEtcd etcd) {
    this.engine = engine;
    this.label = label;
    this.tempDir = tempDir;
    this.etcd = etcd;
  }

  static BenchEngine open(String spec, Path dir, Config config, EtcdOptions etcdOptions) throws IOException {
    switch (spec) {
      case "rocksdb" -> {
        Path tmp = dir == null ? Files.createTempDirectory("catena-bench") : null;
        Path d = dir == null ? tmp : dir;
        return new BenchEngine(KvEngines.open("rocksdb://" + d.toAbsolutePath(), config), "rocksdb", tmp, null);
      }
      case "mem" -> {
        return new BenchEngine(KvEngines.open("mem://", config), "mem", null, null);
      }
      case "etcd" -> {
        LocalEtcd cluster = LocalEtcd.start(etcdOptions.members(), etcdOptions.dataBase());
        try {
          KvEngine kv = KvEngines.open(cluster.url("bench"), config);
          return new BenchEngine(kv, "etcd (" + cluster.members() + " local member"
              + (cluster.members() == 1 ? "" : "s") + ", data in " + etcdOptions.dataBase() + ")", null, cluster);
        } catch (RuntimeException e) {
          cluster.close();
          throw e;
        }
      }
      default -> {
        return new BenchEngine(KvEngines.open(spec, config), spec, null, null);
      }
    }
  }

  KvEngine engine() {
    return engine;
  }

  String label() {
    return label;
  }

  /** CPU time of the etcd members this benchmark started, or zero. */
  java.time.Duration etcdCpuTime() {
    return etcd == null ? java.time.Duration.ZERO : etcd.cpuTime();
  }

  @Override
  public void close() {
    try {
      engine.close();
    } finally {
      if (etcd != null) {
        etcd.close();
      }
      if (tempDir != null) {
        try (Stream<Path> s = Files.walk(tempDir)) {
          for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
            Files.deleteIfExists(p);
          }
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    }
  }
}

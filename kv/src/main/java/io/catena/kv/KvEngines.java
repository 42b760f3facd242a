package io.catena.kv;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.config.Config;
import io.catena.kv.etcd.EtcdKvEngine;
import io.catena.kv.mem.MemKvEngine;
import io.catena.kv.rocksdb.RocksKvEngine;
import java.nio.file.Path;
import java.time.Clock;

/**
 * Opens an engine by URL: {@code mem://} (optionally {@code mem://name}, a fresh empty store per call),
 * {@code rocksdb://<path>} ({@code rocksdb:///var/lib/catena/kv} absolute, {@code rocksdb://./data/kv} relative to
 * the working directory) or {@code etcd://host:port[,host:port...]/prefix} (an etcd 3.4+ cluster, every key under
 * the prefix; options in {@link io.catena.kv.etcd.EtcdConfig}). Stateless; thread-safe.
 */
public final class KvEngines {
  private KvEngines() {}

  private static final String KNOWN = "mem://, rocksdb:///path/to/dir or etcd://host:port/prefix";

  /** The engine named by {@code kv.engine_url}. */
  public static KvEngine open(Config config) {
    return open(KvConfig.get(config, KvConfig.ENGINE_URL), config, KvFaults.none());
  }

  public static KvEngine open(String url, Config config) {
    return open(url, config, KvFaults.none());
  }

  public static KvEngine open(String url, Config config, KvFaults faults) {
    return open(url, config, faults, Clock.systemUTC());
  }

  /** As {@link #open(String, Config, KvFaults)} with the clock that measures the conflict window injected. */
  public static KvEngine open(String url, Config config, KvFaults faults, Clock clock) {
    if (url == null || url.isBlank()) {
      throw CatenaException.of(Errno.EINVAL, "empty kv engine URL: use " + KNOWN);
    }
    int sep = url.indexOf("://");
    if (sep <= 0) {
      throw CatenaException.of(Errno.EINVAL,
          "kv engine URL '%s' has no scheme: use %s", url, KNOWN);
    }
    String scheme = url.substring(0, sep);
    String rest = url.substring(sep + 3);
    return switch (scheme) {
      case "mem" -> {
        if (rest.contains("/") || rest.contains("?")) {
          throw CatenaException.of(Errno.EINVAL,
              "kv engine URL '%s': mem:// takes at most a name (mem://name), not a path or options", url);
        }
        yield new MemKvEngine(url, config, faults, clock);
      }
      case "rocksdb" -> {
        if (rest.isEmpty()) {
          throw CatenaException.of(Errno.EINVAL,
              "kv engine URL '%s' has no path: use rocksdb:///absolute/dir or rocksdb://./relative/dir", url);
        }
        if (rest.contains("?") || rest.contains("#")) {
          throw CatenaException.of(Errno.EINVAL,
              "kv engine URL '%s': rocksdb:// takes a directory path, options go in kv.rocksdb.* keys", url);
        }
        Path dir;
        try {
          dir = Path.of(rest);
        } catch (RuntimeException e) {
          throw CatenaException.of(Errno.EINVAL, "kv engine URL '%s': bad path '%s': %s", url, rest, e.getMessage());
        }
        yield RocksKvEngine.open(url, dir, config, faults, clock);
      }
      case "etcd" -> EtcdKvEngine.open(url, config, faults, clock);
      default -> throw CatenaException.of(Errno.EINVAL,
          "kv engine URL '%s': unknown scheme '%s' (known: mem, rocksdb, etcd)", url, scheme);
    };
  }
}

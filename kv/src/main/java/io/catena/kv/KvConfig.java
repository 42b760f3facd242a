package io.catena.kv;

import io.catena.common.config.Config;
import io.catena.common.config.Key;
import java.time.Duration;

/** The {@code kv.*} configuration keys, one definition each. Immutable constants. */
public final class KvConfig {
  private KvConfig() {}

  public static final Key<String> ENGINE_URL = Key.string("kv.engine_url").defaultValue("rocksdb://./data/kv")
      .doc("Which KV engine to open: mem:// (in memory, for tests) or rocksdb://<path> (rocksdb:///abs/path, or a"
          + " path relative to the working directory such as rocksdb://./data/kv).");

  public static final Key<Duration> CONFLICT_WINDOW = Key.duration("kv.conflict_window").defaultValue("5s")
      .range("100ms", "10m")
      .doc("How long committed write sets are remembered for conflict checks (FoundationDB's MVCC window). A"
          + " transaction whose read version is older than the window fails with a retryable 'transaction too"
          + " old'.");

  public static final Key<Boolean> ROCKSDB_SYNC_COMMITS = Key.bool("kv.rocksdb.sync_commits").defaultValue("true")
      .doc("fsync the RocksDB WAL before acknowledging a commit. false survives a process crash but not a machine"
          + " crash.");

  public static final Key<Integer> ROCKSDB_MAX_BATCH = Key.integer("kv.rocksdb.max_batch").defaultValue("512")
      .range("1", "65536")
      .doc("At most this many transactions are resolved and written with one WriteBatch (and one fsync).");

  public static final Key<Integer> RETRY_MAX_ATTEMPTS = Key.integer("kv.retry.max_attempts").defaultValue("20")
      .range("1", "100000").doc("Attempts per transaction (first try included) before the runner gives up.");

  public static final Key<Duration> RETRY_INITIAL_BACKOFF = Key.duration("kv.retry.initial_backoff")
      .defaultValue("1ms").min("0ns").doc("Upper bound of the jittered pause after the first failed attempt.");

  public static final Key<Duration> RETRY_MAX_BACKOFF = Key.duration("kv.retry.max_backoff").defaultValue("100ms")
      .min("0ns").doc("The backoff bound doubles per attempt up to this value (full jitter below it).");

  public static final Key<Duration> RETRY_TIMEOUT = Key.duration("kv.retry.timeout").defaultValue("10s")
      .min("1ms").doc("Default overall deadline of one TransactionRunner.run call, all attempts included.");

  /**
   * The value of {@code key} in {@code config}, or its default when the config's schema does not carry the kv keys
   * (so a process may hand its own config to the kv layer without merging schemas).
   */
  public static <T> T get(Config config, Key<T> key) {
    return config != null && config.schema().contains(key) ? config.get(key) : key.defaultValue();
  }
}

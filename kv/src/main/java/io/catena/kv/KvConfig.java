package io.catena.kv;

import io.catena.common.retry.RetryPolicy;
import io.catena.common.config.Config;
import io.catena.common.config.DataSize;
import io.catena.common.config.Key;
import java.time.Duration;

/** The {@code kv.*} configuration keys, one definition each. Immutable constants. */
public final class KvConfig {
  private KvConfig() {}

  public static final Key<String> ENGINE_URL = Key.string("kv.engine_url").defaultValue("rocksdb://./data/kv")
      .doc("Which KV engine to open: mem:// (in memory, for tests), rocksdb://<path> (rocksdb:///abs/path, or a"
          + " path relative to the working directory such as rocksdb://./data/kv), or"
          + " etcd://host:port[,host:port...]/prefix (an etcd 3.4+ cluster; all keys live under the prefix, so"
          + " several Catena clusters can share one etcd; options in the kv.etcd.* keys).");

  public static final Key<Duration> CONFLICT_WINDOW = Key.duration("kv.conflict_window").defaultValue("5s")
      .range("100ms", "10m")
      .doc("How long committed write sets are remembered for conflict checks (FoundationDB's MVCC window). A"
          + " transaction whose read version is older than the window fails with a retryable 'transaction too"
          + " old'.");

  public static final Key<Boolean> ROCKSDB_SYNC_COMMITS = Key.bool("kv.rocksdb.sync_commits").defaultValue("false")
      .doc("fsync the RocksDB WAL before acknowledging each commit. false (the default): a commit is acknowledged"
          + " once its WAL write reached the operating system, which survives a crash or kill -9 of any process, and"
          + " the WAL is fsync'd within kv.rocksdb.sync_interval, so a machine crash (power loss, kernel panic) can"
          + " lose the commits acknowledged in that last interval, as MooseFS's master and Redis's everysec do. true:"
          + " nothing acknowledged is ever lost, at one fsync per commit batch (a create then costs about twice as"
          + " much on this project's VM disk).");

  public static final Key<Duration> ROCKSDB_SYNC_INTERVAL = Key.duration("kv.rocksdb.sync_interval")
      .defaultValue("100ms").range("0s", "1m")
      .doc("Without kv.rocksdb.sync_commits: the longest an acknowledged commit waits for the WAL fsync that makes it"
          + " survive a machine crash. 0: only at close.");

  public static final Key<Integer> ROCKSDB_MAX_BATCH = Key.integer("kv.rocksdb.max_batch").defaultValue("512")
      .range("1", "65536")
      .doc("At most this many transactions are resolved and written with one WriteBatch (and one fsync).");

  public static final Key<Integer> ROCKSDB_RECYCLE_WAL_FILES = Key.integer("kv.rocksdb.recycle_wal_files")
      .defaultValue("4").range("0", "64")
      .doc("Obsolete RocksDB WAL files kept for reuse (RocksDB recycle_log_file_num). A durable commit is an"
          + " fdatasync of the WAL; on a file that grows, that also journals the new size and extents, on a reused"
          + " one it is a plain overwrite: 4 KiB O_DSYNC writes measured 1.36 ms appending vs 0.52 ms overwriting on"
          + " the dev VM's virtio disk. Takes effect once the first WAL has been replaced (a memtable flush). 0 turns"
          + " it off.");

  public static final Key<DataSize> ROCKSDB_WRITE_BUFFER_SIZE = Key.dataSize("kv.rocksdb.write_buffer_size")
      .defaultValue("64MiB").range("64KiB", "1GiB")
      .doc("RocksDB memtable size; also how much WAL is written before the WAL file is switched (and an old one"
          + " can be reused, see kv.rocksdb.recycle_wal_files).");

  public static final Key<DataSize> ROCKSDB_CHANGE_FEED_SIZE = Key.dataSize("kv.rocksdb.change_feed_size")
      .defaultValue("32MiB").range("0B", "4GiB")
      .doc("Memory for the newest committed write batches, kept for metadata loggers (`catena metalogger`) to"
          + " stream; a logger that falls further behind takes a new checkpoint. 0 turns the feed off.");

  public static final Key<Duration> ROCKSDB_GROUP_COMMIT_WAIT = Key.duration("kv.rocksdb.group_commit_wait")
      .defaultValue("1ms").range("0s", "10ms")
      .doc("With kv.rocksdb.sync_commits: the longest the committer holds a batch open for commits it expects (as"
          + " many as the last batch plus those that queued behind it), never longer than the last WAL fsync took."
          + " Without it, N closed-loop"
          + " clients settle into two half-size batches that alternate, paying two fsyncs per N commits. 0: start"
          + " each fsync at once.");

  public static final Key<Integer> RETRY_MAX_ATTEMPTS = Key.integer("kv.retry.max_attempts").defaultValue("20")
      .range("1", "100000").doc("Attempts per transaction (first try included) before the runner gives up.");

  public static final Key<Duration> RETRY_INITIAL_BACKOFF = Key.duration("kv.retry.initial_backoff")
      .defaultValue("1ms").min("0ns").doc("Upper bound of the jittered pause after the first failed attempt.");

  public static final Key<Duration> RETRY_MAX_BACKOFF = Key.duration("kv.retry.max_backoff").defaultValue("100ms")
      .min("0ns").doc("The backoff bound doubles per attempt up to this value (full jitter below it).");

  public static final Key<Duration> RETRY_TIMEOUT = Key.duration("kv.retry.timeout").defaultValue("10s")
      .min("1ms").doc("Default overall deadline of one TransactionRunner.run call, all attempts included.");

  /** The transaction runner's policy of the {@code kv.retry.*} keys (defaults for keys the config lacks). */
  public static RetryPolicy retryPolicy(Config config) {
    return new RetryPolicy(get(config, RETRY_MAX_ATTEMPTS), get(config, RETRY_INITIAL_BACKOFF),
        get(config, RETRY_MAX_BACKOFF), get(config, RETRY_TIMEOUT));
  }

  /** The policy of the {@code kv.retry.*} defaults. */
  public static RetryPolicy defaultRetryPolicy() {
    return retryPolicy(null);
  }

  /**
   * The value of {@code key} in {@code config}, or its default when the config's schema does not carry the kv keys
   * (so a process may hand its own config to the kv layer without merging schemas).
   */
  public static <T> T get(Config config, Key<T> key) {
    return config != null && config.schema().contains(key) ? config.get(key) : key.defaultValue();
  }
}

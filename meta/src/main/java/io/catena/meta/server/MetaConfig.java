package io.catena.meta.server;

import io.catena.common.config.DataSize;
import io.catena.common.config.Key;
import java.time.Duration;

/** The {@code meta.*} configuration keys. */
public final class MetaConfig {
  public static final Key<Duration> GC_DELAY = Key.duration("meta.gc_delay").defaultValue("5m")
      .doc("How long an unlinked file's chunks stay on storage before the garbage collector removes them, so "
          + "readers that opened it before the unlink can finish.");
  public static final Key<Integer> MAX_SYMLINK_FOLLOW = Key.integer("meta.max_symlink_follow").defaultValue("40")
      .range("1", "255").doc("Symlinks followed while resolving one path before ELOOP (Linux: 40).");
  public static final Key<Integer> MAX_PATH_DEPTH = Key.integer("meta.max_path_depth").defaultValue("1024")
      .range("1", "65536").doc("Components one path resolution walks before ELOOP/ENAMETOOLONG.");
  public static final Key<Duration> READ_STALENESS = Key.duration("meta.read_staleness").defaultValue("20ms")
      .range("0s", "10s").doc("How far behind other meta servers' changes lookup, getattr, readdir, readlink,"
          + " access and xattr reads may be, on an engine where a current read costs a round trip (etcd with its"
          + " mirror): each sees every change made through this server at once, and every other change acknowledged"
          + " at least this long before it. Mounts cache attributes and entries longer (fuse.attr_timeout); clients"
          + " that move to another server wait meta.client.failover_read_delay first. 0: every read at the latest"
          + " revision. No effect on rocksdb:// and mem://, whose reads are always current.");
  public static final Key<Integer> READDIR_PAGE = Key.integer("meta.readdir_page_size").defaultValue("256")
      .range("1", "65536").doc("The most entries one readdir returns.");
  public static final Key<Duration> IDEMPOTENCY_TTL = Key.duration("meta.idempotency_ttl").defaultValue("30m")
      .doc("How long a mutation's answer is kept for retries of the same request id.");
  public static final Key<DataSize> DEFAULT_CHUNK_SIZE = Key.dataSize("meta.default_chunk_size")
      .defaultValue("1MiB").powerOfTwo().range("64KiB", "64MiB").doc("Chunk size of files under the root.");
  public static final Key<Integer> DEFAULT_STRIPE = Key.integer("meta.default_stripe_size").defaultValue("16")
      .range("1", "65536").doc("Chains a new file spreads over under the root.");
  public static final Key<Integer> DEFAULT_CHAIN_TABLE = Key.integer("meta.default_chain_table").defaultValue("1")
      .range("0", "65535").doc("Chain table id of the root's default layout.");
  public static final Key<Integer> ID_BLOCK = Key.integer("meta.inode_id_block").defaultValue("1024")
      .range("1", "1000000").doc("Inode ids one meta server takes from the shared counter at a time.");
  public static final Key<Duration> GC_INTERVAL = Key.duration("meta.gc_interval").defaultValue("10s").min("100ms")
      .doc("How often the meta process looks for unlinked files whose chunks can be removed.");
  public static final Key<Duration> PRUNE_INTERVAL = Key.duration("meta.session_prune_interval").defaultValue("30s")
      .min("100ms").doc("How often write sessions, locks and idempotency records of dead clients are removed.");
  public static final Key<Duration> GAUGE_INTERVAL = Key.duration("meta.gauge_interval").defaultValue("15s")
      .min("1s").doc("How often the open write sessions and the garbage-collection backlog are counted for the"
          + " metrics (a snapshot scan of each; never conflicts with operations).");
  public static final Key<Duration> COW_ORPHAN_AGE = Key.duration("meta.cow_orphan_age").defaultValue("1h")
      .min("1s").doc("How long a copy-on-write copy of a shared file's chunks (docs/snapshots.md) may take before "
          + "the garbage collector takes it for the leftover of a crashed meta server and removes what it copied.");
  public static final Key<Integer> GC_BATCH = Key.integer("meta.gc_batch").defaultValue("128")
      .range("1", "100000").doc("Files one garbage-collector pass looks at.");
  public static final Key<Boolean> RPC_INLINE_READS = Key.bool("meta.rpc_inline_reads").defaultValue("false")
      .doc("Serve lookup, getattr, batch getattr, access and readlink on the RPC I/O threads instead of the worker "
          + "pool: about 1.3x the stats per second over RPC on a 2-core machine, but a KV read that has to go to "
          + "disk then stalls every connection of that event loop. For the mem engine or a namespace that fits in "
          + "memory.");

  public static final Key<Boolean> RPC_INLINE_WRITES = Key.bool("meta.rpc_inline_writes").defaultValue("false")
      .doc("Serve create, close and unlink on the RPC I/O threads instead of the worker pool: two thread hand-offs "
          + "less per call (the worker's wake-up and the I/O thread's for the reply), but the I/O thread waits for "
          + "the commit and for what the call asks storage (a create with O_TRUNC of a written file, a close that "
          + "must ask for the length), stalling that event loop's other connections meanwhile. For one machine with "
          + "commits acknowledged at the WAL write (kv.rocksdb.sync_commits=false).");
  public static final Key<DataSize> QUOTA_STRICT_MARGIN_BYTES = Key.dataSize("meta.quota_strict_margin_bytes")
      .defaultValue("1GiB").doc("Within this many bytes of a directory quota's byte limit, growing operations read "
          + "the usage with a conflict check, so concurrent ones serialise and cannot overshoot the limit; further "
          + "from it they do not conflict at all. Operations that each see more room than this can overshoot the "
          + "limit by at most their combined growth during one transaction.");
  public static final Key<Long> QUOTA_STRICT_MARGIN_INODES = Key.longInteger("meta.quota_strict_margin_inodes")
      .defaultValue("1024").range("0", "1000000000").doc("As meta.quota_strict_margin_bytes, for inode limits.");
  public static final Key<Duration> TRASH_DEFAULT_TIME = Key.duration("meta.trash.default_time").defaultValue("0s")
      .doc("The trash time the root directory gets when the namespace is created (inherited by everything created "
          + "beneath; change it later with `catena admin set-trashtime`). A removed file whose trash time is above 0 "
          + "is kept in the trash area that long before its chunks are freed. 0 (the default) frees at once, as "
          + "before trash existed; MooseFS uses 1d. See docs/trash.md.");

  public static final Key<DataSize> GOAL_MOVE_RATE = Key.dataSize("meta.goal_move_rate").defaultValue("64MiB")
      .range("64KiB", "64GiB").doc("Bytes per second the goal mover of one meta server copies when files change "
          + "their replication goal (set-goal); copies of chunks are paced to this rate.");
  public static final Key<Duration> GOAL_MOVE_INTERVAL = Key.duration("meta.goal_move_interval").defaultValue("1s")
      .min("50ms").doc("How often the goal mover looks for files whose goal changed.");
  public static final Key<Integer> GOAL_MOVE_BATCH = Key.integer("meta.goal_move_batch").defaultValue("64")
      .range("1", "100000").doc("Files one goal-mover pass moves at most.");
  public static final Key<Duration> GOAL_OLD_COPY_DELAY = Key.duration("meta.goal_old_copy_delay")
      .defaultValue("30s").doc("How long the old chunks of a moved file stay after its switch to the new chain "
          + "table, so readers that opened it before the switch can finish (as meta.gc_delay for removals).");

  private MetaConfig() {}
}

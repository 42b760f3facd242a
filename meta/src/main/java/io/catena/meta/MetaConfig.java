package io.catena.meta;

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
  public static final Key<Integer> GC_BATCH = Key.integer("meta.gc_batch").defaultValue("128")
      .range("1", "100000").doc("Files one garbage-collector pass looks at.");

  private MetaConfig() {}
}

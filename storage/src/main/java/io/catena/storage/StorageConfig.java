package io.catena.storage;

import io.catena.common.config.DataSize;
import io.catena.common.config.Key;
import java.time.Duration;

/** Configuration keys of the storage service (`storage.*`). Immutable holder of constants. */
public final class StorageConfig {
  private StorageConfig() {}

  public static final Key<FsyncPolicy> FSYNC = Key.enumeration("storage.fsync", FsyncPolicy.class)
      .defaultValue("always")
      .doc("When chunk data and metadata are forced to disk: always (before an update or commit returns; survives"
          + " power loss), batch (every storage.fsync_interval in the background), never. All survive kill -9.");

  public static final Key<Duration> FSYNC_INTERVAL = Key.duration("storage.fsync_interval")
      .defaultValue("50ms").range("1ms", "10s")
      .doc("With storage.fsync = batch: how often dirty data files and the metadata WAL are synced.");

  public static final Key<Integer> FILES_PER_CLASS = Key.integer("storage.files_per_class")
      .defaultValue("4").range("1", "64")
      .doc("Data files per block size class (64KiB ... 64MiB); blocks are striped over them. Fixed when the disk"
          + " is first formatted: opening with another value is refused.");

  public static final Key<DataSize> PREALLOCATE_STEP = Key.dataSize("storage.preallocate_step")
      .defaultValue("64MiB").max("1GiB")
      .doc("Data files grow by posix_fallocate in steps of this size (at least one block), keeping blocks"
          + " contiguous and failing a full disk with ENOSPC before data is written; 0 = grow sparsely on write.");

  public static final Key<DataSize> CAPACITY = Key.dataSize("storage.capacity")
      .defaultValue("0")
      .doc("Bytes of block space this store may use; 0 means the usable space of its file system at open plus"
          + " what the store already uses. Writes needing a new block beyond it fail with ENOSPC.");

  public static final Key<VerifyMode> VERIFY_ON_START = Key.enumeration("storage.verify_on_start", VerifyMode.class)
      .defaultValue("metadata")
      .doc("Check on open: metadata (block references, sharing, space accounting) or full (also every chunk's"
          + " CRC32C, reading the whole disk). Inconsistencies are logged and reported, never repaired.");

  public static final Key<Duration> FORWARD_TIMEOUT = Key.duration("storage.forward_timeout")
      .defaultValue("30s").range("100ms", "10min")
      .doc("How long a replica keeps retrying to forward an update to its successor (waiting for routing to drop"
          + " or replace a failed successor) before failing the write back to its sender.");

  public static final Key<Integer> SYNC_BATCH = Key.integer("storage.sync_batch")
      .defaultValue("1024").range("1", "100000")
      .doc("Chunk metadata entries per page when a predecessor dumps a syncing target's chunks.");

  public static final Key<Integer> MAX_CONCURRENT = Key.integer("storage.max_concurrent_updates")
      .defaultValue("256").range("1", "65536")
      .doc("Updates and reads a storage node runs at once (virtual threads); more wait in line.");

}

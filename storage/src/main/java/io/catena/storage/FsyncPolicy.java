package io.catena.storage;

/**
 * When the chunk engine forces data and metadata to stable storage. Every policy survives a crash of the storage
 * process (kill -9): written data is in the OS page cache and metadata in RocksDB's WAL file. They differ on
 * power loss or kernel crash.
 */
public enum FsyncPolicy {
  /** Data blocks and the metadata batch are synced before an update or commit returns. Safe default. */
  ALWAYS,
  /**
   * Nothing synced on the write path; a background task syncs dirty data files then the WAL every
   * {@code storage.fsync_interval}. A power loss may lose the last interval and may leave chunks whose CRC no
   * longer matches; the startup check reports them.
   */
  BATCH,
  /** Never synced by Catena (benchmarks, tests, disposable data). */
  NEVER
}

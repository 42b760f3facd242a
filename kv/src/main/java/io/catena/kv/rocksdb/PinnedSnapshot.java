package io.catena.kv.rocksdb;

import io.catena.kv.core.Snapshot;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A RocksDB snapshot of the committed data at one version, held until {@link #close}: what a checkpoint reads,
 * page by page, for as long as it takes. Thread-safe; close once (later closes do nothing).
 */
public final class PinnedSnapshot implements AutoCloseable {
  private final long version;
  private final Snapshot snapshot;
  private final AtomicBoolean closed = new AtomicBoolean();

  PinnedSnapshot(long version, Snapshot snapshot) {
    this.version = version;
    this.snapshot = snapshot;
  }

  /** The committed version this snapshot shows: every commit up to it, none after. */
  public long version() {
    return version;
  }

  /** Visits the pairs in {@code [begin, end)} in key order until the visitor returns false. */
  public void scan(byte[] begin, byte[] end, Snapshot.Visitor visitor) {
    if (closed.get()) {
      throw new IllegalStateException("snapshot closed");
    }
    snapshot.scan(begin, end, false, visitor);
  }

  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      snapshot.release();
    }
  }
}

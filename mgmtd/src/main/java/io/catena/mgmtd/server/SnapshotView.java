package io.catena.mgmtd.server;

import io.catena.kv.RangeResult;
import io.catena.kv.ReadTransaction;
import java.util.Optional;

/**
 * A read-only transaction seen only through its snapshot methods. Engines may implement both transaction kinds
 * with one class, so {@link ClusterStore} cannot tell them apart by type; wrapping read-only ones makes the
 * choice between conflict-tracked and snapshot reads explicit. Not thread-safe, like the transaction it wraps.
 */
record SnapshotView(ReadTransaction txn) implements ReadTransaction {
  @Override
  public long readVersion() {
    return txn.readVersion();
  }

  @Override
  public Optional<byte[]> snapshotGet(byte[] key) {
    return txn.snapshotGet(key);
  }

  @Override
  public RangeResult snapshotGetRange(byte[] begin, byte[] end, int limit, boolean reverse) {
    return txn.snapshotGetRange(begin, end, limit, reverse);
  }

  @Override
  public void close() {
    txn.close();
  }
}

package io.catena.kv.core;

import java.util.List;
import java.util.NavigableMap;

/**
 * What a transaction hands to its engine's commit path: its read version, conflict ranges (flat arrays of
 * alternating begin and end keys) and its mutations. Apply {@code clearRanges} first, then {@code writes} (a value
 * identical to {@link Transaction#TOMBSTONE} means delete), then {@code adds} (atomic additions to the latest value
 * of a counter key, see {@link io.catena.kv.ReadWriteTransaction#atomicAdd}): writes and adds buffered before a
 * clearRange were already folded into it, and an add after a set of the same key was folded into the set, so the
 * three sets of keys are disjoint and this order reproduces the transaction's order. {@code readVersion} is -1 for a
 * transaction of an engine that fixes read versions lazily and never needed one (see {@link Transaction}). Not
 * thread-safe; owned by one commit.
 */
public record CommitRequest(long readVersion, byte[][] readConflicts, byte[][] writeConflicts,
    List<byte[]> clearRanges, NavigableMap<byte[], byte[]> writes, NavigableMap<byte[], Long> adds) {

  public boolean isDelete(byte[] value) {
    return value == Transaction.TOMBSTONE;
  }
}

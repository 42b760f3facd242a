package io.catena.kv.core;

import java.util.List;
import java.util.NavigableMap;

/**
 * What a transaction hands to its engine's commit path: its read version, conflict ranges (flat arrays of
 * alternating begin and end keys) and its mutations. Apply {@code clearRanges} first, then {@code writes} (a value
 * identical to {@link Transaction#TOMBSTONE} means delete): writes buffered before a clearRange were already folded
 * into it, so this order reproduces the transaction's order. Not thread-safe; owned by one commit.
 */
public record CommitRequest(long readVersion, byte[][] readConflicts, byte[][] writeConflicts,
    List<byte[]> clearRanges, NavigableMap<byte[], byte[]> writes) {

  public boolean isDelete(byte[] value) {
    return value == Transaction.TOMBSTONE;
  }
}

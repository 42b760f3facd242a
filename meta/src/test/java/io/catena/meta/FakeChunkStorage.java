package io.catena.meta;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** A storage service stand-in: file lengths set by the test, and a record of removals and truncates. Thread-safe. */
public final class FakeChunkStorage implements ChunkStorage {
  public final Map<Long, Long> lengths = new ConcurrentHashMap<>();
  public final Set<Long> removed = ConcurrentHashMap.newKeySet();
  public final Map<Long, Long> truncatedTo = new ConcurrentHashMap<>();

  @Override
  public long queryLength(long inode, Layout layout) {
    return lengths.getOrDefault(layout.dataOwner(inode), 0L);
  }

  @Override
  public void removeChunks(long inode, Layout layout) {
    removed.add(layout.dataOwner(inode));
    lengths.remove(layout.dataOwner(inode));
  }

  @Override
  public void truncate(long inode, Layout layout, long length) {
    truncatedTo.put(layout.dataOwner(inode), length);
    lengths.computeIfPresent(layout.dataOwner(inode), (k, v) -> Math.min(v, length));
  }

  /** Lengths are kept per data id (the inode's own id unless a snapshot shares another's). */
  @Override
  public long copyChunks(Layout layout, long fromData, long toData) {
    long n = lengths.getOrDefault(fromData, 0L);
    lengths.put(toData, n);
    if (failCopies) {
      throw io.catena.common.CatenaException.of(io.catena.common.Errno.EIO, "copy of %d failed", fromData);
    }
    copies.incrementAndGet();
    return n;
  }

  /** Copies store their bytes, then fail: what a meta server dying in the middle of a copy leaves. */
  public volatile boolean failCopies;

  public final java.util.concurrent.atomic.AtomicInteger copies = new java.util.concurrent.atomic.AtomicInteger();

  @Override
  public long[] space() {
    return new long[] {1L << 40, 1L << 39};
  }
}

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
    return lengths.getOrDefault(inode, 0L);
  }

  @Override
  public void removeChunks(long inode, Layout layout) {
    removed.add(inode);
    lengths.remove(inode);
  }

  @Override
  public void truncate(long inode, Layout layout, long length) {
    truncatedTo.put(inode, length);
    lengths.computeIfPresent(inode, (k, v) -> Math.min(v, length));
  }

  @Override
  public long[] space() {
    return new long[] {1L << 40, 1L << 39};
  }
}

package io.catena.storage;

import io.catena.common.cluster.ChunkId;

/**
 * What a replica knows about one chunk: its chain, the last committed version (content length, CRC32C of the whole
 * committed content, size of the block holding it, the chain version it was written under, when) and, if an update
 * is in flight, its pending version. A chunk created by a still-pending first write has committed version 0,
 * length 0 and CRC 0 (the CRC32C of nothing). Immutable.
 *
 * @param capacity          size of the block holding the committed content (its size class); 0 if none
 * @param pendingVersion    version of the pending update, 0 if none
 * @param pendingBlockBytes size of the separate block a pending copy-on-write update holds, 0 if none or the
 *                          pending update was appended in place into the committed block; together with
 *                          {@code capacity} this is exactly the space the chunk uses
 */
public record ChunkMeta(long chainId, ChunkId chunkId, long committedVersion, long chainVersion, int length,
    int capacity, int crc32c, long mtimeMillis, long pendingVersion, int pendingBlockBytes) {

  public boolean hasPending() {
    return pendingVersion != 0;
  }

  public boolean hasCommitted() {
    return committedVersion != 0;
  }

  /** Bytes of block space this chunk holds. */
  public long usedBytes() {
    return (long) capacity + pendingBlockBytes;
  }
}

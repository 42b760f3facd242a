package io.catena.storage.engine;

import io.catena.common.cluster.ChunkId;
import io.catena.storage.ChunkMeta;

/**
 * The records of one chunk as in the metadata store, mirrored in memory: its committed and its pending version;
 * either may be null, not both. Immutable.
 */
record ChunkEntry(StoredVersion committed, StoredVersion pending) {

  /** The pending version's block when it is not also the committed one (an in-place update shares it). */
  boolean pendingHasOwnBlock() {
    return pending != null && (committed == null || pending.block() != committed.block());
  }

  ChunkMeta toMeta(ChunkId id) {
    StoredVersion c = committed;
    StoredVersion p = pending;
    StoredVersion any = c != null ? c : p;
    int pendingBlockBytes = pendingHasOwnBlock() ? p.capacity() : 0;
    return new ChunkMeta(any.chainId(), id, c == null ? 0 : c.version(), any.chainVersion(),
        c == null ? 0 : c.length(), c == null ? 0 : c.capacity(), c == null ? 0 : c.crc32c(), any.mtimeMillis(),
        p == null ? 0 : p.version(), pendingBlockBytes);
  }
}

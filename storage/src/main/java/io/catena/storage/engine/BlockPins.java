package io.catena.storage.engine;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.cluster.ChunkId;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Decides when a block no record references goes back to the allocator: at once, or, while a zero-copy reader has
 * it pinned, at the last unpin, so the bytes a reader is sending are never overwritten by a new version. Thread-safe:
 * one lock covers the pin counts, the deferred frees and the lookup of the block a pin takes, so a pin and the
 * release of that same block are ordered.
 */
final class BlockPins {
  /** Bytes the allocator counts as used and bytes of those that are freed but still pinned, at one instant. */
  record Usage(long allocatedBytes, long pinnedFreedBytes) {}

  private final BlockAllocator allocator;
  private final Map<ChunkId, ChunkEntry> chunks;
  private final Object lock = new Object();
  private final Map<Long, Integer> pins = new HashMap<>();
  private final Set<Long> freeOnUnpin = new HashSet<>();

  /** {@code chunks} is the store's live record map: a pin reads the committed block from it under the lock. */
  BlockPins(BlockAllocator allocator, Map<ChunkId, ChunkEntry> chunks) {
    this.allocator = allocator;
    this.chunks = chunks;
  }

  /** Pins the block of the chunk's committed version and returns that version; ENOENT if there is none. */
  StoredVersion pinCommitted(ChunkId id) {
    synchronized (lock) {
      ChunkEntry e = chunks.get(id);
      if (e == null || e.committed() == null) {
        throw CatenaException.of(Errno.ENOENT, "chunk %s has no committed version", id);
      }
      pins.merge(e.committed().block(), 1, Integer::sum);
      return e.committed();
    }
  }

  void unpin(long block) {
    synchronized (lock) {
      int left = pins.merge(block, -1, Integer::sum);
      if (left == 0) {
        pins.remove(block);
        if (freeOnUnpin.remove(block)) {
          allocator.free(block);
        }
      }
    }
  }

  /**
   * Frees a block no record references any more, or defers it to the last unpin. Call it only after the record
   * change that dropped the block is in the chunk map (and durable, when that matters).
   */
  void release(long block) {
    synchronized (lock) {
      if (pins.containsKey(block)) {
        freeOnUnpin.add(block);
        return;
      }
      allocator.free(block);
    }
  }

  /** Releases every block of a chunk whose records are gone. */
  void releaseAll(ChunkEntry e) {
    if (e.committed() != null) {
      release(e.committed().block());
    }
    if (e.pendingHasOwnBlock()) {
      release(e.pending().block());
    }
  }

  Usage usage() {
    synchronized (lock) {
      long deferred = 0;
      for (long b : freeOnUnpin) {
        deferred += SizeClasses.blockSizeOf(b);
      }
      return new Usage(allocator.usedBytes(), deferred);
    }
  }
}

package io.catena.storage.engine;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.storage.SpaceInfo;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * Which blocks of each size class are in use. Not persisted: on open it is rebuilt from the metadata (a block is
 * used iff a committed or pending chunk version references it), so no crash can leak or double-book a block and
 * there is no second structure to keep consistent. Lowest free slot first keeps data files compact.
 * Thread-safe: all methods synchronise on the allocator (short, no I/O).
 */
final class BlockAllocator {
  private final BitSet[] used = new BitSet[SizeClasses.COUNT];
  private final long[] usedCount = new long[SizeClasses.COUNT];
  private final long[] slots = new long[SizeClasses.COUNT];
  private final long capacity;
  private long usedBytes;

  BlockAllocator(long capacity) {
    this.capacity = capacity;
    for (int i = 0; i < used.length; i++) {
      used[i] = new BitSet();
    }
  }

  synchronized long allocate(int cls) {
    int size = SizeClasses.blockSize(cls);
    if (usedBytes + size > capacity) {
      throw CatenaException.of(Errno.ENOSPC, "no space for a %d KiB block: %d of %d bytes used", size >> 10,
          usedBytes, capacity);
    }
    int idx = used[cls].nextClearBit(0);
    take(cls, idx);
    return SizeClasses.block(cls, idx);
  }

  /** Marks a block found in the metadata as used; false if it already was (two records share it). */
  synchronized boolean markUsed(long block) {
    int cls = SizeClasses.classOf(block);
    int idx = (int) SizeClasses.indexOf(block);
    if (used[cls].get(idx)) {
      return false;
    }
    take(cls, idx);
    return true;
  }

  private void take(int cls, int idx) {
    used[cls].set(idx);
    usedCount[cls]++;
    slots[cls] = Math.max(slots[cls], idx + 1L);
    usedBytes += SizeClasses.blockSize(cls);
  }

  synchronized void free(long block) {
    int cls = SizeClasses.classOf(block);
    int idx = (int) SizeClasses.indexOf(block);
    if (!used[cls].get(idx)) {
      throw new IllegalStateException("double free of block " + SizeClasses.describe(block));
    }
    used[cls].clear(idx);
    usedCount[cls]--;
    usedBytes -= SizeClasses.blockSize(cls);
  }

  synchronized long usedBytes() {
    return usedBytes;
  }

  synchronized SpaceInfo snapshot() {
    List<SpaceInfo.ClassSpace> classes = new ArrayList<>();
    for (int c = 0; c < SizeClasses.COUNT; c++) {
      classes.add(new SpaceInfo.ClassSpace(SizeClasses.blockSize(c), usedCount[c], slots[c]));
    }
    return new SpaceInfo(capacity, usedBytes, Math.max(0, capacity - usedBytes), classes);
  }
}

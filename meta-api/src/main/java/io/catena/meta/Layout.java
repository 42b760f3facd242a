package io.catena.meta;

import io.catena.common.CatenaException;
import io.catena.common.Errno;

/**
 * Where a file's chunks live: the chain table (id and immutable version), the chunk size (a power of two from 64 KiB
 * to 64 MiB), how many chains the file spreads over (stripe size), the first chain's index in the table and the seed
 * of the fixed shuffle ({@link ChunkPlacement}). A directory's default layout for its children leaves the version,
 * base index and seed at 0: they are chosen when a file is created. Immutable.
 */
public record Layout(int chainTableId, int chainTableVersion, int chunkSize, int stripeSize, int baseChainIndex,
    long shuffleSeed) {

  public static final int MIN_CHUNK = 64 * 1024;
  public static final int MAX_CHUNK = 64 * 1024 * 1024;

  public Layout {
    if (chunkSize < MIN_CHUNK || chunkSize > MAX_CHUNK || Integer.bitCount(chunkSize) != 1) {
      throw CatenaException.of(Errno.EINVAL, "chunk size %d is not a power of two in [64KiB, 64MiB]", chunkSize);
    }
    if (stripeSize < 1 || stripeSize > 65536) {
      throw CatenaException.of(Errno.EINVAL, "stripe size %d is out of range [1, 65536]", stripeSize);
    }
    if (chainTableId < 0 || chainTableVersion < 0 || baseChainIndex < 0) {
      throw CatenaException.of(Errno.EINVAL, "negative chain table id, version or base index");
    }
  }

  /** A default layout for a directory's children. */
  public static Layout defaults(int chainTableId, int chunkSize, int stripeSize) {
    return new Layout(chainTableId, 0, chunkSize, stripeSize, 0, 0);
  }

  /** The index of the chunk holding byte {@code offset}. */
  public long chunkIndex(long offset) {
    return offset / chunkSize;
  }
}

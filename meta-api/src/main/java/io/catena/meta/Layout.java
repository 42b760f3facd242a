package io.catena.meta;

import io.catena.common.CatenaException;
import io.catena.common.Errno;

/**
 * Where a file's chunks live: the chain table (id and immutable version), the chunk size (a power of two from 64 KiB
 * to 64 MiB), how many chains the file spreads over (stripe size), the first chain's index in the table and the seed
 * of the fixed shuffle ({@link ChunkPlacement}), and the data id its chunks are named by ({@link #dataOwner}: the
 * file's own inode id unless {@code dataId} names another, as after a snapshot shares the data copy-on-write; see
 * docs/snapshots.md). A directory's default layout for its children leaves the version, base index and seed at 0:
 * they are chosen when a file is created. Immutable.
 */
public record Layout(int chainTableId, int chainTableVersion, int chunkSize, int stripeSize, int baseChainIndex,
    long shuffleSeed, long dataId) {

  /** {@link #dataId()} of a file whose chunks are named by its own inode id. */
  public static final long OWN_DATA = 0;

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
    if (dataId < 0) {
      throw CatenaException.of(Errno.EINVAL, "negative data id %d", dataId);
    }
  }

  /** A layout whose chunks are named by the file's own inode id. */
  public Layout(int chainTableId, int chainTableVersion, int chunkSize, int stripeSize, int baseChainIndex,
      long shuffleSeed) {
    this(chainTableId, chainTableVersion, chunkSize, stripeSize, baseChainIndex, shuffleSeed, OWN_DATA);
  }

  /** The id naming the chunks of file {@code inode} with this layout (what {@code ChunkId}s are built from). */
  public long dataOwner(long inode) {
    return dataId == OWN_DATA ? inode : dataId;
  }

  /** The same placement with chunks named by {@code id} ({@link #OWN_DATA}: the file's own id). */
  public Layout withDataId(long id) {
    return new Layout(chainTableId, chainTableVersion, chunkSize, stripeSize, baseChainIndex, shuffleSeed, id);
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

package io.catena.common.cluster;

import java.nio.ByteBuffer;

/**
 * A chunk's identity: the inode it belongs to and its index in the file. Encoded as 16 bytes, inode then index,
 * both big-endian, and ordered as unsigned numbers in that order, so the chunks of one file form one contiguous
 * range both here and in the metadata store's bytewise key order. Immutable.
 */
public record ChunkId(long inode, long index) implements Comparable<ChunkId> {
  public static final int BYTES = 16;

  /** The first chunk of an inode: the inclusive start of its range. */
  public static ChunkId firstOf(long inode) {
    return new ChunkId(inode, 0);
  }

  /**
   * The exclusive end of an inode's range: {@code (inode, 2^64-1)}. The largest unsigned index itself is therefore
   * not addressable by ranges; no file has 2^64-1 chunks.
   */
  public static ChunkId endOf(long inode) {
    return new ChunkId(inode, -1L);
  }

  public byte[] toBytes() {
    return ByteBuffer.allocate(BYTES).putLong(inode).putLong(index).array();
  }

  public static ChunkId fromBytes(byte[] b) {
    return fromBytes(b, 0);
  }

  public static ChunkId fromBytes(byte[] b, int offset) {
    ByteBuffer bb = ByteBuffer.wrap(b, offset, BYTES);
    return new ChunkId(bb.getLong(), bb.getLong());
  }

  @Override
  public int compareTo(ChunkId o) {
    int c = Long.compareUnsigned(inode, o.inode);
    return c != 0 ? c : Long.compareUnsigned(index, o.index);
  }

  @Override
  public String toString() {
    return Long.toUnsignedString(inode) + ":" + Long.toUnsignedString(index);
  }
}

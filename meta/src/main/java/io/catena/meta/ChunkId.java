package io.catena.meta;

import java.nio.ByteBuffer;

/**
 * A chunk's id: the inode id and the chunk index, both big-endian, so a file's chunks form one ordered range on a
 * storage target. Immutable.
 */
public record ChunkId(long inode, long index) implements Comparable<ChunkId> {
  public static final int BYTES = 16;

  public byte[] toBytes() {
    return ByteBuffer.allocate(BYTES).putLong(inode).putLong(index).array();
  }

  public static ChunkId fromBytes(byte[] b) {
    ByteBuffer buf = ByteBuffer.wrap(b);
    return new ChunkId(buf.getLong(), buf.getLong());
  }

  @Override
  public int compareTo(ChunkId o) {
    int c = Long.compareUnsigned(inode, o.inode);
    return c != 0 ? c : Long.compareUnsigned(index, o.index);
  }
}

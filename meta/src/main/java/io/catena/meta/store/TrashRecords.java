package io.catena.meta.store;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The key layout and records of trash (docs/trash.md), beside {@link MetaKeys}'s:
 * <pre>
 * TRSH ino(LE8)    a removed file kept in the trash area: where it was, when removed, when it expires
 * TTIM ino(LE8)    the inode's trash time in seconds (absent: 0, removal frees at once)
 * </pre>
 * Ids are little-endian as in every other inode-keyed record, so scans are in key order, not id order.
 * Stateless and thread-safe.
 */
final class TrashRecords {
  static final byte[] TRSH = MetaKeys.ascii("TRSH");
  static final byte[] TTIM = MetaKeys.ascii("TTIM");
  private static final int V1 = 1;

  /** One TRSH record: the place and path at deletion, and the times in nanoseconds since the epoch. */
  record Entry(long parent, String name, String path, long deletedAtNanos, long expiresAtNanos) {}

  private TrashRecords() {}

  static byte[] entry(long ino) {
    return withId(TRSH, ino);
  }

  static byte[] trashTime(long ino) {
    return withId(TTIM, ino);
  }

  private static byte[] withId(byte[] prefix, long id) {
    return ByteBuffer.allocate(12).put(prefix).order(ByteOrder.LITTLE_ENDIAN).putLong(id).array();
  }

  static byte[] encode(Entry e) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeByte(V1);
      out.writeLong(e.parent());
      out.writeUTF(e.name());
      out.writeUTF(e.path());
      out.writeLong(e.deletedAtNanos());
      out.writeLong(e.expiresAtNanos());
    } catch (IOException x) {
      throw new IllegalStateException(x);
    }
    return bytes.toByteArray();
  }

  static Entry decode(byte[] b) {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(b))) {
      int v = in.readUnsignedByte();
      if (v != V1) {
        throw CatenaException.of(Errno.EIO, "trash record version %d is not understood", v);
      }
      return new Entry(in.readLong(), in.readUTF(), in.readUTF(), in.readLong(), in.readLong());
    } catch (IOException x) {
      throw CatenaException.of(Errno.EIO, "corrupt trash record: %s", x.getMessage());
    }
  }

  static byte[] encodeSeconds(long seconds) {
    return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(seconds).array();
  }

  static long decodeSeconds(byte[] b) {
    return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong();
  }
}

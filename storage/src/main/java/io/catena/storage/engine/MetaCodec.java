package io.catena.storage.engine;

import io.catena.common.cluster.ChunkId;
import java.nio.ByteBuffer;

/**
 * Key and value encoding of the metadata store. Keys: {@code 'C' + chunk id} committed version,
 * {@code 'P' + chunk id} pending version, {@code "L"} the disk layout. Chunk ids are big-endian so RocksDB's
 * bytewise order is chunk order. Values carry a format byte first so the layout can evolve. Stateless.
 */
final class MetaCodec {
  static final byte COMMITTED = 'C';
  static final byte PENDING = 'P';
  static final byte[] LAYOUT_KEY = {'L'};
  private static final byte FORMAT = 1;
  static final int VALUE_BYTES = 1 + 8 + 8 + 8 + 4 + 4 + 8 + 8;

  private MetaCodec() {}

  static byte[] key(byte kind, ChunkId id) {
    return ByteBuffer.allocate(1 + ChunkId.BYTES).put(kind).putLong(id.inode()).putLong(id.index()).array();
  }

  static ChunkId chunkOf(byte[] key) {
    if (key.length != 1 + ChunkId.BYTES) {
      throw new IllegalArgumentException("chunk key of " + key.length + " bytes");
    }
    return ChunkId.fromBytes(key, 1);
  }

  static byte[] encode(StoredVersion v) {
    return ByteBuffer.allocate(VALUE_BYTES).put(FORMAT).putLong(v.chainId()).putLong(v.version())
        .putLong(v.chainVersion()).putInt(v.length()).putInt(v.crc32c()).putLong(v.block()).putLong(v.mtimeMillis())
        .array();
  }

  /** Decodes a value; IllegalArgumentException if it is not one this code wrote. */
  static StoredVersion decode(byte[] value) {
    if (value.length != VALUE_BYTES || value[0] != FORMAT) {
      throw new IllegalArgumentException("chunk record of " + value.length + " bytes, format "
          + (value.length > 0 ? value[0] : -1));
    }
    ByteBuffer b = ByteBuffer.wrap(value, 1, VALUE_BYTES - 1);
    return new StoredVersion(b.getLong(), b.getLong(), b.getLong(), b.getInt(), b.getInt(), b.getLong(),
        b.getLong());
  }

  static byte[] encodeLayout(int filesPerClass) {
    return ByteBuffer.allocate(1 + 4 + 4 + 4).put(FORMAT).putInt(SizeClasses.MIN_SHIFT).putInt(SizeClasses.MAX_SHIFT)
        .putInt(filesPerClass).array();
  }
}

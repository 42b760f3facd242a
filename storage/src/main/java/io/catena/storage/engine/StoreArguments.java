package io.catena.storage.engine;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.cluster.ChunkId;
import java.nio.ByteBuffer;

/**
 * The argument and version checks of the chunk store's operations, each failing with the status
 * {@link io.catena.storage.ChunkStore} documents, before anything is stored. Stateless.
 */
final class StoreArguments {
  private StoreArguments() {}

  static void chunkSize(int chunkSize) {
    if (chunkSize < SizeClasses.MIN_BLOCK || chunkSize > SizeClasses.MAX_BLOCK || Integer.bitCount(chunkSize) != 1) {
      throw CatenaException.of(Errno.EINVAL, "chunk size %d is not a power of two from 64KiB to 64MiB", chunkSize);
    }
  }

  static void writeRange(ChunkId id, long offset, int n, int chunkSize) {
    if (offset < 0 || offset > chunkSize) {
      throw CatenaException.of(Errno.EINVAL, "chunk %s: offset %d outside chunk size %d", id, offset, chunkSize);
    }
    if (offset + n > chunkSize) {
      throw CatenaException.of(Errno.EFBIG, "chunk %s: write of %d bytes at %d exceeds chunk size %d", id, n, offset,
          chunkSize);
    }
  }

  /** The CRC32C of {@code data}'s remaining bytes, which must be {@code sent}. */
  static int payloadCrc(ChunkId id, ByteBuffer data, int sent) {
    int crc = Crc32c.of(data);
    if (crc != sent) {
      throw CatenaException.of(Errno.EBADMSG, "chunk %s: payload CRC32C %08x does not match %08x sent with it", id,
          crc, sent);
    }
    return crc;
  }

  static void truncateLength(ChunkId id, long length, int chunkSize) {
    if (length < 0) {
      throw CatenaException.of(Errno.EINVAL, "chunk %s: negative length %d", id, length);
    }
    if (length > chunkSize) {
      throw CatenaException.of(Errno.EFBIG, "chunk %s: length %d exceeds chunk size %d", id, length, chunkSize);
    }
  }

  /** Checks a whole-chunk replacement; returns the content's CRC32C, which must be {@code sent}. */
  static int replacement(ChunkId id, long version, ByteBuffer content, int chunkSize, int sent) {
    if (content.remaining() > chunkSize) {
      throw CatenaException.of(Errno.EFBIG, "chunk %s: %d bytes exceed chunk size %d", id, content.remaining(),
          chunkSize);
    }
    if (version <= 0) {
      throw CatenaException.of(Errno.EINVAL, "chunk %s: version %d must be positive", id, version);
    }
    int crc = Crc32c.of(content);
    if (crc != sent) {
      throw CatenaException.of(Errno.EBADMSG, "chunk %s: content CRC32C %08x does not match %08x sent with it", id,
          crc, sent);
    }
    return crc;
  }

  /** An update must carry the version after the committed one: EALREADY below (a duplicate), ESTALE above. */
  static void nextVersion(ChunkId id, long committed, long version) {
    if (version <= committed) {
      throw CatenaException.of(Errno.EALREADY, "chunk %s: update version %d already committed (at %d)", id, version,
          committed);
    }
    if (version != committed + 1) {
      throw CatenaException.of(Errno.ESTALE, "chunk %s: update version %d but committed is %d: replica missed"
          + " updates, needs resync", id, version, committed);
    }
  }

  static void readRange(ChunkId id, long offset, int length) {
    if (offset < 0 || length < 0) {
      throw CatenaException.of(Errno.EINVAL, "chunk %s: bad read range offset %d length %d", id, offset, length);
    }
  }
}

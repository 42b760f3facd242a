package io.catena.storage.service;

import io.catena.common.cluster.ChunkId;
import io.catena.storage.proto.RequestTag;
import io.catena.storage.proto.UpdateKind;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/**
 * One update of one chunk on its way down a chain: a client's write or truncate at the head (version 0 until the
 * head assigns one), or what a predecessor forwarded. Immutable; {@code data} stays owned by whoever received it.
 *
 * @param version   the version the update creates (assigned by the head)
 * @param chunkSize the file's chunk size: the largest length the chunk may reach
 * @param offset    WRITE: where {@code data} goes
 * @param length    TRUNCATE: the chunk's new length
 * @param data      WRITE: the bytes to write; REPLACE: the whole new content; otherwise empty
 * @param crc32c    CRC32C of {@code data}
 * @param tag       the client's request tag, so every replica can answer a retry; null when there is none
 */
record ChunkUpdate(UpdateKind kind, ChunkId chunk, long version, int chunkSize, long offset, long length,
    ByteBuf data, int crc32c, RequestTag tag) {

  static ChunkUpdate write(ChunkId chunk, int chunkSize, long offset, ByteBuf data, int crc32c, RequestTag tag) {
    return new ChunkUpdate(UpdateKind.WRITE, chunk, 0, chunkSize, offset, 0, data, crc32c, tag);
  }

  static ChunkUpdate truncate(ChunkId chunk, int chunkSize, long length, RequestTag tag) {
    return new ChunkUpdate(UpdateKind.TRUNCATE, chunk, 0, chunkSize, 0, length, Unpooled.EMPTY_BUFFER, 0, tag);
  }

  /** The whole content of a committed version, replacing whatever a replica holds. */
  static ChunkUpdate replace(ChunkId chunk, long version, int chunkSize, ByteBuf content, int crc32c,
      RequestTag tag) {
    return new ChunkUpdate(UpdateKind.REPLACE, chunk, version, chunkSize, 0, 0, content, crc32c, tag);
  }

  static ChunkUpdate remove(ChunkId chunk, int chunkSize, RequestTag tag) {
    return new ChunkUpdate(UpdateKind.REMOVE, chunk, 0, chunkSize, 0, 0, Unpooled.EMPTY_BUFFER, 0, tag);
  }

  ChunkUpdate atVersion(long v) {
    return new ChunkUpdate(kind, chunk, v, chunkSize, offset, length, data, crc32c, tag);
  }
}

package io.catena.storage.service;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/** Netty buffer helpers of the write and resync paths. Stateless. */
final class ByteBufs {
  private ByteBufs() {}

  /**
   * {@code data} itself when it is one direct memory region, else one pooled direct copy (release it). An
   * attachment spread over several socket reads is a composite; its {@code nioBuffer()} would merge it into a new
   * heap buffer, which FileChannel then copies again into a temporary direct buffer.
   */
  static ByteBuf contiguous(ByteBuf data) {
    if (data.nioBufferCount() == 1 && data.isDirect()) {
      return data;
    }
    ByteBuf copy = PooledByteBufAllocator.DEFAULT.directBuffer(data.readableBytes());
    copy.writeBytes(data, data.readerIndex(), data.readableBytes());
    return copy;
  }

  static int crc32c(ByteBuf b) {
    CRC32C crc = new CRC32C();
    for (ByteBuffer bb : b.nioBuffers()) {
      crc.update(bb);
    }
    return (int) crc.getValue();
  }
}

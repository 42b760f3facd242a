package io.catena.storage.client;

import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Bytes read from a chunk, still in the buffer they were received into (no copy was made). Whoever holds them must
 * {@link #close()} them, which gives the buffer back. Not thread-safe: one owner at a time; closing is idempotent.
 */
public final class ChunkBytes implements AutoCloseable {
  private final ByteBuf buf;
  private final AtomicBoolean closed = new AtomicBoolean();

  /** Takes over one reference to {@code buf}'s readable bytes. */
  ChunkBytes(ByteBuf buf) {
    this.buf = buf;
  }

  public int length() {
    return buf.readableBytes();
  }

  /**
   * Copies as many bytes as fit into {@code dst}'s remaining space, from the first, and advances its position.
   * Returns how many were copied.
   */
  public int copyTo(ByteBuffer dst) {
    int n = Math.min(buf.readableBytes(), dst.remaining());
    buf.getBytes(buf.readerIndex(), dst.slice(dst.position(), n));
    dst.position(dst.position() + n);
    return n;
  }

  /** A heap copy of all the bytes. */
  public byte[] toArray() {
    byte[] out = new byte[buf.readableBytes()];
    buf.getBytes(buf.readerIndex(), out);
    return out;
  }

  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      buf.release();
    }
  }
}

package io.catena.common;

import java.nio.ByteBuffer;
import java.util.concurrent.ArrayBlockingQueue;

/**
 * Direct buffers kept for reuse, by power-of-two capacity (4 KiB and up): at most {@code maxBuffersPerSize} and
 * {@code maxBytesPerSize} of each capacity. A fresh direct buffer is zeroed and page-faulted in by the JVM: for
 * write-behind's one-chunk gather buffers that was a quarter of the mount's CPU in a sequential write, and a deep
 * queue of small reads allocated one per read. A buffer given back must no longer be used by its giver; one the pool
 * has no room for is left to the collector. Thread-safe.
 */
public final class DirectBufferPool {
  private static final int MIN_SHIFT = 12;
  private static final int MAX_SHIFT = 30;

  private final ArrayBlockingQueue<ByteBuffer>[] free;

  @SuppressWarnings("unchecked")
  public DirectBufferPool(int maxBuffersPerSize, long maxBytesPerSize) {
    free = new ArrayBlockingQueue[MAX_SHIFT - MIN_SHIFT + 1];
    for (int i = 0; i < free.length; i++) {
      free[i] = new ArrayBlockingQueue<>(
          (int) Math.max(1, Math.min(maxBuffersPerSize, maxBytesPerSize >> (i + MIN_SHIFT))));
    }
  }

  /**
   * A direct buffer of at least {@code size} bytes (at most 1 GiB), position 0 and limit {@code size}; its contents
   * are undefined. Give it back with {@link #give}.
   */
  public ByteBuffer take(int size) {
    int shift = Math.max(MIN_SHIFT, 32 - Integer.numberOfLeadingZeros(Math.max(1, size - 1)));
    if (shift > MAX_SHIFT) {
      throw new IllegalArgumentException("buffer of " + size + " bytes is larger than the pool's largest");
    }
    ByteBuffer b = free[shift - MIN_SHIFT].poll();
    return (b != null ? b : ByteBuffer.allocateDirect(1 << shift)).clear().limit(size);
  }

  /** Takes back a buffer from {@link #take}. */
  public void give(ByteBuffer b) {
    int shift = Integer.numberOfTrailingZeros(b.capacity());
    if (b.isDirect() && b.capacity() == 1 << shift && shift >= MIN_SHIFT && shift <= MAX_SHIFT) {
      free[shift - MIN_SHIFT].offer(b);
    }
  }
}

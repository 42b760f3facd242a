package io.catena.client;

import java.nio.ByteBuffer;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Direct buffers kept for reuse, by exact capacity, up to {@code bytesPerSize} of each capacity. A fresh direct
 * buffer is zeroed and page-faulted in by the JVM: for write-behind's one-chunk gather buffers that was a quarter of
 * the mount's CPU during a sequential write. A buffer given back must no longer be used by its giver; one the pool
 * has no room for is left to the collector. Thread-safe.
 */
final class DirectBufferPool {
  private final long bytesPerSize;
  private final ConcurrentHashMap<Integer, ArrayBlockingQueue<ByteBuffer>> free = new ConcurrentHashMap<>();

  DirectBufferPool(long bytesPerSize) {
    this.bytesPerSize = bytesPerSize;
  }

  /** A cleared direct buffer of exactly {@code capacity} bytes; its contents are undefined. */
  ByteBuffer take(int capacity) {
    ArrayBlockingQueue<ByteBuffer> q = free.get(capacity);
    ByteBuffer b = q == null ? null : q.poll();
    return b != null ? b.clear() : ByteBuffer.allocateDirect(capacity);
  }

  void give(ByteBuffer b) {
    if (!b.isDirect() || b.capacity() == 0) {
      return;
    }
    free.computeIfAbsent(b.capacity(), c -> new ArrayBlockingQueue<>((int) Math.max(1, bytesPerSize / c)))
        .offer(b);
  }
}

package io.catena.fuse.kernel;

import static io.catena.fuse.kernel.FuseKernel.OUT_HEADER;

import io.catena.common.Errno;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Replies to requests answered after their reader moved on (asynchronous reads): written from whatever thread
 * completes them, each with its own header and iovec, and the direct buffers their data is read into, pooled by
 * power-of-two size. Once {@link #seal sealed} (the device is about to be closed, and its descriptor number may be
 * reused) nothing more is written. Thread-safe.
 */
final class AsyncReplies {
  private static final Logger LOG = LoggerFactory.getLogger(AsyncReplies.class);
  private static final int ENOENT = 2;
  private static final int ENODEV = 19;
  private static final int MIN_SHIFT = 12;
  /** Buffers kept per size class: a deep queue of small reads finds them without allocating. */
  private static final int POOLED_PER_CLASS = 64;
  /** Bytes kept per size class at most: large reads keep a few buffers, not 64 of 1 MiB. */
  private static final long POOLED_BYTES_PER_CLASS = 16L << 20;

  private final int fd;
  private final int maxPayload;
  private final ArrayBlockingQueue<ByteBuffer>[] pools;
  /** Header (16 bytes) and two iovecs (32 bytes) per writing thread; GC-managed, as threads may be virtual. */
  private final ThreadLocal<MemorySegment> scratch =
      ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(OUT_HEADER + 32L, 8));
  private final ReentrantReadWriteLock sealLock = new ReentrantReadWriteLock();
  private boolean sealed;

  @SuppressWarnings("unchecked")
  AsyncReplies(int fd, int maxPayload) {
    this.fd = fd;
    this.maxPayload = maxPayload;
    int classes = Math.max(1, ceilShift(maxPayload) - MIN_SHIFT + 1);
    this.pools = new ArrayBlockingQueue[classes];
    for (int i = 0; i < classes; i++) {
      pools[i] = new ArrayBlockingQueue<>(
          (int) Math.max(1, Math.min(POOLED_PER_CLASS, POOLED_BYTES_PER_CLASS >> (i + MIN_SHIFT))));
    }
  }

  int maxPayload() {
    return maxPayload;
  }

  /** A direct buffer of at least {@code size} bytes (position 0, limit {@code size}); give it back with {@link #release}. */
  ByteBuffer buffer(int size) {
    int c = sizeClass(size);
    ByteBuffer b = pools[c].poll();
    if (b == null) {
      b = ByteBuffer.allocateDirect(1 << (c + MIN_SHIFT));
    }
    return b.clear().limit(size);
  }

  /** Takes back a buffer from {@link #buffer}; one the pool has no room for is left to the collector. */
  void release(ByteBuffer b) {
    int c = Integer.numberOfTrailingZeros(b.capacity()) - MIN_SHIFT;
    if (c >= 0 && c < pools.length && b.capacity() == 1 << (c + MIN_SHIFT)) {
      pools[c].offer(b);
    }
  }

  private int sizeClass(int size) {
    return Math.min(pools.length - 1, Math.max(0, ceilShift(size) - MIN_SHIFT));
  }

  /** The smallest s with 2^s >= n. */
  private static int ceilShift(int n) {
    return 32 - Integer.numberOfLeadingZeros(Math.max(1, n - 1));
  }

  /** Answers a READ with up to {@code size} of {@code data}'s remaining bytes (a direct buffer, or null: none). */
  void data(long unique, ByteBuffer data, int size) {
    int n = data == null ? 0 : Math.min(data.remaining(), size);
    MemorySegment s = scratch.get();
    s.set(ValueLayout.JAVA_INT, 0, OUT_HEADER + n);
    s.set(ValueLayout.JAVA_INT, 4, 0);
    s.set(ValueLayout.JAVA_LONG, 8, unique);
    MemorySegment iov = s.asSlice(OUT_HEADER, 32);
    iov.set(ValueLayout.ADDRESS, 0, s);
    iov.set(ValueLayout.JAVA_LONG, 8, OUT_HEADER);
    int count = 1;
    if (n > 0) {
      iov.set(ValueLayout.ADDRESS, 16, MemorySegment.ofBuffer(data).asSlice(0, n));
      iov.set(ValueLayout.JAVA_LONG, 24, n);
      count = 2;
    }
    write(unique, iov, count);
  }

  void error(long unique, int errno) {
    MemorySegment s = scratch.get();
    s.set(ValueLayout.JAVA_INT, 0, OUT_HEADER);
    s.set(ValueLayout.JAVA_INT, 4, -errno);
    s.set(ValueLayout.JAVA_LONG, 8, unique);
    MemorySegment iov = s.asSlice(OUT_HEADER, 32);
    iov.set(ValueLayout.ADDRESS, 0, s);
    iov.set(ValueLayout.JAVA_LONG, 8, OUT_HEADER);
    write(unique, iov, 1);
  }

  private void write(long unique, MemorySegment iov, int count) {
    sealLock.readLock().lock();
    try {
      if (sealed) {
        return;
      }
      long r = Native.writev(fd, iov, count);
      if (r < 0) {
        int e = (int) -r;
        // ENOENT: the request was interrupted and the kernel gave up on it; ENODEV: the connection is gone.
        if (e != ENOENT && e != ENODEV) {
          LOG.error("writing the reply to FUSE request {} failed: {}", unique, Errno.fromCode(e));
        }
      }
    } finally {
      sealLock.readLock().unlock();
    }
  }

  /** No reply is written after this returns. */
  void seal() {
    sealLock.writeLock().lock();
    try {
      sealed = true;
    } finally {
      sealLock.writeLock().unlock();
    }
  }
}

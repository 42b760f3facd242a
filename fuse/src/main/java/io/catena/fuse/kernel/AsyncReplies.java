package io.catena.fuse.kernel;

import static io.catena.fuse.kernel.FuseKernel.OUT_HEADER;

import io.catena.common.DirectBufferPool;
import io.catena.common.Errno;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Replies to requests answered after their reader moved on (asynchronous reads): written from whatever thread
 * completes them, each with its own header and iovec, and the pooled direct buffers their data is read into. Once
 * {@link #seal sealed} (the device is about to be closed, and its descriptor number may be reused) nothing more is
 * written. Thread-safe.
 */
final class AsyncReplies {
  private static final Logger LOG = LoggerFactory.getLogger(AsyncReplies.class);
  private static final int ENOENT = 2;
  private static final int ENODEV = 19;

  /** 64 small buffers for a deep queue of small reads, and no more than 16 MiB of each size: a few of 1 MiB. */
  private final DirectBufferPool buffers = new DirectBufferPool(64, 16L << 20);

  private final int fd;
  private final int maxPayload;
  /** Header (16 bytes) and two iovecs (32 bytes) per writing thread; GC-managed, as threads may be virtual. */
  private final ThreadLocal<MemorySegment> scratch =
      ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(OUT_HEADER + 32L, 8));
  private final ReentrantReadWriteLock sealLock = new ReentrantReadWriteLock();
  private boolean sealed;

  AsyncReplies(int fd, int maxPayload) {
    this.fd = fd;
    this.maxPayload = maxPayload;
  }

  int maxPayload() {
    return maxPayload;
  }

  /** A direct buffer of at least {@code size} bytes (position 0, limit {@code size}); give it back with {@link #release}. */
  ByteBuffer buffer(int size) {
    return buffers.take(size);
  }

  /** Takes back a buffer from {@link #buffer}. */
  void release(ByteBuffer b) {
    buffers.give(b);
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
